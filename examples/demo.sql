-- The demo: a credit manager's first look at a real ledger.
\pset footer off
\pset null ''
CREATE EXTENSION dunning;
\i examples/load_sample.sql

\echo
\echo '== The ledger: 2,466 invoices of 2012-2013 and their payments, each posted on its date'
SELECT kind, count(*) AS entries, sum(amount) AS amount FROM dunning.entry GROUP BY kind ORDER BY kind;

\echo
\echo '== Lettering by reference (dunning.auto_letter): lines lettered, and the groups of one customer'
\echo 'lines lettered:' :lettered_lines
SELECT f.entry_id, e.kind, e.ref, e.doc_date, e.amount, f."EcritureLet", f."DateLet"
  FROM dunning.fec_lettering f JOIN dunning.entry e USING (customer_id, entry_id)
 WHERE f.customer_id = '0379-NEVHP' ORDER BY f."EcritureLet", e.amount DESC LIMIT 6;

-- Look at the books as they stood on 30 June 2013.
SET dunning.as_of = '2013-06-30';

\echo
\echo '== Dashboard as of 2013-06-30'
SELECT currency, receivables, not_due, overdue, overdue_pct, customers, late_customers,
       overdue_items, oldest_due_date, max_days_overdue
  FROM dunning.dashboard;

\echo
\echo '== Aged balance as of 2013-06-30: the ten customers with the most overdue'
SELECT customer_id, manager_id AS manager, currency, not_due, overdue_1_30 AS "1-30",
       overdue_31_60 AS "31-60", overdue_61_90 AS "61-90", overdue_91_120 AS "91-120",
       overdue_over_120 AS "120+", total
  FROM dunning.aged_balance
 ORDER BY overdue DESC, customer_id
 LIMIT 10;

\echo
\echo '== Open items of the most overdue customer'
SELECT o.ref, o.doc_date, o.due_date, o.open_amount, o.days_overdue, dunning.label(o.bucket) AS bucket
  FROM dunning.open_items o
 WHERE o.customer_id = (SELECT customer_id FROM dunning.aged_balance ORDER BY overdue DESC, customer_id LIMIT 1)
 ORDER BY o.due_date;

\echo
\echo '== Claire''s portfolio by bucket, in French, with buckets of her own'
SELECT b.label AS tranche, count(DISTINCT b.customer_id) AS clients, sum(b.items) AS pieces, sum(b.amount) AS montant
  FROM dunning.aged_buckets(dunning.as_of(), '{..-16,-15..0,1..7,8..15,16..}', 'fr') b
  JOIN dunning.customer c USING (customer_id)
 WHERE c.manager_id = 'claire'
 GROUP BY b.bucket, b.label ORDER BY b.bucket;

\echo
\echo '== Overdue at each month end of 2013 (the same ledger, as of each day)'
SELECT d.as_of, s.receivables, s.overdue, s.overdue_pct, s.late_customers
  FROM (SELECT (g + interval '1 month' - interval '1 day')::date AS as_of
          FROM generate_series('2013-01-01'::date, '2013-12-01', '1 month') g) d,
       LATERAL dunning.dashboard(d.as_of) s
 ORDER BY d.as_of;
