-- Plain-SQL aged balance: CASE buckets over the open entries as of :'asof'.
-- (The generated ledger has no allocation dated after its last entry, so
-- open_amount is what was open that day.)
CREATE TEMP TABLE ref_aged AS
SELECT e.customer_id, c.name, c.manager_id, e.currency,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) <= 0), 0) AS not_due,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) BETWEEN 1 AND 30), 0) AS d1_30,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) BETWEEN 31 AND 60), 0) AS d31_60,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) BETWEEN 61 AND 90), 0) AS d61_90,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) BETWEEN 91 AND 120), 0) AS d91_120,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount > 0 AND :'asof'::date - coalesce(e.due_date, e.doc_date) > 120), 0) AS d121,
       coalesce(sum(e.open_amount) FILTER (WHERE e.amount < 0), 0) AS unapplied,
       sum(e.open_amount) AS total
  FROM dunning.entry e
  JOIN dunning.customer c ON c.customer_id = e.customer_id
 WHERE e.open_amount <> 0 AND e.doc_date <= :'asof'::date
 GROUP BY e.customer_id, c.name, c.manager_id, e.currency;
