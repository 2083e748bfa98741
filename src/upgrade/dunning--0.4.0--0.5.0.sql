\echo Use "ALTER EXTENSION dunning UPDATE TO '0.5.0'" to load this file. \quit
-------------------------------------------------------------------------------
-- 0.5.0: the aged balance in one pass (src/balance.c)
--
-- Same columns and rows as before.  0.4.0 grouped the open entries by
-- customer and currency in a hash aggregate (two collatable texts hashed
-- and compared for every entry), finished twelve aggregates per line and
-- joined the customers for their names.  aged_balance(as_of) is now a C
-- function: it reads the customers, then the ledger's open entries, through
-- SPI with the caller's rights and row security, and adds each entry to its
-- customer's line for its currency in a hash table of its own.  The
-- private aggregates of 0.4.0 and _is_open, which only they used, go.
-- A filter on the view no longer reaches the entry index: for some
-- customers, aged_balance(as_of, customer_ids) reads only their entries.
-------------------------------------------------------------------------------
DROP VIEW @extschema@.aged_balance;
DROP FUNCTION @extschema@.aged_balance(date);
DROP AGGREGATE @extschema@._aged_unapplied(date, date, numeric);
DROP FUNCTION @extschema@._aged_unapplied_final(internal);
DROP AGGREGATE @extschema@._aged_not_due(date, date, numeric);
DROP FUNCTION @extschema@._aged_not_due_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_1_30(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_1_30_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_31_60(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_31_60_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_61_90(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_61_90_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_91_120(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_91_120_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_over_120(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_over_120_final(internal);
DROP AGGREGATE @extschema@._aged_overdue(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_final(internal);
DROP AGGREGATE @extschema@._aged_total(date, date, numeric);
DROP FUNCTION @extschema@._aged_total_final(internal);
DROP AGGREGATE @extschema@._aged_open_items(date, date, numeric);
DROP FUNCTION @extschema@._aged_open_items_final(internal);
DROP AGGREGATE @extschema@._aged_overdue_items(date, date, numeric);
DROP FUNCTION @extschema@._aged_overdue_items_final(internal);
DROP AGGREGATE @extschema@._aged_oldest_due_date(date, date, numeric);
DROP FUNCTION @extschema@._aged_oldest_due_date_final(internal);
DROP FUNCTION @extschema@._aged_line_accum(internal, date, date, numeric);
DROP FUNCTION @extschema@._is_open(numeric);
DROP FUNCTION @extschema@._is_open_support(internal);

-- private: the planner's row estimate of aged_balance(), the number of
-- customers (a C set-returning function is otherwise estimated at 1,000)
CREATE FUNCTION @extschema@._aged_balance_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_aged_balance_support'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

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
AS 'MODULE_PATHNAME', 'dunning_aged_balance'
LANGUAGE C STABLE PARALLEL SAFE
SUPPORT @extschema@._aged_balance_support;
COMMENT ON FUNCTION @extschema@.aged_balance(date) IS
    'aged balance per customer and currency on a day: not due, 1-30, 31-60, 61-90, 91-120, over 120 days, unapplied credits, total';

-- the aged balance of some customers: their entries are read by the index
-- (a filter on the view is applied to the whole pass)
CREATE FUNCTION @extschema@.aged_balance(as_of date, customer_ids text[])
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
AS 'MODULE_PATHNAME', 'dunning_aged_balance'
LANGUAGE C STABLE PARALLEL SAFE
ROWS 10;
COMMENT ON FUNCTION @extschema@.aged_balance(date, text[]) IS
    'aged balance of the customers given, per currency, on a day';

CREATE VIEW @extschema@.aged_balance WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';
