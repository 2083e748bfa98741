
-------------------------------------------------------------------------------
-- Row security per credit manager (README "Row security per credit manager")
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
SELECT '{customer,entry,allocation,lettering,reminder,reminder_line,action,promise,payment_plan,installment,activity,message,contact,document}'::pg_catalog.text[]
$$;

-- private: the test of a table's policy.  On one server a row passes when
-- row security is off, when the user is a member of dunning_admin, or when
-- it is one of the user's customers: customer's own policy reads the
-- managers whose role the user is a member of, the other tables read
-- customer (so they follow it); each test is an init plan or a hashed
-- subplan, once a query.  On Citus (citus true, _citus_policies) the same
-- rule is written with the row tests below, because Citus refuses
-- subqueries in the policies of its tables.
CREATE FUNCTION @extschema@._policy_test(tab text, citus boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT CASE WHEN $2 THEN
           CASE $1 WHEN 'customer' THEN '@extschema@._rls_manager(manager_id)'
                   WHEN 'run' THEN 'started_by OPERATOR(pg_catalog.=) CURRENT_USER OR @extschema@._rls_all()'
                   ELSE '@extschema@._rls_customer(customer_id)' END
       ELSE
           pg_catalog.format('%s OR %s OR %s',
               $q$NOT EXISTS (SELECT 1 FROM @extschema@.row_security s WHERE s.enabled)$q$,
               $q$EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                         WHERE r.rolname OPERATOR(pg_catalog.=) 'dunning_admin'
                                           AND pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$,
               CASE $1 WHEN 'customer' THEN
                   $q$manager_id IN (SELECT m.manager_id FROM @extschema@.credit_manager m
                                    JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name
                                   WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$
                   -- a run is seen by the role that started it
                   WHEN 'run' THEN
                   $q$started_by OPERATOR(pg_catalog.=) CURRENT_USER$q$
                   ELSE
                   $q$customer_id IN (SELECT c.customer_id FROM @extschema@.customer c)$q$ END)
       END;
END;

-- One policy per table, for every command (_policy_test).
DO $do$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY @extschema@._customer_tables() || 'run'::text LOOP
        EXECUTE pg_catalog.format('CREATE POLICY dunning_manager ON @extschema@.%I USING (%s) WITH CHECK (%s)',
                                  t, @extschema@._policy_test(t, false), @extschema@._policy_test(t, false));
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$do$;

-- The row tests of the policies on Citus (each shard applies the policy on
-- its node): the rule of _policy_test, as C functions the shards call once
-- a row (src/security.c).  What does not depend on the row (row security
-- on, the user's managers, their customers) is read once a scan: as SQL
-- functions with a query a row they cost 0.3 ms a customer and 0.8 ms an
-- entry on two workers.  Their reads are queries inside a shard's query,
-- hence the permission for them (set in the library).
CREATE FUNCTION @extschema@._rls_all() RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_all'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._rls_manager(manager_id text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_manager'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._rls_customer(customer_id text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_customer'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the policies in their Citus form (distribute.sql's
-- distribute() calls it)
CREATE FUNCTION @extschema@._citus_policies() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    v_test text;
BEGIN
    FOREACH t IN ARRAY @extschema@._customer_tables() || 'run'::text LOOP
        v_test := @extschema@._policy_test(t, true);
        EXECUTE pg_catalog.format('DROP POLICY IF EXISTS dunning_manager ON @extschema@.%I', t);
        EXECUTE pg_catalog.format('CREATE POLICY dunning_manager ON @extschema@.%I USING (%s) WITH CHECK (%s)',
                                  t, v_test, v_test);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._citus_policies() FROM PUBLIC;

-- private: sets the switch, for the owner of the tables only; returns the
-- tables row security covers
CREATE FUNCTION @extschema@._set_row_security(enabled boolean) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid = '@extschema@.customer'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to turn row security %', CASE WHEN $1 THEN 'on' ELSE 'off' END
              USING ERRCODE = '42501',
                    DETAIL = 'Only the owner of the extension''s tables (the role that created the extension) or a superuser may turn row security on or off.';
    END IF;
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'enabled must not be null' USING ERRCODE = '22004', DETAIL = 'Row security is on or off.';
    END IF;
    IF $1 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dunning_admin') THEN
        -- the administrator role of the documentation; nobody logs in as it
        CREATE ROLE dunning_admin NOLOGIN;
    END IF;
    -- the row, then its change: Citus takes no function in the DO UPDATE
    -- of an INSERT on its tables (row_security is a reference table there)
    INSERT INTO @extschema@.row_security (enabled) VALUES ($1)
    ON CONFLICT (single) DO NOTHING;
    UPDATE @extschema@.row_security
       SET enabled = $1, changed_at = pg_catalog.now(), changed_by = CURRENT_USER;
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
