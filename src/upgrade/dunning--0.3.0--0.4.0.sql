\echo Use "ALTER EXTENSION dunning UPDATE TO '0.4.0'" to load this file. \quit
-------------------------------------------------------------------------------
-- 0.4.0: the aged balance as one scan of the open entries
--
-- Same columns and rows as before.  0.3.0 read the open items through
-- open_items(), whose left join to the allocations dated after the day
-- hashed every entry's key even when no allocation was that late, and
-- computed the line's totals in SQL from an array.  Now, when no
-- allocation is dated after the day (a ledger lettered up to it), the open
-- entries are read and summed as they are, without the join.  Twelve
-- aggregates sharing one transition give the whole line from integer sums
-- (src/balance.c).
-------------------------------------------------------------------------------
DROP VIEW @extschema@.aged_balance;
DROP FUNCTION @extschema@.aged_balance(date);
DROP AGGREGATE @extschema@._aged_sums(integer, numeric);
DROP FUNCTION @extschema@._aged_final(internal);
DROP FUNCTION @extschema@._aged_accum(internal, integer, numeric);

-- private: open_amount <> 0, without copying each short numeric out of its
-- row (src/balance.c); estimated by the planner as open_amount <> 0
CREATE FUNCTION @extschema@._is_open_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_is_open_support'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._is_open(numeric) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_open'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SUPPORT @extschema@._is_open_support;

-- private: the columns of the aged balance's line, as twelve aggregates
-- sharing one transition (src/balance.c): the executor keeps one state per
-- customer and currency and calls _aged_line_accum once per row; each final
-- function reads its column.  A negative amount is an unapplied credit, a
-- positive one goes to the bucket of its days overdue on as_of; each row is
-- an open item.
CREATE FUNCTION @extschema@._aged_line_accum(internal, date, date, numeric) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_aged_line_accum'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._aged_unapplied_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_unapplied'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_unapplied(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_unapplied_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_not_due_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_not_due'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_not_due(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_not_due_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_1_30_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_1_30'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_1_30(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_1_30_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_31_60_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_31_60'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_31_60(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_31_60_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_61_90_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_61_90'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_61_90(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_61_90_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_91_120_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_91_120'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_91_120(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_91_120_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_over_120_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_over_120'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_over_120(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_over_120_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_total_final(internal) RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_aged_total'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_total(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_total_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_open_items_final(internal) RETURNS bigint
    AS 'MODULE_PATHNAME', 'dunning_aged_open_items'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_open_items(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_open_items_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_overdue_items_final(internal) RETURNS bigint
    AS 'MODULE_PATHNAME', 'dunning_aged_overdue_items'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_overdue_items(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_overdue_items_final, PARALLEL = SAFE
);
CREATE FUNCTION @extschema@._aged_oldest_due_date_final(internal) RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_aged_oldest_due_date'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._aged_oldest_due_date(as_of date, due date, amount numeric) (
    SFUNC = @extschema@._aged_line_accum, STYPE = internal, SSPACE = 192,
    FINALFUNC = @extschema@._aged_oldest_due_date_final, PARALLEL = SAFE
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
-- (SELECT _as_of_arg($1)) is an init plan: the day is checked once per
-- query.  Two branches, one of which runs (the other's one-time filter is
-- false).  With no allocation dated after the day (a ledger lettered up to
-- it), the entries open on the day are the entries open now, summed as they
-- are.  Otherwise open_items() takes back what later allocations took, with
-- its left join.  The twelve aggregates of a branch have the same
-- arguments, so they share one state per customer and currency: the day is
-- passed as $1, not as the init plan (whose every use is a parameter of
-- its own).
SELECT p.customer_id, c.name, c.manager_id, p.currency,
       p.not_due, p.overdue_1_30, p.overdue_31_60, p.overdue_61_90,
       p.overdue_91_120, p.overdue_over_120, p.unapplied, p.overdue, p.total,
       p.open_items, p.overdue_items, p.oldest_due_date, (SELECT @extschema@._as_of_arg($1))
  FROM (SELECT e.customer_id, e.currency,
               @extschema@._aged_not_due($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS not_due,
               @extschema@._aged_overdue_1_30($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_1_30,
               @extschema@._aged_overdue_31_60($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_31_60,
               @extschema@._aged_overdue_61_90($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_61_90,
               @extschema@._aged_overdue_91_120($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_91_120,
               @extschema@._aged_overdue_over_120($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_over_120,
               @extschema@._aged_unapplied($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS unapplied,
               @extschema@._aged_overdue($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue,
               @extschema@._aged_total($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS total,
               @extschema@._aged_open_items($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS open_items,
               @extschema@._aged_overdue_items($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS overdue_items,
               @extschema@._aged_oldest_due_date($1, coalesce(e.due_date, e.doc_date), e.open_amount) AS oldest_due_date
          FROM @extschema@.entry e
         WHERE e.doc_date OPERATOR(pg_catalog.<=) (SELECT @extschema@._as_of_arg($1))
           AND @extschema@._is_open(e.open_amount)
         GROUP BY e.customer_id, e.currency) p
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) p.customer_id
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL    -- checked even on an empty ledger
   AND NOT EXISTS (SELECT FROM @extschema@.allocation a
                 WHERE a.allocated_on OPERATOR(pg_catalog.>) (SELECT @extschema@._as_of_arg($1)))
UNION ALL
SELECT p.customer_id, c.name, c.manager_id, p.currency,
       p.not_due, p.overdue_1_30, p.overdue_31_60, p.overdue_61_90,
       p.overdue_91_120, p.overdue_over_120, p.unapplied, p.overdue, p.total,
       p.open_items, p.overdue_items, p.oldest_due_date, (SELECT @extschema@._as_of_arg($1))
  FROM (SELECT o.customer_id, o.currency,
               @extschema@._aged_not_due($1, o.due_date, o.open_amount) AS not_due,
               @extschema@._aged_overdue_1_30($1, o.due_date, o.open_amount) AS overdue_1_30,
               @extschema@._aged_overdue_31_60($1, o.due_date, o.open_amount) AS overdue_31_60,
               @extschema@._aged_overdue_61_90($1, o.due_date, o.open_amount) AS overdue_61_90,
               @extschema@._aged_overdue_91_120($1, o.due_date, o.open_amount) AS overdue_91_120,
               @extschema@._aged_overdue_over_120($1, o.due_date, o.open_amount) AS overdue_over_120,
               @extschema@._aged_unapplied($1, o.due_date, o.open_amount) AS unapplied,
               @extschema@._aged_overdue($1, o.due_date, o.open_amount) AS overdue,
               @extschema@._aged_total($1, o.due_date, o.open_amount) AS total,
               @extschema@._aged_open_items($1, o.due_date, o.open_amount) AS open_items,
               @extschema@._aged_overdue_items($1, o.due_date, o.open_amount) AS overdue_items,
               @extschema@._aged_oldest_due_date($1, o.due_date, o.open_amount) AS oldest_due_date
          FROM @extschema@.open_items($1) o
         GROUP BY o.customer_id, o.currency) p
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) p.customer_id
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL
   AND EXISTS (SELECT FROM @extschema@.allocation a
                 WHERE a.allocated_on OPERATOR(pg_catalog.>) (SELECT @extschema@._as_of_arg($1)))
$$;
COMMENT ON FUNCTION @extschema@.aged_balance(date) IS
    'aged balance per customer and currency on a day: not due, 1-30, 31-60, 61-90, 91-120, over 120 days, unapplied credits, total';

CREATE VIEW @extschema@.aged_balance WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';
-------------------------------------------------------------------------------
-- 0.4.0: no NaN or infinite amount where an amount is meant
--
-- numeric accepts 'NaN', 'Infinity' and '-Infinity', and the tables' own
-- checks let them through (NaN sorts above every number, so an invoice of
-- NaN is "> 0"): an ERP inserting one would have had an invoice no
-- lettering can settle and a proposal whose totals are NaN.  The functions
-- refused them already (bad_input.sql); now the tables do too, like the
-- infinite days of 0.3.0.  _is_finite reads the numeric's header, cheaper
-- than two comparisons on the entry updates of lettering.  The maintained
-- columns (open amounts, a reminder's totals) come from these.
-------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._is_finite(numeric) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_finite'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $do$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES ('entry', 'amount'), ('entry', 'disputed_amount'), ('allocation', 'amount'),
                                   ('lettering', 'writeoff'), ('customer', 'credit_limit'),
                                   ('promise', 'amount'), ('installment', 'amount'),
                                   ('policy', 'min_balance'), ('policy', 'compensation'), ('policy', 'interest_rate'),
                                   ('level', 'min_amount'), ('level', 'fee'),
                                   ('level_amount', 'min_amount'), ('level_amount', 'fee'),
                                   ('reference_rate', 'rate')) v(t, col) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I CHECK (@extschema@._is_finite(%I))',
                                  c.t, c.t || '_' || c.col || '_finite', c.col);
    END LOOP;
END
$do$;
