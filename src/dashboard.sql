
-------------------------------------------------------------------------------
-- The dashboard: per currency, what is open and overdue, and, from credit
-- control, who is on hold (README "Views and their function twins")
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.dashboard(as_of date)
RETURNS TABLE (
    currency            text,
    receivables         numeric,
    not_due             numeric,
    overdue             numeric,
    unapplied           numeric,
    balance             numeric,
    overdue_pct         numeric,
    customers           bigint,
    late_customers      bigint,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    max_days_overdue    integer,
    as_of               date,
    customers_on_hold   bigint,
    exposure_over_limit numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- each part planned on its own (MATERIALIZED): the open items' totals as
-- before, then credit control's (credit.sql) customers on hold and
-- exposure beyond limits, three rows joined to three
WITH s AS MATERIALIZED (
    SELECT o.currency,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue IS NOT NULL), 0) AS receivables,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue <= 0), 0) AS not_due,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue > 0), 0) AS overdue,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue IS NULL), 0) AS unapplied,
           count(DISTINCT o.customer_id) AS customers,
           count(DISTINCT o.customer_id) FILTER (
               WHERE o.days_overdue > 0) AS late_customers,
           count(*) AS open_items,
           count(*) FILTER (
               WHERE o.days_overdue > 0) AS overdue_items,
           min(o.due_date) FILTER (
               WHERE o.days_overdue > 0) AS oldest_due_date,
           max(o.days_overdue) FILTER (
               WHERE o.days_overdue > 0) AS max_days_overdue
      FROM @extschema@.open_items($1) o
     GROUP BY o.currency
), h AS MATERIALIZED (
    SELECT cs.currency,
            count(DISTINCT cs.customer_id) FILTER (WHERE cs.hold) AS customers_on_hold,
            sum(greatest(cs.exposure - cs.credit_limit, 0)) AS exposure_over_limit
       FROM @extschema@.credit_status($1) cs
      GROUP BY cs.currency
)
SELECT s.currency, s.receivables, s.not_due, s.overdue, s.unapplied,
       s.receivables + s.unapplied,
       round(100 * s.overdue / nullif(s.receivables, 0), 1),
       s.customers, s.late_customers, s.open_items, s.overdue_items,
       s.oldest_due_date, s.max_days_overdue, $1,
       coalesce(h.customers_on_hold, 0), coalesce(h.exposure_over_limit, 0)
  FROM s
  LEFT JOIN h ON h.currency = s.currency;
END;
COMMENT ON FUNCTION @extschema@.dashboard(date) IS
    'per currency on a day: receivables, not due, overdue, unapplied credits, late customers, oldest overdue, customers on hold, exposure over limit';

CREATE VIEW @extschema@.dashboard WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.dashboard(@extschema@.as_of());
COMMENT ON VIEW @extschema@.dashboard IS
    'per currency as of dunning.as_of(): receivables, overdue, late customers, oldest overdue';

-- The dashboard per company (customer_company) and currency: the same
-- measures, for a database where several companies dun their customers.
CREATE FUNCTION @extschema@.dashboard_by_company(as_of date)
RETURNS TABLE (
    company_id          text,
    currency            text,
    receivables         numeric,
    not_due             numeric,
    overdue             numeric,
    unapplied           numeric,
    balance             numeric,
    overdue_pct         numeric,
    customers           bigint,
    late_customers      bigint,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    max_days_overdue    integer,
    as_of               date,
    customers_on_hold   bigint,
    exposure_over_limit numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
WITH s AS MATERIALIZED (
    SELECT cc.company_id, o.currency,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue IS NOT NULL), 0) AS receivables,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue <= 0), 0) AS not_due,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue > 0), 0) AS overdue,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue IS NULL), 0) AS unapplied,
           count(DISTINCT o.customer_id) AS customers,
           count(DISTINCT o.customer_id) FILTER (WHERE o.days_overdue > 0) AS late_customers,
           count(*) AS open_items,
           count(*) FILTER (WHERE o.days_overdue > 0) AS overdue_items,
           min(o.due_date) FILTER (WHERE o.days_overdue > 0) AS oldest_due_date,
           max(o.days_overdue) FILTER (WHERE o.days_overdue > 0) AS max_days_overdue
      FROM @extschema@.open_items($1) o
      JOIN @extschema@.customer_company cc ON cc.customer_id = o.customer_id
     GROUP BY cc.company_id, o.currency
), h AS MATERIALIZED (
    SELECT cc.company_id, cs.currency,
           count(DISTINCT cs.customer_id) FILTER (WHERE cs.hold) AS customers_on_hold,
           sum(greatest(cs.exposure - cs.credit_limit, 0)) AS exposure_over_limit
      FROM @extschema@.credit_status($1) cs
      JOIN @extschema@.customer_company cc ON cc.customer_id = cs.customer_id
     GROUP BY cc.company_id, cs.currency
)
SELECT s.company_id, s.currency, s.receivables, s.not_due, s.overdue, s.unapplied,
       s.receivables + s.unapplied,
       round(100 * s.overdue / nullif(s.receivables, 0), 1),
       s.customers, s.late_customers, s.open_items, s.overdue_items,
       s.oldest_due_date, s.max_days_overdue, $1,
       coalesce(h.customers_on_hold, 0), coalesce(h.exposure_over_limit, 0)
  FROM s
  LEFT JOIN h ON h.company_id IS NOT DISTINCT FROM s.company_id AND h.currency = s.currency
 ORDER BY s.company_id, s.currency;
END;
COMMENT ON FUNCTION @extschema@.dashboard_by_company(date) IS
    'the dashboard per company and currency on a day';

CREATE VIEW @extschema@.dashboard_by_company WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.dashboard_by_company(@extschema@.as_of());
COMMENT ON VIEW @extschema@.dashboard_by_company IS
    'the dashboard per company and currency as of dunning.as_of()';
