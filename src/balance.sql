
-------------------------------------------------------------------------------
-- Open items, aged balance and dashboard
--
-- Each view is computed as of dunning.as_of() and has a function twin of
-- the same name taking the date.  As-of is retrospective: entries dated
-- after the day and allocations dated after it are ignored, so the view
-- shows the ledger as it stood that day.  The twins are plain SQL
-- functions that the planner inlines, so a filter on the view (one
-- customer, one currency) reaches the tables; the aged balance is one pass
-- in C (src/balance.c), so a filter on its view is applied to the whole
-- pass and aged_balance(as_of, customer_ids) reads only some customers.
--
-- The views read their tables with the privileges and the row security of
-- the role that queries them (security_invoker), not of the extension's
-- owner: without it a view would show every customer to whoever may read
-- it (security.sql).
-------------------------------------------------------------------------------

-- private: what the allocations dated after a day took from each entry
-- (a debit's amount back, a credit's back as a negative amount)
CREATE FUNCTION @extschema@._taken_back(as_of date)
RETURNS TABLE (customer_id text, entry_id bigint, back numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- one read of the allocations, each giving its debit and its credit: a
-- UNION of two reads would be gathered on the coordinator of a distributed
-- ledger, where this is read on each shard
SELECT a.customer_id, x.entry_id, sum(x.back)
  FROM @extschema@.allocation a
 CROSS JOIN LATERAL (VALUES (a.debit_id, a.amount), (a.credit_id, - a.amount)) x(entry_id, back)
 WHERE a.allocated_on > $1
 GROUP BY a.customer_id, x.entry_id;
END;

CREATE FUNCTION @extschema@.open_items(as_of date)
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    bucket              @extschema@.aging,
    status              text,
    disputed_amount     numeric,
    excluded            boolean,
    payment_method      text,
    source              text,
    letter_code         text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- (SELECT _as_of_arg($1)) is an init plan: the date is checked and computed
-- once per query, not once per row
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date,
       coalesce(e.due_date, e.doc_date),
       e.currency, e.amount,
       CASE WHEN l.back IS NULL THEN e.open_amount ELSE e.open_amount + l.back END,
       CASE WHEN e.amount > 0
            THEN (SELECT @extschema@._as_of_arg($1)) - coalesce(e.due_date, e.doc_date) END,
       CASE WHEN e.amount > 0
            THEN @extschema@.bucket((SELECT @extschema@._as_of_arg($1)) -
                                    coalesce(e.due_date, e.doc_date)) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source,
       e.letter_code, e.level, e.reminder_count, e.last_reminded_on, (SELECT @extschema@._as_of_arg($1))
  FROM @extschema@.entry e
  -- allocations dated after the day are taken back
  LEFT JOIN @extschema@._taken_back($1) l
    ON l.customer_id = e.customer_id
   AND l.entry_id = e.entry_id
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL    -- checked even on an empty ledger
   AND e.doc_date <= (SELECT @extschema@._as_of_arg($1))
   AND (e.open_amount <> 0 OR l.entry_id IS NOT NULL);
END;
COMMENT ON FUNCTION @extschema@.open_items(date) IS
    'open entries of the ledger as it stood on a day, with days overdue and bucket';

-- The view adds, for BI tools, the bucket's label (in the language of the
-- setting dunning.language) and its first and last day as integers: a
-- tool filters and groups on those without knowing the type dunning.aging.
CREATE VIEW @extschema@.open_items WITH (security_invoker = true) AS
    SELECT o.*,
           @extschema@.label(o.bucket, coalesce(nullif(pg_catalog.current_setting('dunning.language', true), ''), 'en'))
               AS bucket_label,
           @extschema@.lower(o.bucket) AS bucket_from,
           @extschema@.upper(o.bucket) AS bucket_to
      FROM @extschema@.open_items(@extschema@.as_of()) o;
COMMENT ON VIEW @extschema@.open_items IS
    'open entries as of dunning.as_of(), with days overdue, bucket, its label (dunning.language) and its first and last day';


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

-- private: the aged balance as one SQL query grouped by customer and
-- currency, the same lines as aged_balance's pass in C.  src/distribute.c
-- puts it in place of aged_balance(...) on a distributed ledger, where it
-- is computed on each shard (the pass in C would read every entry into the
-- coordinator).
CREATE FUNCTION @extschema@._aged_balance_sql(as_of date, customer_ids text[])
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
BEGIN ATOMIC
-- a credit is an open amount below zero; a debit's days overdue decide its
-- bucket (not due below one day)
SELECT c.customer_id, c.name, c.manager_id, o.currency,
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days < 1), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 1 AND 30), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 31 AND 60), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 61 AND 90), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 91 AND 120), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days > 120), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount < 0), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days >= 1), 0),
       sum(o.open_amount),
       count(*),
       count(*) FILTER (WHERE o.open_amount > 0 AND o.days >= 1),
       min(o.due_date) FILTER (WHERE o.open_amount > 0 AND o.days >= 1),
       @extschema@._as_of_arg($1)
  FROM (SELECT i.customer_id, i.currency, i.open_amount, i.due_date,
               @extschema@._as_of_arg($1) - i.due_date AS days
          FROM @extschema@.open_items($1) i
         WHERE i.open_amount <> 0) o
  JOIN @extschema@.customer c ON c.customer_id = o.customer_id
 WHERE $2 IS NULL OR o.customer_id = ANY ($2)
 -- the customer's key from customer itself: Citus keeps a UNION of this
 -- with other lines on the shards only then (credit_status)
 GROUP BY c.customer_id, c.name, c.manager_id, o.currency;
END;

CREATE VIEW @extschema@.aged_balance WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';


CREATE FUNCTION @extschema@.aged_buckets(as_of date,
        scheme @extschema@.aging[] DEFAULT @extschema@.default_scheme(),
        language text DEFAULT 'en')
RETURNS TABLE (
    customer_id         text,
    currency            text,
    bucket              @extschema@.aging,
    label               text,
    amount              numeric,
    items               bigint,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT b.customer_id, b.currency, b.bucket,
       @extschema@.label(b.bucket, $3), b.amount, b.items, $1
  FROM (SELECT o.customer_id, o.currency,
               @extschema@.bucket(o.days_overdue, $2) AS bucket,
               sum(o.open_amount) AS amount,
               count(*) AS items
          FROM @extschema@.open_items($1) o
         WHERE o.days_overdue IS NOT NULL
         GROUP BY 1, 2, 3) b;
END;
COMMENT ON FUNCTION @extschema@.aged_buckets(date, @extschema@.aging[], text) IS
    'open debits per customer, currency and bucket of any scheme, one row per bucket, labelled';
