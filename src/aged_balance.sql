
-------------------------------------------------------------------------------
-- 0.3.0: the aged balance in one aggregation
--
-- Same columns and rows as 0.2.0's; dropped and created again (its view
-- too) because a released file is not edited.
-------------------------------------------------------------------------------
DROP VIEW @extschema@.aged_balance;
DROP FUNCTION @extschema@.aged_balance(date);

-- private: the aged balance's aggregate (src/balance.c): one transition per
-- open item puts its open amount in its bucket; numeric[9] of the sums
-- (unapplied, not due, 1-30, 31-60, 61-90, 91-120, over 120) and the
-- numbers of items and of overdue items
CREATE FUNCTION @extschema@._aged_accum(internal, integer, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_aged_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._aged_final(internal) RETURNS numeric[]
    AS 'MODULE_PATHNAME', 'dunning_aged_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_sums(days_overdue integer, open_amount numeric) (
    SFUNC = @extschema@._aged_accum,
    STYPE = internal,
    SSPACE = 256,
    FINALFUNC = @extschema@._aged_final,
    PARALLEL = SAFE
);

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
-- One pass over the open items, one aggregate call per item: _aged_sums
-- puts each open amount in its bucket (src/balance.c).  0.2.0 grouped by
-- bucket and pivoted the groups, two aggregations, the second keeping ten
-- numeric sums per customer (it spilled to disk).
SELECT p.customer_id, c.name, c.manager_id, p.currency,
       p.s[2], p.s[3], p.s[4], p.s[5], p.s[6], p.s[7], p.s[1],
       p.s[3] OPERATOR(pg_catalog.+) p.s[4] OPERATOR(pg_catalog.+) p.s[5]
           OPERATOR(pg_catalog.+) p.s[6] OPERATOR(pg_catalog.+) p.s[7],
       p.s[1] OPERATOR(pg_catalog.+) p.s[2] OPERATOR(pg_catalog.+) p.s[3]
           OPERATOR(pg_catalog.+) p.s[4] OPERATOR(pg_catalog.+) p.s[5]
           OPERATOR(pg_catalog.+) p.s[6] OPERATOR(pg_catalog.+) p.s[7],
       p.s[8]::bigint, p.s[9]::bigint, p.oldest, $1
  FROM (SELECT o.customer_id, o.currency,
               @extschema@._aged_sums(o.days_overdue, o.open_amount) AS s,
               pg_catalog.min(o.due_date) FILTER (WHERE o.days_overdue OPERATOR(pg_catalog.>) 0) AS oldest
          FROM @extschema@.open_items($1) o
         GROUP BY o.customer_id, o.currency) p
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) p.customer_id
$$;
COMMENT ON FUNCTION @extschema@.aged_balance(date) IS
    'aged balance per customer and currency on a day: not due, 1-30, 31-60, 61-90, 91-120, over 120 days, unapplied credits, total';

CREATE VIEW @extschema@.aged_balance AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';
