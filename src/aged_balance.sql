
-------------------------------------------------------------------------------
-- 0.3.0: the aged balance without a running sum per bucket
--
-- Same columns and rows as 0.2.0's; dropped and created again (its view
-- too) because a released file is not edited.
-------------------------------------------------------------------------------
DROP VIEW @extschema@.aged_balance;
DROP FUNCTION @extschema@.aged_balance(date);

CREATE FUNCTION @extschema@.aged_balance(as_of date)
RETURNS TABLE (
    customer_id         text,
    name                text,
    manager_id          text,
    currency            text,
    not_due             numeric,
    overdue_1_30        numeric,
    overdue_31_60       numeric,
    overdue_61_90       numeric,
    overdue_91_120      numeric,
    overdue_over_120    numeric,
    unapplied           numeric,
    overdue             numeric,
    total               numeric,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
-- One pass over the open items sums them by customer, currency and bucket
-- number k (0 unapplied credits, 1 not due, 2 to 6 the overdue buckets):
-- one expression and one sum per item, as cheap as a plain GROUP BY.  The
-- few rows per customer are then turned into columns: each (customer,
-- currency, k) is one row, so a bucket's column is its only value (max, no
-- running sum to keep per group: 0.2.0's sums kept ten numeric states per
-- customer and spilled to disk), and the totals are added up from them.
SELECT p.customer_id, c.name, c.manager_id, p.currency,
       p.not_due, p.d1_30, p.d31_60, p.d61_90, p.d91_120, p.d121, p.unapplied,
       p.d1_30 OPERATOR(pg_catalog.+) p.d31_60 OPERATOR(pg_catalog.+) p.d61_90
           OPERATOR(pg_catalog.+) p.d91_120 OPERATOR(pg_catalog.+) p.d121,
       p.unapplied OPERATOR(pg_catalog.+) p.not_due OPERATOR(pg_catalog.+) p.d1_30
           OPERATOR(pg_catalog.+) p.d31_60 OPERATOR(pg_catalog.+) p.d61_90
           OPERATOR(pg_catalog.+) p.d91_120 OPERATOR(pg_catalog.+) p.d121,
       p.open_items, p.overdue_items, p.oldest_due_date, $1
  FROM (SELECT k.customer_id, k.currency,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 1), 0) AS not_due,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 2), 0) AS d1_30,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 3), 0) AS d31_60,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 4), 0) AS d61_90,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 5), 0) AS d91_120,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 6), 0) AS d121,
               coalesce(pg_catalog.max(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 0), 0) AS unapplied,
               pg_catalog.sum(k.items)::bigint AS open_items,
               coalesce(pg_catalog.sum(k.items) FILTER (WHERE k.k OPERATOR(pg_catalog.>=) 2), 0)::bigint AS overdue_items,
               pg_catalog.min(k.oldest) FILTER (WHERE k.k OPERATOR(pg_catalog.>=) 2) AS oldest_due_date
          FROM (SELECT o.customer_id, o.currency,
                       CASE WHEN o.amount OPERATOR(pg_catalog.<) 0 THEN 0
                            ELSE pg_catalog.width_bucket(o.days_overdue,
                                     '{1,31,61,91,121}'::pg_catalog.int4[]) OPERATOR(pg_catalog.+) 1
                       END AS k,
                       pg_catalog.sum(o.open_amount) AS amount,
                       pg_catalog.count(*) AS items,
                       pg_catalog.min(o.due_date) AS oldest
                  FROM @extschema@.open_items($1) o
                 GROUP BY 1, 2, 3) k
         GROUP BY k.customer_id, k.currency) p
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) p.customer_id
$$;
COMMENT ON FUNCTION @extschema@.aged_balance(date) IS
    'aged balance per customer and currency on a day: not due, 1-30, 31-60, 61-90, 91-120, over 120 days, unapplied credits, total';

CREATE VIEW @extschema@.aged_balance AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';
