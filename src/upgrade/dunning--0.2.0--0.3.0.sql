\echo Use "ALTER EXTENSION dunning UPDATE TO '0.3.0'" to load this file. \quit

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

-------------------------------------------------------------------------------
-- 0.3.0: row security per credit manager
--
-- A role mapped to a credit manager (credit_manager.role_name; membership
-- counts) sees and changes only the rows of that manager's customers; a
-- member of the role dunning_admin sees all.  dunning.enable_row_security()
-- turns it on, dunning.disable_row_security() off.  The owner of the tables
-- (who installed the extension), superusers and roles with BYPASSRLS are not
-- subject to row security, as everywhere in PostgreSQL.
--
-- The policies are created here, with the extension, and row security is
-- enabled on the tables from the start; the switch is a row of the table
-- row_security, which pg_dump keeps.  (Policies and ENABLE ROW LEVEL
-- SECURITY added to an extension's tables later are not dumped: a restored
-- database would have lost them without a word.)  While the switch is off
-- every policy lets every row through.
-------------------------------------------------------------------------------

-- The views read their tables with the privileges and the row security of
-- the role that queries them, not of the extension's owner: without this a
-- view would show every customer to whoever may read it.
ALTER VIEW @extschema@.open_items SET (security_invoker = true);
ALTER VIEW @extschema@.aged_balance SET (security_invoker = true);
ALTER VIEW @extschema@.dashboard SET (security_invoker = true);
ALTER VIEW @extschema@.fec_lettering SET (security_invoker = true);
ALTER VIEW @extschema@.customer_history SET (security_invoker = true);
ALTER VIEW @extschema@.followup_schedule SET (security_invoker = true);
ALTER VIEW @extschema@.item_status SET (security_invoker = true);
ALTER VIEW @extschema@.reminder_proposal_item SET (security_invoker = true);
ALTER VIEW @extschema@.reminder_proposal SET (security_invoker = true);
ALTER VIEW @extschema@.overdue_by_level SET (security_invoker = true);
ALTER VIEW @extschema@.outbox SET (security_invoker = true);

-- The switch: no row (the default) or enabled false, row security is off.
CREATE TABLE @extschema@.row_security (
    single              boolean PRIMARY KEY DEFAULT true CHECK (single),
    enabled             boolean NOT NULL DEFAULT true,
    changed_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    changed_by          text NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.row_security IS
    'the row security switch of enable_row_security() / disable_row_security(); kept by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.row_security'::regclass, '');
-- every policy reads it
GRANT SELECT ON @extschema@.row_security TO PUBLIC;

-- The tables that hold rows of one customer each.
CREATE FUNCTION @extschema@._customer_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT '{customer,entry,allocation,lettering,reminder,reminder_line,action,promise,payment_plan,installment,activity,message}'::pg_catalog.text[]
$$;

-- One policy per table, for every command.  A row passes when row security
-- is off, when the user is a member of dunning_admin, or when it is one of
-- the user's customers: customer's own policy reads the managers whose
-- role the user is a member of, the other tables read customer (so they
-- follow it).  Each test is an init plan or a hashed subplan: once a query.
DO $do$
DECLARE
    t text;
    v_off constant text := $q$NOT EXISTS (SELECT 1 FROM @extschema@.row_security s WHERE s.enabled)$q$;
    v_admin constant text := $q$EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                         WHERE r.rolname OPERATOR(pg_catalog.=) 'dunning_admin'
                                           AND pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$;
    v_mine text;
BEGIN
    FOREACH t IN ARRAY @extschema@._customer_tables() || 'run'::text LOOP
        v_mine := CASE t
            WHEN 'customer' THEN
                $q$manager_id IN (SELECT m.manager_id FROM @extschema@.credit_manager m
                                    JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name
                                   WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$
            -- a run is seen by the role that started it
            WHEN 'run' THEN
                $q$started_by OPERATOR(pg_catalog.=) CURRENT_USER$q$
            ELSE
                $q$customer_id IN (SELECT c.customer_id FROM @extschema@.customer c)$q$
            END;
        EXECUTE pg_catalog.format('CREATE POLICY dunning_manager ON @extschema@.%I USING (%s OR %s OR %s) WITH CHECK (%s OR %s OR %s)',
                                  t, v_off, v_admin, v_mine, v_off, v_admin, v_mine);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$do$;

-- private: sets the switch, for the owner of the tables only; returns the
-- tables row security covers
CREATE FUNCTION @extschema@._set_row_security(enabled boolean) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.customer'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to turn row security %', CASE WHEN $1 THEN 'on' ELSE 'off' END
              USING ERRCODE = '42501',
                    DETAIL = 'Only the owner of the extension''s tables (the role that created the extension) or a superuser may turn row security on or off.';
    END IF;
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'enabled must not be null' USING ERRCODE = '22004', DETAIL = 'Row security is on or off.';
    END IF;
    IF $1 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'dunning_admin') THEN
        -- the administrator role of the documentation; nobody logs in as it
        CREATE ROLE dunning_admin NOLOGIN;
    END IF;
    INSERT INTO @extschema@.row_security (enabled) VALUES ($1)
    ON CONFLICT (single) DO UPDATE SET enabled = $1, changed_at = pg_catalog.now(), changed_by = CURRENT_USER;
    RETURN @extschema@._customer_tables() || 'run'::text;
END
$$;

CREATE FUNCTION @extschema@.enable_row_security() RETURNS text[]
LANGUAGE sql VOLATILE
AS $$ SELECT @extschema@._set_row_security(true) $$;
COMMENT ON FUNCTION @extschema@.enable_row_security() IS
    'turns row security on: a role mapped to a credit manager sees and changes only its customers; dunning_admin sees all';

CREATE FUNCTION @extschema@.disable_row_security() RETURNS text[]
LANGUAGE sql VOLATILE
AS $$ SELECT @extschema@._set_row_security(false) $$;
COMMENT ON FUNCTION @extschema@.disable_row_security() IS
    'turns row security off: every role sees every row its grants allow';

REVOKE ALL ON FUNCTION @extschema@.enable_row_security() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.disable_row_security() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@._set_row_security(boolean) FROM PUBLIC;

-------------------------------------------------------------------------------
-- 0.3.0: no infinite day where a day is meant
--
-- An entry dated 'infinity', a call scheduled for it or a reminder sent at
-- it would pass every function's check and then break the aged balance or
-- hide the action for ever.  customer.blocked_until may be 'infinity'
-- (blocked until further notice).
-------------------------------------------------------------------------------
DO $do$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES ('entry', 'doc_date'), ('entry', 'due_date'), ('action', 'due_on'),
                                   ('action', 'done_on'), ('promise', 'promised_on'), ('promise', 'made_on'),
                                   ('payment_plan', 'agreed_on'), ('installment', 'due_on'),
                                   ('installment', 'paid_on'), ('reminder', 'sent_at'), ('message', 'sent_at'),
                                   ('holiday', 'day'), ('reference_rate', 'valid_from')) v(t, col) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I CHECK (pg_catalog.isfinite(%I))',
                                  c.t, c.t || '_' || c.col || '_finite', c.col);
    END LOOP;
END
$do$;
