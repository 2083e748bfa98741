
-------------------------------------------------------------------------------
-- Credit control (README "Can we ship to this customer?")
--
-- A customer's credit limit, open orders (kept by the ERP) and the credit
-- insurer's cover are amounts in the currency of its policy: its credit
-- currency.  credit_status shows, per customer and currency, what it owes
-- and may still owe as of a day, and whether it is on hold and why;
-- can_ship answers an ERP's order line from the same rules.
-------------------------------------------------------------------------------

-- private: the reasons that hold a customer's line, in this order; the
-- names are written only here
CREATE FUNCTION @extschema@._hold_reasons(over_limit boolean, oldest_days_overdue integer,
                                          hold_overdue_days integer, level integer, hold_level integer,
                                          blocked boolean, litigation boolean,
                                          broken_promise boolean, broken_plan boolean)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT array_remove(ARRAY[CASE WHEN $1 THEN 'over_limit' END,
                          CASE WHEN $2 > $3 THEN 'overdue' END,
                          CASE WHEN $4 >= $5 THEN 'hold_level' END,
                          CASE WHEN $6 THEN 'blocked' END,
                          CASE WHEN $7 THEN 'litigation' END,
                          CASE WHEN $8 THEN 'broken_promise' END,
                          CASE WHEN $9 THEN 'broken_plan' END], NULL::text);
END;

-- private: the customers and currencies held by something besides their
-- amounts and levels: an open item in litigation, a broken promise or a
-- broken plan whose items are still open (statuses and open amounts as
-- they are now); one row per held customer and currency.  credit_status
-- joins it once (each part read in one pass: a look-up per line priced at
-- a correlated subquery's cost made the plan of a large ledger cost enough
-- for PostgreSQL's default JIT to optimize it for seconds); can_ship
-- filters it on one customer, which the planner pushes into each part.
CREATE FUNCTION @extschema@._held(as_of date)
RETURNS TABLE (customer_id text, currency text, litigation boolean, broken_promise boolean, broken_plan boolean)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT h.customer_id, h.currency, bool_or(h.why = 'litigation'), bool_or(h.why = 'broken_promise'),
       bool_or(h.why = 'broken_plan')
  FROM (SELECT e.customer_id, e.currency, 'litigation'::text AS why
          FROM @extschema@.entry e
         WHERE e.status = 'litigation' AND e.open_amount > 0
        UNION ALL
        SELECT pr.customer_id, pr.currency, 'broken_promise'::text
          FROM @extschema@.promise pr
          JOIN @extschema@.entry e
            ON e.customer_id = pr.customer_id AND e.entry_id = ANY (pr.entry_ids)
         WHERE pr.status = 'broken' AND pr.promised_on <= $1
           AND e.open_amount > 0
        UNION ALL
        SELECT pl.customer_id, pl.currency, 'broken_plan'::text
          FROM @extschema@.payment_plan pl
          JOIN @extschema@.entry e
            ON e.customer_id = pl.customer_id AND e.entry_id = ANY (pl.entry_ids)
         WHERE pl.status = 'broken' AND pl.agreed_on <= $1
           AND e.open_amount > 0) h
 GROUP BY h.customer_id, h.currency;
END;

-- Its sums are the aged balance's (one pass in C over the open items), so
-- as of a past day they are what they were that day.
CREATE FUNCTION @extschema@.credit_status(as_of date)
RETURNS TABLE (
    customer_id         text,
    name                text,
    manager_id          text,
    currency            text,
    credit_limit        numeric,
    receivables         numeric,
    open_orders         numeric,
    exposure            numeric,
    available           numeric,
    overdue             numeric,
    oldest_days_overdue integer,
    level               integer,
    insured_limit       numeric,
    uninsured_exposure  numeric,
    hold                boolean,
    hold_reason         text[],
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT l.customer_id, c.name, c.manager_id, l.currency,
       k.credit_limit, l.receivables, k.open_orders, k.exposure,
       k.credit_limit - k.exposure,
       l.overdue, l.oldest_days_overdue, coalesce(lv.level, 0),
       k.insured_limit,
       CASE WHEN k.insured_limit IS NOT NULL THEN greatest(k.exposure - k.insured_limit, 0) END,
       cardinality(r.reasons) > 0, r.reasons, $1
  -- one line per customer and currency of its open items, and one for its
  -- credit currency when it has a limit, orders or cover there
  FROM (SELECT u.customer_id, u.currency, sum(u.receivables) AS receivables,
               sum(u.overdue) AS overdue, max(u.oldest_days_overdue) AS oldest_days_overdue
          FROM (SELECT a.customer_id, a.currency, a.total AS receivables, a.overdue,
                       $1 - a.oldest_due_date AS oldest_days_overdue
                  FROM @extschema@.aged_balance($1) a
                UNION ALL
                SELECT cc.customer_id, pc.currency, 0, 0, NULL
                  FROM @extschema@.customer cc
                  JOIN @extschema@.policy pc ON pc.policy_id = cc.policy_id
                 WHERE cc.credit_limit IS NOT NULL OR cc.open_orders > 0 OR cc.insured_limit IS NOT NULL) u
         GROUP BY u.customer_id, u.currency) l
  JOIN @extschema@.customer c ON c.customer_id = l.customer_id
  LEFT JOIN @extschema@.policy p ON p.policy_id = c.policy_id
  -- the highest level its open items are dunned at (now), in one pass
  -- (joined on the customer's key, not on l's: Citus keeps the join on each
  -- shard only when it meets a table's distribution column)
  LEFT JOIN (SELECT e.customer_id, e.currency, max(e.level) AS level
               FROM @extschema@.entry e
              WHERE e.level > 0 AND e.open_amount > 0
              GROUP BY e.customer_id, e.currency) lv
    ON lv.customer_id = c.customer_id AND lv.currency = l.currency
  -- the limit, the orders and the cover count in the credit currency only
  CROSS JOIN LATERAL (
        SELECT CASE WHEN l.currency = p.currency THEN c.credit_limit END AS credit_limit,
               CASE WHEN l.currency = p.currency THEN c.open_orders ELSE 0 END AS open_orders,
               CASE WHEN l.currency = p.currency THEN c.insured_limit END AS insured_limit,
               l.receivables + CASE WHEN l.currency = p.currency THEN c.open_orders ELSE 0 END AS exposure
       ) k
  LEFT JOIN @extschema@._held($1) f ON f.customer_id = c.customer_id AND f.currency = l.currency
  CROSS JOIN LATERAL (
        SELECT @extschema@._hold_reasons(k.exposure > k.credit_limit, l.oldest_days_overdue,
                                         p.hold_overdue_days, coalesce(lv.level, 0), p.hold_level,
                                         coalesce(c.blocked_until >= $1, false),
                                         coalesce(f.litigation, false), coalesce(f.broken_promise, false),
                                         coalesce(f.broken_plan, false)) AS reasons
       ) r
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL;   -- checked even on an empty ledger
END;

COMMENT ON FUNCTION @extschema@.credit_status(date) IS
    'per customer and currency on a day: credit limit, exposure (open items and orders), available credit, overdue, level, insured cover, hold and its reasons';

CREATE VIEW @extschema@.credit_status WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.credit_status(@extschema@.as_of());
COMMENT ON VIEW @extschema@.credit_status IS
    'credit control as of dunning.as_of(): limit, exposure, available credit, overdue, hold and why';

-- What an ERP asks before it confirms an order line: the customer's
-- credit_status lines as of today, read by the indexes (its open items and
-- three look-ups per currency), with the order added to its exposure in
-- its credit currency.
CREATE FUNCTION @extschema@.can_ship(customer_id text, amount numeric)
RETURNS TABLE (ok boolean, reason text, available numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    d           date := @extschema@.as_of();
    cu          record;
    l           record;
    f           record;
    v_exposure  numeric;
    v_reasons   text[] := '{}';
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and amount must not be null'
            USING ERRCODE = '22004', DETAIL = 'An order line names its customer and its amount.';
    END IF;
    IF NOT @extschema@._is_finite($2) OR $2 < 0 THEN
        RAISE EXCEPTION 'invalid order amount %', $2
            USING ERRCODE = '22023',
                  DETAIL = 'The amount of an order is 0 or more, in the currency of the customer''s policy.';
    END IF;
    SELECT c.credit_limit, c.open_orders, c.blocked_until,
           p.currency, p.hold_overdue_days, p.hold_level INTO cu
      FROM @extschema@.customer c
      LEFT JOIN @extschema@.policy p ON p.policy_id = c.policy_id
     WHERE c.customer_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown customer "%"', $1
            USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
    END IF;
    -- each currency's line, as credit_status has it (its credit currency's
    -- line even when nothing is open there; a customer with no policy has
    -- no credit currency, so no limit)
    FOR l IN SELECT x.currency, sum(x.receivables) AS receivables,
                    max(x.oldest_days_overdue) AS oldest_days_overdue, coalesce(max(x.level), 0) AS level
               FROM (SELECT o.currency, o.open_amount AS receivables,
                            CASE WHEN o.days_overdue > 0 THEN o.days_overdue END AS oldest_days_overdue,
                            CASE WHEN o.open_amount > 0 THEN o.level END AS level
                       FROM @extschema@.open_items(d) o
                      WHERE o.customer_id = $1
                     UNION ALL
                     SELECT cu.currency, 0, NULL, NULL WHERE cu.currency IS NOT NULL) x
              GROUP BY x.currency LOOP
        -- the limit counts in the credit currency only, with this order
        IF l.currency = cu.currency THEN
            v_exposure := l.receivables + cu.open_orders;
            available := cu.credit_limit - v_exposure;
        END IF;
        SELECT coalesce(bool_or(h.litigation), false) AS litigation,
               coalesce(bool_or(h.broken_promise), false) AS broken_promise,
               coalesce(bool_or(h.broken_plan), false) AS broken_plan INTO f
          FROM @extschema@._held(d) h
         WHERE h.customer_id = $1 AND h.currency = l.currency;
        v_reasons := v_reasons || @extschema@._hold_reasons(
                         l.currency = cu.currency AND v_exposure + $2 > cu.credit_limit,
                         l.oldest_days_overdue, cu.hold_overdue_days, l.level, cu.hold_level,
                         coalesce(cu.blocked_until >= d, false),
                         f.litigation, f.broken_promise, f.broken_plan);
    END LOOP;
    SELECT array_agg(DISTINCT x) INTO v_reasons FROM unnest(v_reasons) x;
    ok := v_reasons IS NULL;
    reason := coalesce(array_to_string(v_reasons, ','), 'ok');
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.can_ship(text, numeric) IS
    'may an order of this amount (in the credit currency) ship to the customer today: ok, why not, and the credit still available';
