-- Open items, aged balance and dashboard, as of any day.
CREATE EXTENSION dunning;
SET datestyle = ISO;

INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('claire', 'Claire Martin'), ('paul', 'Paul Leroy');
INSERT INTO dunning.customer (customer_id, name, language, manager_id)
VALUES ('C1', 'Boulangerie Dupont', 'fr', 'claire'),
       ('C2', 'Acme Ltd', 'en', 'paul'),
       ('C3', 'Zed GmbH', 'en', 'paul');

-- C1: three invoices, a credit note, a payment in March that settles F1 and
-- part of F2.  C2: invoices in two currencies and an unapplied payment.
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('C1', 1, 'invoice',     'F1',  '2025-01-10', '2025-02-09',  1200, 'EUR'),
       ('C1', 2, 'invoice',     'F2',  '2025-02-05', '2025-03-07',   800, 'EUR'),
       ('C1', 3, 'credit_note', 'AV1', '2025-02-20', NULL,          -200, 'EUR'),
       ('C1', 4, 'payment',     'P1',  '2025-03-10', NULL,         -1500, 'EUR'),
       ('C1', 5, 'invoice',     'F3',  '2025-03-01', '2025-03-31',   500, 'EUR'),
       ('C2', 6, 'invoice',     'A-17','2024-10-15', '2024-11-14',  1000, 'USD'),
       ('C2', 7, 'invoice',     'A-18','2025-01-20', '2025-02-19',   250, 'EUR'),
       ('C2', 8, 'payment',     'W-1', '2025-03-05', NULL,          -100, 'EUR'),
       ('C3', 9, 'invoice',     'Z-1', '2025-04-01', '2025-05-01',   999, 'EUR');
INSERT INTO dunning.lettering (customer_id, letter_code, partial) VALUES ('C1', 'aaa', true);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 1, 3,  200),   -- dated 2025-02-20
       ('C1', 'aaa', 1, 4, 1000),   -- dated 2025-03-10
       ('C1', 'aaa', 2, 4,  500);   -- dated 2025-03-10

-- Today (2025-03-31): F1 settled, F2 300 open, F3 due today.
SET dunning.as_of = '2025-03-31';
SELECT dunning.as_of();
SELECT customer_id, ref, due_date, currency, amount, open_amount, days_overdue, bucket
  FROM dunning.open_items ORDER BY customer_id, entry_id;
SELECT customer_id, currency, not_due, overdue_1_30, overdue_31_60, overdue_61_90,
       overdue_91_120, overdue_over_120, unapplied, overdue, total, open_items, overdue_items, oldest_due_date
  FROM dunning.aged_balance ORDER BY customer_id, currency;

-- Back on 2025-02-28 the March payment had not come: F1 was open for 1,000
-- (the credit note of 2025-02-20 was already applied), F2 not yet due, and
-- F3 and C3's invoice did not exist.
SET dunning.as_of = '2025-02-28';
SELECT customer_id, ref, currency, amount, open_amount, days_overdue, bucket
  FROM dunning.open_items ORDER BY customer_id, entry_id;
SELECT customer_id, currency, not_due, overdue_1_30, overdue_31_60, overdue_over_120, unapplied, total
  FROM dunning.aged_balance ORDER BY customer_id, currency;

-- The function twins take the date; the views follow the setting.
SELECT customer_id, currency, total FROM dunning.aged_balance('2025-02-15') ORDER BY 1, 2;
SELECT count(*) FROM dunning.open_items('2024-01-01');
RESET dunning.as_of;
SELECT (SELECT count(*) FROM dunning.open_items) = (SELECT count(*) FROM dunning.open_items(current_date)) AS today;

-- Dashboard per currency.
SELECT currency, receivables, not_due, overdue, unapplied, balance, overdue_pct,
       customers, late_customers, open_items, overdue_items, oldest_due_date, max_days_overdue
  FROM dunning.dashboard('2025-03-31') ORDER BY currency;

-- Buckets of one's own, labelled in French.
SELECT customer_id, currency, bucket, label, amount, items
  FROM dunning.aged_buckets('2025-03-31', '{..0,1..15,16..45,46..}', 'fr')
 ORDER BY customer_id, currency, bucket;

-- Bad input.
SELECT * FROM dunning.aged_balance(NULL);
SELECT * FROM dunning.open_items('infinity');
SELECT * FROM dunning.aged_buckets('2025-03-31', '{1..30,20..40}');
SET dunning.as_of = '2025-02-30';
SET dunning.as_of = 'yesterday';
SHOW dunning.as_of;

DROP EXTENSION dunning;
