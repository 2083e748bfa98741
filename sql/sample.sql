-- The real sample ledger (examples/data/accounts-receivable-sample.csv):
-- for any past day, the aged balance holds exactly the invoices open that
-- day, issued on or before it and settled after it.  The expected figures
-- are computed here from the raw file alone, without the extension.
CREATE EXTENSION dunning;
SET datestyle = ISO;
\set ECHO none
\set QUIET on
\i examples/load_sample.sql
\set QUIET off
\set ECHO all

SELECT count(*) AS invoices, count(DISTINCT customer_id) AS customers,
       sum(invoice_amount) AS invoiced, min(invoice_date), max(settled_date)
  FROM ar_sample;
SELECT kind, count(*), sum(amount), sum(open_amount) AS open_now
  FROM dunning.entry GROUP BY kind ORDER BY kind;

-- Expected, from the raw file: per month end, per customer, per bucket.
CREATE TEMP TABLE expected AS
SELECT d.as_of, s.customer_id,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date <= 0) AS not_due,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date BETWEEN 1 AND 30) AS d1_30,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date BETWEEN 31 AND 60) AS d31_60,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date BETWEEN 61 AND 90) AS d61_90,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date BETWEEN 91 AND 120) AS d91_120,
       sum(s.invoice_amount) FILTER (WHERE d.as_of - s.due_date > 120) AS d121,
       sum(s.invoice_amount) AS total,
       count(*) AS items
  FROM (VALUES ('2012-12-31'::date), ('2013-06-30'::date)) d(as_of)
  JOIN ar_sample s ON s.invoice_date <= d.as_of AND s.settled_date > d.as_of
 GROUP BY d.as_of, s.customer_id;

-- The figures of the two month ends, from the raw file ...
SELECT as_of, count(*) AS customers, sum(items) AS open_invoices,
       sum(not_due) AS not_due, sum(d1_30) AS d1_30, sum(d31_60) AS d31_60,
       sum(d61_90) AS d61_90, sum(d91_120) AS d91_120, sum(d121) AS d121, sum(total) AS total
  FROM expected GROUP BY as_of ORDER BY as_of;

-- ... and from the extension: the same.
SELECT a.as_of, count(*) AS customers, sum(a.open_items) AS open_invoices,
       sum(a.not_due) AS not_due, sum(a.overdue_1_30) AS d1_30, sum(a.overdue_31_60) AS d31_60,
       sum(a.overdue_61_90) AS d61_90, sum(a.overdue_91_120) AS d91_120,
       sum(a.overdue_over_120) AS d121, sum(a.total) AS total
  FROM (VALUES ('2012-12-31'::date), ('2013-06-30'::date)) d(as_of),
       LATERAL dunning.aged_balance(d.as_of) a
 GROUP BY a.as_of ORDER BY a.as_of;

-- Customer by customer and bucket by bucket, no difference either way.
WITH got AS (
    SELECT a.as_of, a.customer_id,
           nullif(a.not_due, 0) AS not_due, nullif(a.overdue_1_30, 0) AS d1_30,
           nullif(a.overdue_31_60, 0) AS d31_60, nullif(a.overdue_61_90, 0) AS d61_90,
           nullif(a.overdue_91_120, 0) AS d91_120, nullif(a.overdue_over_120, 0) AS d121,
           a.total, a.open_items AS items
      FROM (VALUES ('2012-12-31'::date), ('2013-06-30'::date)) d(as_of),
           LATERAL dunning.aged_balance(d.as_of) a)
SELECT 'missing' AS side, count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM got) x
UNION ALL
SELECT 'extra', count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM expected) y;

-- The same invoices, item by item, on the last day of every month: one
-- statement a day (on a distributed ledger Citus runs each on the shards;
-- it takes no subquery per day over the ledger)
CREATE TEMP TABLE month_ends (as_of date, ok boolean);
DO $$
DECLARE
    d date;
    v_got text[];
    v_want text[];
BEGIN
    FOR d IN SELECT (g + interval '1 month' - interval '1 day')::date
               FROM generate_series('2012-01-01'::date, '2013-12-01', '1 month') g LOOP
        v_got := ARRAY(SELECT o.ref FROM dunning.open_items(d) o
                        WHERE o.kind = 'invoice' ORDER BY o.ref);
        v_want := ARRAY(SELECT s.invoice_number FROM ar_sample s
                         WHERE s.invoice_date <= d AND s.settled_date > d ORDER BY s.invoice_number);
        INSERT INTO month_ends VALUES (d, v_got = v_want);
    END LOOP;
END
$$;
SELECT count(*) AS month_ends_checked,
       count(*) FILTER (WHERE ok) AS month_ends_equal
  FROM month_ends;

-- Payments never stand open: each is lettered with its invoice on its own date.
SELECT count(*) AS open_payments FROM dunning.open_items('2013-06-30') WHERE amount < 0;

-- Dashboard at the half-year.
SELECT currency, receivables, not_due, overdue, overdue_pct, customers, late_customers,
       open_items, overdue_items, oldest_due_date, max_days_overdue
  FROM dunning.dashboard('2013-06-30');

DROP TABLE ar_sample;
DROP EXTENSION dunning;
