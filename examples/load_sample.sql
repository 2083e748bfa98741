-- Load the public accounts-receivable sample (examples/data/, 2,466 settled
-- invoices of 2012-2013) into the dunning ledger: each invoice is posted on
-- its InvoiceDate, its payment on its SettledDate, and the two are lettered
-- together.  Run from the top of the source tree with psql:
--     \i examples/load_sample.sql
-- The raw file stays in table ar_sample for comparison.

CREATE TABLE ar_sample (
    country_code    text,
    customer_id     text,
    paperless_date  text,
    invoice_number  text,
    invoice_date    text,
    due_date        text,
    invoice_amount  numeric,
    disputed        text,
    settled_date    text,
    paperless_bill  text,
    days_to_settle  integer,
    days_late       integer
);
\copy ar_sample FROM 'examples/data/accounts-receivable-sample.csv' WITH (FORMAT csv, HEADER)

-- Dates in the file are M/D/YYYY.
ALTER TABLE ar_sample
    ALTER invoice_date TYPE date USING to_date(invoice_date, 'MM/DD/YYYY'),
    ALTER due_date TYPE date USING to_date(due_date, 'MM/DD/YYYY'),
    ALTER settled_date TYPE date USING to_date(settled_date, 'MM/DD/YYYY');

-- Two credit managers share the five countries of the file.
INSERT INTO dunning.credit_manager (manager_id, name, email) VALUES
    ('claire', 'Claire Martin', 'claire.martin@example.com'),
    ('paul', 'Paul Leroy', 'paul.leroy@example.com');

INSERT INTO dunning.customer (customer_id, name, language, manager_id, terms)
SELECT DISTINCT ON (customer_id)
       customer_id, 'Customer ' || customer_id,
       CASE WHEN country_code IN ('391', '406', '770') THEN 'fr' ELSE 'en' END,
       CASE WHEN country_code IN ('391', '406', '770') THEN 'claire' ELSE 'paul' END,
       '30d'
  FROM ar_sample
 ORDER BY customer_id, invoice_date;

-- Invoice n is entry 2n-1, its payment entry 2n.
CREATE TEMP TABLE ar_numbered AS
SELECT row_number() OVER (ORDER BY invoice_date, invoice_number) AS n, *
  FROM ar_sample;

INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency)
SELECT customer_id, 2 * n - 1, 'invoice', invoice_number, invoice_date, due_date, round(invoice_amount, 2), 'EUR'
  FROM ar_numbered
UNION ALL
SELECT customer_id, 2 * n, 'payment', 'PAY-' || invoice_number, settled_date, NULL, -round(invoice_amount, 2), 'EUR'
  FROM ar_numbered;
SELECT setval('dunning.entry_entry_id_seq', (SELECT max(entry_id) FROM dunning.entry)) AS last_entry_id \gset

-- One total lettering group per invoice and its payment, coded AAA, AAB, ...
-- per customer in the order of settlement.
CREATE TEMP TABLE ar_lettered AS
SELECT n, customer_id, settled_date, invoice_amount,
       chr(65 + (k / 676) % 26) || chr(65 + (k / 26) % 26) || chr(65 + k % 26) AS letter_code
  FROM (SELECT n, customer_id, settled_date, invoice_amount,
               (row_number() OVER (PARTITION BY customer_id ORDER BY settled_date, n) - 1)::integer AS k
          FROM ar_numbered) s;

INSERT INTO dunning.lettering (customer_id, letter_code, partial, strategy, lettered_on, lettered_by)
SELECT customer_id, letter_code, false, 'reference', settled_date, 'sample'
  FROM ar_lettered;
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
SELECT customer_id, letter_code, 2 * n - 1, 2 * n, round(invoice_amount, 2)
  FROM ar_lettered;
UPDATE dunning.entry e
   SET letter_code = l.letter_code, lettered_on = l.settled_date
  FROM ar_lettered l
 WHERE e.customer_id = l.customer_id AND e.entry_id IN (2 * l.n - 1, 2 * l.n);

DROP TABLE ar_numbered, ar_lettered;
ANALYZE dunning.entry;
ANALYZE dunning.allocation;
