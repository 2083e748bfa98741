--
-- Delivery, as the administrator sets it up and a credit manager reads it:
-- the company (its IBAN, BIC and logo checked), customers' addresses and
-- contacts, what a letter says (_letter_doc), the creditor reference, the
-- email a reminder becomes (_email), and the bad requests refused.
-- test/other/delivery.sh reads the PDFs and the emails with real tools.
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;
\set VERBOSITY default

-- a letter needs the creditor: with no company there is none
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('std', 'Standard', 'EUR');
INSERT INTO dunning.level (policy_id, level, min_days, fee, channel, payment_days, attach_letter) VALUES
    ('std', 1, 1, 0, 'letter', 14, false),
    ('std', 2, 15, 10, 'email', 8, true);
INSERT INTO dunning.credit_manager (manager_id, name, email) VALUES ('claire', 'Claire Martin', 'claire@acme.example');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, manager_id, address, postal_code, city, country) VALUES
    ('WEBER', 'Weber Maschinenbau AG', 'de', 'std', 'claire', E'Industriestraße 7\nHalle 3', '80331', 'München', 'DE');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('WEBER', 'invoice', 'RE-1', '2025-01-02', '2025-02-01', 1190, 'EUR'),
    ('WEBER', 'invoice', 'RE-2', '2025-01-20', '2025-02-19', 238, 'EUR');
SELECT customer_id, reminder_id, channel, status FROM dunning.issue_reminders('2025-03-10');
SELECT dunning._letter_doc('WEBER', 1);

-- the company: the IBAN is written compact and checked (ISO 13616)
INSERT INTO dunning.company (company_id, name, iban) VALUES ('X', 'X', 'DE89 3704 0044 0532 0130 01');
INSERT INTO dunning.company (company_id, name, iban) VALUES ('X', 'X', 'DE89-3704');
INSERT INTO dunning.company (company_id, name, bic) VALUES ('X', 'X', 'COBA DE');
INSERT INTO dunning.company (company_id, name, logo) VALUES ('X', 'X', '\x474946383961'::bytea);
INSERT INTO dunning.company (company_id, name, email) VALUES ('X', 'X', E'a@b.example\r\nBcc: all@x.example');
INSERT INTO dunning.company (company_id, name, country) VALUES ('X', 'X', 'Germany');
SELECT count(*) AS companies FROM dunning.company;
INSERT INTO dunning.company (company_id, name, address, postal_code, city, country, vat_id, email, iban, bic, logo)
VALUES ('ACME', 'Acme Fournitures SAS', '12 rue de la Paix', '75002', 'Paris', 'FR', 'FR40303265045',
        'relances@acme.example', 'fr76 3000 6000 0112 3456 7890 189', 'agrifrpp',
        '\x89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63105030f80f000204016052e2a9610000000049454e44ae426082');
SELECT company_id, iban, bic, octet_length(logo) AS logo_bytes FROM dunning.company;

-- the letter of reminder 1: German labels, the address field, the table,
-- the date to pay by (14 days), the reference and the EPC payload
SELECT jsonb_pretty(dunning._letter_doc('WEBER', 1) - 'body');
-- the body leaves the items to the table: a form feed marks its place
SELECT dunning._letter_doc('WEBER', 1) ->> 'body' LIKE E'%\f%' AS table_marked,
       (SELECT body FROM dunning.reminder WHERE reminder_id = 1) LIKE '%RE-1%' AS issued_body_lists_items;
-- ISO 11649 references, the standard's own example among them
SELECT r, dunning.creditor_reference(r) FROM (VALUES ('539007547034'), ('RF-test 42'), ('WEBERR1')) v(r);
SELECT dunning.creditor_reference('');
SELECT dunning.creditor_reference('1234567890123456789012');
-- the same letter twice: the same bytes
SELECT substr(dunning.letter_pdf('WEBER', 1), 1, 5) = '%PDF-'::bytea AS is_pdf,
       md5(dunning.letter_pdf('WEBER', 1)) = md5(dunning.letter_pdf('WEBER', 1)) AS same_bytes;

-- bad requests: no such reminder, a cancelled one, no such run, a run
-- with no letter, nothing to print
SELECT dunning.letter_pdf('WEBER', 999);
SELECT dunning.letter_pdf(NULL, 1);
SELECT dunning.message_pdf('WEBER', 999);
SELECT dunning.run_pdf(999);
SELECT dunning.cancel_reminder('WEBER', 1) IS NOT NULL AS cancelled;
SELECT dunning.letter_pdf('WEBER', 1);
SELECT dunning.run_pdf(1);
SELECT dunning.print_batch();

-- issued again, by email with the letter attached: no address yet, then a
-- dunning contact and an accounting contact in copy; the MIME header
UPDATE dunning.level SET channel = 'email', attach_letter = true WHERE level = 1;
SELECT customer_id, reminder_id, level, channel, status FROM dunning.issue_reminders('2025-03-10');
INSERT INTO dunning.contact (customer_id, name, email, role) VALUES ('WEBER', 'Eva Weber', 'not an address', 'dunning');
INSERT INTO dunning.contact (customer_id, name, email, role) VALUES ('WEBER', 'Eva Weber', 'eva@weber.example', 'owner');
INSERT INTO dunning.contact (customer_id, name, email, role) VALUES
    ('WEBER', 'Eva Weber', 'eva@weber.example', 'dunning'),
    ('WEBER', 'Buchhaltung', 'buchhaltung@weber.example', 'accounting');
SELECT sender, "to", cc, message_id LIKE '<dunning.r2.%@acme.example>' AS message_id,
       regexp_replace(split_part(mime, E'\r\n\r\n', 1), '^Date: [^\r]*\r\n|Message-ID: [^\r]*\r\n|boundary="[^"]*"', '', 'g') AS header,
       mime LIKE '%Content-Disposition: attachment; filename="reminder-2.pdf"%' AS letter_attached
  FROM dunning._email('reminder', 'WEBER', 2);
-- header injection and long subjects: encoded words, folded, no raw line break
SELECT dunning._mime_words(E'Mahnung\r\nBcc: victim@example.com');
SELECT max(length(l)) <= 76 AS folded FROM regexp_split_to_table(dunning._mime_words(repeat('Überfällig ', 200)), E'\r\n') l;
-- the outbox shows the email with its attempts
SELECT kind, customer_id, reminder_id, channel, status, attempts, last_error, next_attempt_at FROM dunning.outbox;

-- two companies: each customer's company, the dashboard and the KPIs per
-- company (WEBER has none set: with two companies it has none)
INSERT INTO dunning.company (company_id, name, city, country, iban)
VALUES ('NORD', 'Nordhandel GmbH', 'Hamburg', 'DE', 'DE89370400440532013000');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, company_id) VALUES
    ('HANSA', 'Hansa Logistik KG', 'de', 'std', 'NORD');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('HANSA', 'invoice', 'H-1', '2025-02-01', '2025-03-01', 500, 'EUR');
SELECT * FROM dunning.customer_company ORDER BY customer_id;
SELECT dunning.letter_pdf('WEBER', 2);
UPDATE dunning.customer SET company_id = 'ACME' WHERE customer_id = 'WEBER';
SELECT company_id, currency, receivables, overdue, customers, late_customers
  FROM dunning.dashboard_by_company('2025-03-10');
SELECT 'all' AS company, ending_receivables, ending_overdue FROM dunning.kpi('2025-01-01', '2025-03-10', 'EUR')
UNION ALL
SELECT 'NORD', ending_receivables, ending_overdue FROM dunning.kpi('2025-01-01', '2025-03-10', 'EUR', 'NORD');
SELECT * FROM dunning.kpi('2025-01-01', '2025-03-10', 'EUR', 'SUD');
-- the aged balance of one company: join customer_company
SELECT a.customer_id, a.currency, a.total
  FROM dunning.aged_balance a JOIN dunning.customer_company USING (customer_id)
 WHERE company_id = 'NORD';

-- per company, bad input: the twin refuses a NULL day
SELECT * FROM dunning.dashboard_by_company(NULL);
-- buckets for BI tools: the label in dunning.language, the bounds, min and
-- max (NULLs are skipped, as by every aggregate)
SET dunning.language = 'fr';
SELECT DISTINCT bucket::text, bucket_label, bucket_from, bucket_to FROM dunning.open_items ORDER BY 1;
SET dunning.language = 'xx';
RESET dunning.language;
SELECT dunning.min(b)::text, dunning.max(b)::text
  FROM unnest(ARRAY['31..60', NULL, '1..30', '121..']::dunning.aging[]) b;

-- the SMTP settings: a malformed URL is refused; only superusers read the
-- password
SELECT dunning.as_of() IS NOT NULL AS loaded;
SET dunning.smtp_url = 'mailto:dunning@example.com';
SET dunning.smtp_url = 'smtp://mail.example.com:25/extra';
SET dunning.smtp_url = 'smtps://[::1]:465';
SHOW dunning.smtp_url;
RESET dunning.smtp_url;
CALL dunning.send_outbox(-1);
CALL dunning.send_outbox();
CREATE ROLE dunning_clerk;
GRANT USAGE ON SCHEMA dunning TO dunning_clerk;
SET ROLE dunning_clerk;
SHOW dunning.smtp_password;
SET dunning.smtp_url = 'smtp://evil.example:25';
SELECT dunning._smtp_send('{a@b.example}', 'c@d.example', 'x');
RESET ROLE;
REVOKE USAGE ON SCHEMA dunning FROM dunning_clerk;
DROP ROLE dunning_clerk;
