-- Load the public accounts-receivable sample (examples/data/, 2,466 settled
-- invoices of 2012-2013) into the dunning ledger: each invoice is posted on
-- its InvoiceDate, its payment on its SettledDate, and dunning.auto_letter
-- letters the two together by reference.  Run from the top of the source
-- tree with psql:
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

-- Letter each payment with the invoice its reference names: one total
-- group per invoice, dated the day it was settled.
SELECT count(*) AS lettered_lines FROM dunning.auto_letter(strategies => '{reference}') \gset

DROP TABLE ar_numbered;
ANALYZE dunning.entry;
ANALYZE dunning.allocation;
