-- Generate a ledger of :customers customers and about 10 entries each:
-- invoices due 30 days after issue (as in the public sample), payments that
-- settle most of them after a delay spread like the sample's (DaysToSettle),
-- partial payments, credit notes, and three currencies.
\set ON_ERROR_STOP 1
SELECT setseed(0.2025);

INSERT INTO dunning.credit_manager (manager_id, name)
SELECT 'm' || i, 'Manager ' || i FROM generate_series(1, 20) i;

-- a French B2B procedure: R1 at 5 days, R2 at 20 (fee 15, statutory
-- interest), formal notice at 45 (fee 30, interest); 40 EUR compensation
-- per late invoice; amounts in USD and GBP as well
INSERT INTO dunning.policy (policy_id, name, currency, grace_days, min_balance,
                            min_interval_days, interest_regime, compensation)
VALUES ('b2b', 'B2B France', 'EUR', 3, 50, 7, 'fr', 40);
-- insured customers notify the credit insurer 90 days after the due date
UPDATE dunning.policy SET insurer_notice_days = 90;
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel, final)
VALUES ('b2b', 1, 5, 0, 0, false, 'email', false),
       ('b2b', 2, 20, 14, 15, true, 'letter', false),
       ('b2b', 3, 45, 14, 30, true, 'letter', true);
INSERT INTO dunning.level_amount (policy_id, level, currency, min_amount, fee)
SELECT 'b2b', l, c, 60, f FROM (VALUES (1, 0), (2, 15), (3, 30)) v(l, f), unnest('{USD,GBP}'::text[]) c;

INSERT INTO dunning.customer (customer_id, name, language, manager_id, policy_id)
SELECT 'C' || lpad(i::text, 7, '0'), 'Customer ' || i,
       CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END, 'm' || (1 + i % 20), 'b2b'
  FROM generate_series(1, :customers) i;

-- invoices: 6 per customer on average, issued over two years
CREATE TEMP TABLE gen_invoice AS
SELECT c.customer_id,
       -- one currency per customer (80 % EUR, 15 % USD, 5 % GBP), a few
       -- invoices in another
       CASE WHEN random() < 0.05 THEN 'USD'
            WHEN abs(hashtext(c.customer_id)) % 20 < 16 THEN 'EUR'
            WHEN abs(hashtext(c.customer_id)) % 20 < 19 THEN 'USD' ELSE 'GBP' END AS currency,
       '2024-01-01'::date + (random() * 700)::int AS doc_date,
       round((20 + random() * random() * 5000)::numeric, 2) AS amount,
       random() AS fate
  FROM dunning.customer c,
       LATERAL generate_series(1, 2 + (hashtext(c.customer_id) & 7)) k;

INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT customer_id, 'invoice', 'INV-' || row_number() OVER (), doc_date, doc_date + 30, amount, currency
  FROM gen_invoice;

-- payments: 70 % of invoices paid in full, 15 % in part, after 5 to 90 days
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT customer_id, 'payment', 'PAY ' || (1000000 + (random() * 8999999)::int),
       doc_date + 5 + (random() * random() * 85)::int,
       -CASE WHEN fate < 0.70 THEN amount ELSE round(amount * (0.2 + random() * 0.6)::numeric, 2) END,
       currency
  FROM gen_invoice WHERE fate < 0.85;

-- credit notes on 8 % of invoices
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT customer_id, 'credit_note', 'AV-' || (random() * 1e6)::int, doc_date + 10,
       -round(amount * 0.1, 2), currency
  FROM gen_invoice WHERE fate BETWEEN 0.85 AND 0.93;

CREATE TEMP TABLE gen_last AS SELECT max(doc_date) AS doc_date FROM dunning.entry;
DROP TABLE gen_invoice;

-- the follow-up: one customer in twenty insured; an open call for one in
-- ten, due around the end of the ledger
UPDATE dunning.customer SET insured = true WHERE abs(hashtext(customer_id)) % 20 = 0;
INSERT INTO dunning.action (customer_id, kind, entry_ids, due_on, owner, title)
SELECT c.customer_id, 'call', ARRAY(SELECT e.entry_id FROM dunning.entry e
                                     WHERE e.customer_id = c.customer_id AND e.kind = 'invoice'
                                     ORDER BY e.entry_id LIMIT 2),
       (SELECT max(doc_date) FROM gen_last) - 20 + (random() * 40)::int, c.manager_id, 'call back'
  FROM dunning.customer c
 WHERE abs(hashtext(c.customer_id)) % 10 = 1;
ANALYZE;
