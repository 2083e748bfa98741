-- The delivery tests' ledger (test/other/delivery.sh): two companies, a
-- German, a Polish and a French customer, one with 300 items, contacts and
-- invoice documents.  psql -v logo=HEX: the bytes of examples/data/logo.png in hexadecimal.
\set ON_ERROR_STOP 1
SET datestyle = ISO;
INSERT INTO dunning.company (company_id, name, address, postal_code, city, country, vat_id,
                             email, phone, iban, bic, logo) VALUES
    ('ACME', 'Acme Fournitures SAS', E'12 rue de la Paix\nBâtiment B', '75002', 'Paris', 'FR',
     'FR40303265045', 'relances@acme.example', '+33 1 23 45 67 89',
     'FR76 3000 6000 0112 3456 7890 189', 'agrifrpp', decode(:'logo', 'hex')),
    ('NORD', 'Nordhandel GmbH', 'Hafenstraße 5', '20457', 'Hamburg', 'DE',
     'DE136695976', 'mahnwesen@nordhandel.example', NULL,
     'DE89370400440532013000', 'COBADEFFXXX', NULL);
INSERT INTO dunning.policy (policy_id, name, currency, min_balance) VALUES ('std', 'Standard', 'EUR', 0);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel,
                           payment_days, attach_letter, attach_invoices) VALUES
    ('std', 1, 1, 0, 0, 'letter', 10, false, false),
    ('std', 2, 15, 10, 10, 'email', 8, true, true);
INSERT INTO dunning.credit_manager (manager_id, name, email)
VALUES ('claire', 'Claire Martin', 'claire@acme.example');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, manager_id, company_id,
                              email, address, postal_code, city, country) VALUES
    ('MUELLER', 'Müller & Söhne GmbH', 'de', 'std', 'claire', 'ACME', NULL,
     'Königstraße 12', '70173', 'Stuttgart', 'DE'),
    ('LODZ', 'Przedsiębiorstwo Żółć Sp. z o.o.', 'pl', 'std', 'claire', 'NORD', 'ksiegowosc@zolc.example',
     'ul. Piotrkowska 104', '90-926', 'Łódź', 'PL'),
    ('ECLUSES', 'Société Générale des Écluses', 'fr', 'std', 'claire', 'ACME', 'compta@ecluses.example',
     E'3 place de l''Hôtel de Ville', '69001', 'Lyon', 'FR'),
    ('NOMAIL', 'Sans Adresse SARL', 'fr', 'std', 'claire', 'ACME', NULL,
     '1 rue Basse', '13001', 'Marseille', 'FR');
INSERT INTO dunning.contact (customer_id, name, email, role) VALUES
    ('MUELLER', 'Hans Müller', 'hans@mueller.example', 'dunning'),
    ('MUELLER', 'Buchhaltung', 'buchhaltung@mueller.example', 'accounting');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'MUELLER', 'invoice', 'RE-2025-' || g, '2025-01-01'::date + g, '2025-01-31'::date + g, 100 + g, 'EUR'
  FROM generate_series(1, 3) g;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'LODZ', 'invoice', 'FV/2025/' || g, '2025-01-01', '2025-01-31', 1234.5, 'EUR'
  FROM generate_series(1, 2) g;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'ECLUSES', 'invoice', 'F-' || lpad(g::text, 5, '0'), '2025-01-01'::date + g % 20,
       '2025-01-31'::date + g % 20, 10 + g, 'EUR'
  FROM generate_series(1, 300) g;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('NOMAIL', 'invoice', 'N-1', '2025-01-01', '2025-01-31', 99, 'EUR');
