
-------------------------------------------------------------------------------
-- Scale-out on Citus (SPEC 11, README "Outgrowing one server")
--
-- dunning.distribute() turns an installed dunning into a distributed one on
-- a Citus coordinator: the configuration tables become reference tables
-- (a copy on every node), every per-customer table (_customer_tables())
-- becomes a table distributed by customer_id and co-located with customer,
-- so that one customer's rows are all on one node, and the functions that
-- work on one customer are registered with Citus to run on that node.
-- Nothing of it runs on a server without Citus.
-------------------------------------------------------------------------------

-- the configuration tables: small, read by every customer's work
CREATE FUNCTION @extschema@._reference_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT '{policy,level,level_amount,holiday,company,credit_manager,template,reference_rate,row_security,run,daily_run,daily_run_error,digest}'::pg_catalog.text[]
$$;

-- the functions whose first argument is one customer, and Citus may run on
-- the node that holds it.  Not those that read the session's day
-- (dunning.as_of(): log_contact, create_payment_plan, can_ship): on the
-- customer's node they would read that node's settings, not the caller's;
-- they run on the coordinator, each of their statements on the shard.
CREATE FUNCTION @extschema@._customer_functions() RETURNS pg_catalog.regprocedure[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT pg_catalog.array_agg(p.oid::pg_catalog.regprocedure ORDER BY p.oid)
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND p.proname OPERATOR(pg_catalog.=) ANY ('{letter,unletter,letter_pdf}'::pg_catalog.name[])
   AND p.pronargs OPERATOR(pg_catalog.>) 0
   AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'text'::pg_catalog.regtype
$$;

-- the statement that puts the extension's sequences of a node in the
-- node's range of ids (distribute())
CREATE FUNCTION @extschema@._sequence_range_command() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT $c$DO $d$
DECLARE
    g bigint := (SELECT groupid FROM pg_catalog.pg_dist_local_group);
    s record;
BEGIN
    FOR s IN SELECT q.seqrelid::pg_catalog.regclass AS seq, q.seqmin, q.seqmax
               FROM pg_catalog.pg_sequence q
               JOIN pg_catalog.pg_class c ON c.oid = q.seqrelid
              WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace
    LOOP
        CONTINUE WHEN s.seqmin = GREATEST(g << 48, 1) AND s.seqmax = ((g + 1) << 48) - 1;
        IF g = 0 THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MAXVALUE %s', s.seq, ((g + 1) << 48) - 1);
        ELSE
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START %s RESTART',
                                      s.seq, g << 48, ((g + 1) << 48) - 1, g << 48);
        END IF;
    END LOOP;
END
$d$ $c$
$fn$;

-- the statement that gives a node's copies of the extension's sequences
-- the privileges of the coordinator's (distribute()): Citus carries no
-- GRANT ... ON SEQUENCE to the workers, where a role's lettering takes
-- the ids of the rows it writes (the allocations of auto_letter() and
-- letter(), a write-off entry) from the node's copy
CREATE FUNCTION @extschema@._sequence_grants_command() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
SELECT pg_catalog.format($c$DO $d$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::pg_catalog.regclass AS seq, a.grantee
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.relkind = 'S' AND c.relnamespace = '@extschema@'::pg_catalog.regnamespace
                AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %%s FROM %%s', r.seq,
                                  CASE WHEN r.grantee = 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END);
    END LOOP;
    %s
END
$d$$c$,
    pg_catalog.string_agg(pg_catalog.format('GRANT %s ON SEQUENCE %I.%I TO %s%s;', a.privilege_type,
                                            n.nspname, c.relname,
                                            CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                                            CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
                          ' ' ORDER BY c.relname, a.grantee, a.privilege_type))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace,
       pg_catalog.aclexplode(c.relacl) a
 WHERE c.relkind OPERATOR(pg_catalog.=) 'S'
   AND c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
$fn$;

-- private: the policies of the workers' own copies of the tables, which
-- CREATE EXTENSION made there in their one-server form (subqueries): a
-- query that a C function or a policy test makes on a worker, for a role
-- subject to row security, reads them, and Citus refused it ("complex
-- joins are only supported when ...").  Set in their Citus form on every
-- worker, each in a transaction of its own: distribute() calls it before
-- it distributes the tables (once they are, its own transaction holds
-- them on the workers), or at a later call for a node added since.
CREATE FUNCTION @extschema@._citus_worker_policies() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_failed text;
BEGIN
    SELECT pg_catalog.string_agg(w.nodename || ':' || w.nodeport || ': ' || w.result, '; ') INTO v_failed
      FROM run_command_on_workers('SET citus.enable_ddl_propagation TO off; SELECT @extschema@._citus_policies()') w
     WHERE NOT w.success;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION 'the row security policies could not be set on every worker'
              USING ERRCODE = '55000', DETAIL = v_failed;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._citus_worker_policies() FROM PUBLIC;

-- private: is this ledger distributed (dunning.distribute() called on a
-- Citus coordinator)?  False on a server without Citus.
CREATE FUNCTION @extschema@._distributed() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                    WHERE logicalrelid = '@extschema@.customer'::pg_catalog.regclass);
END
$$;

-- private: on a distributed ledger, the rest of the transaction over one
-- connection per node.  Citus refuses to write a reference table that
-- distributed tables refer to (run, daily_run) once the transaction has
-- read a distributed table over several connections; issuing and each
-- step of the daily run call this first.  Nothing on one server.
CREATE FUNCTION @extschema@._one_connection_per_node() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@._distributed() THEN
        PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    END IF;
END
$$;

CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT NULL)
RETURNS TABLE (table_name pg_catalog.regclass, distribution text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fk record;
    v_fks text[] := '{}';
    v_triggers text[];
    v_truncate text[];
    t text;
    v_first boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'dunning.distribute() needs Citus'
              USING ERRCODE = '0A000',
                    DETAIL = 'The extension citus is not installed in this database: on a Citus coordinator, CREATE EXTENSION citus before CREATE EXTENSION dunning, then call dunning.distribute().';
    END IF;
    -- Citus makes the extension's tables on the workers, and distribute()
    -- changes them there, in transactions of their own, which do not see
    -- an extension created in this one (its keys then came twice: "constraint
    -- level_policy_id_fkey ... already exists")
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension x
                WHERE x.extname = 'dunning'
                  AND x.xmin = pg_catalog.xid(pg_catalog.pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'dunning.distribute() cannot run in the transaction that created the extension'
              USING ERRCODE = '55000',
                    DETAIL = 'Commit CREATE EXTENSION dunning first, then call dunning.distribute() in a transaction of its own.';
    END IF;
    IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
        RAISE EXCEPTION 'shard_count % is out of range', shard_count
              USING ERRCODE = '22023', DETAIL = 'A table has 1 to 64000 shards; NULL takes citus.shard_count.';
    END IF;
    -- the views reach the shards through dunning's planner hook, which must
    -- be loaded before any query of a session, after Citus's
    IF NOT 'dunning' = ANY (pg_catalog.string_to_array(
               pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
        RAISE EXCEPTION 'dunning.distribute() needs dunning in shared_preload_libraries'
              USING ERRCODE = '55000',
                    DETAIL = 'On a distributed ledger the views reach the shards through dunning''s planner hook: set shared_preload_libraries = ''citus,dunning'' on the coordinator and every worker, restart them, then call dunning.distribute().';
    END IF;
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid = '@extschema@.customer'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to distribute dunning'
              USING ERRCODE = '42501',
                    DETAIL = 'Only the owner of the extension''s tables (the role that created the extension) or a superuser may distribute them.';
    END IF;

    v_first := NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = '@extschema@.customer'::regclass);
    IF v_first THEN
        -- Citus turns a local table that references a reference table into
        -- a table of its own kind, dropping and re-creating the views on it,
        -- which an extension's views do not allow: the foreign keys between
        -- the extension's tables go first and come back once every table
        -- has its place.
        PERFORM @extschema@._citus_policies();
        PERFORM @extschema@._citus_worker_policies();
        FOR v_fk IN
            SELECT k.conrelid::regclass AS tab, k.conname, pg_catalog.pg_get_constraintdef(k.oid) AS def
              FROM pg_catalog.pg_constraint k
             WHERE k.contype = 'f'
               AND k.connamespace = '@extschema@'::regnamespace
             ORDER BY k.conrelid, k.conname
        LOOP
            -- allocation's three keys only order pg_dump's data (schema.sql:
            -- their triggers are disabled, allocation.c keeps the links);
            -- a Citus cluster is not restored from one dump, and on the
            -- shards their triggers would run
            EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_fk.tab, v_fk.conname);
            -- and on the workers: CREATE EXTENSION made the tables there
            -- too, and they become the shells of the distributed tables,
            -- where the key put back below is added again
            PERFORM run_command_on_workers(
                        pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', v_fk.tab, v_fk.conname));
            CONTINUE WHEN v_fk.tab = '@extschema@.allocation'::regclass;
            v_fks := v_fks || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_fk.tab, v_fk.conname, v_fk.def);
        END LOOP;
        -- the triggers keep counters and guards on the same customer's
        -- rows, which are on the same node (co-located)
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
        -- one connection a node: the foreign keys to reference tables ask it
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
        -- the rows already there go to the shards as they are: the row and
        -- statement triggers stand aside meanwhile, or the copy would run
        -- them as for new rows (a new entry is open for its whole amount, in
        -- no lettering group, never reminded; an allocation would be
        -- applied a second time); the TRUNCATE triggers, which Citus runs
        -- on the coordinator only, stand aside while the coordinator's own
        -- copy of the rows is emptied below
        SELECT pg_catalog.array_agg(pg_catalog.format('ALTER TABLE %s %%s TRIGGER %I', g.tgrelid::regclass, g.tgname)
                                    ORDER BY g.tgrelid, g.tgname) FILTER (WHERE g.tgtype & 32 = 0),
               pg_catalog.array_agg(pg_catalog.format('ALTER TABLE %s %%s TRIGGER %I', g.tgrelid::regclass, g.tgname)
                                    ORDER BY g.tgrelid, g.tgname) FILTER (WHERE g.tgtype & 32 <> 0)
          INTO v_triggers, v_truncate
          FROM pg_catalog.pg_trigger g
          JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
         WHERE c.relnamespace = '@extschema@'::regnamespace
           AND NOT g.tgisinternal AND g.tgenabled <> 'D';
        FOREACH t IN ARRAY coalesce(v_triggers, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'DISABLE');
        END LOOP;
        FOREACH t IN ARRAY @extschema@._reference_tables() LOOP
            PERFORM create_reference_table(pg_catalog.format('@extschema@.%I', t)::regclass);
        END LOOP;
        PERFORM create_distributed_table('@extschema@.customer', 'customer_id', shard_count => shard_count);
        FOREACH t IN ARRAY @extschema@._customer_tables() LOOP
            CONTINUE WHEN t = 'customer';
            PERFORM create_distributed_table(pg_catalog.format('@extschema@.%I', t)::regclass, 'customer_id',
                                             colocate_with => '@extschema@.customer');
        END LOOP;
        -- the coordinator's own copy of the rows, now in the shards, would
        -- only take space
        FOREACH t IN ARRAY coalesce(v_truncate, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'DISABLE');
        END LOOP;
        PERFORM truncate_local_data_after_distributing_table(pg_catalog.format('@extschema@.%I', n)::regclass)
           FROM pg_catalog.unnest(@extschema@._reference_tables() || @extschema@._customer_tables()) n;
        FOREACH t IN ARRAY coalesce(v_triggers, '{}') || coalesce(v_truncate, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'ENABLE');
        END LOOP;
        FOREACH t IN ARRAY v_fks LOOP
            EXECUTE t;
        END LOOP;
        -- A call on its own is sent to the customer's node; one inside a
        -- transaction block runs here, each of its statements on the
        -- customer's shard.  Not forced into the node inside transaction
        -- blocks too: Citus 13.2 then refuses some statements about the
        -- customer (letter_pdf of a customer with no company among
        -- several: "queries must filter by the distribution argument").
        PERFORM create_distributed_function(f, '$1', colocate_with => '@extschema@.customer', force_delegation => false)
           FROM pg_catalog.unnest(@extschema@._customer_functions()) f;
        -- The privileges granted before: the workers' copies of the schema
        -- and tables came from CREATE EXTENSION there, without them (a
        -- manager's role read nothing on a shard: "permission denied for
        -- table credit_manager").  Granted again here, Citus sends each
        -- grant to every node and shard; a grant made after distribute()
        -- reaches them by itself.
        FOR v_fk IN
            SELECT pg_catalog.format('GRANT %s ON SCHEMA @extschema@ TO %s%s', a.privilege_type,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                          ELSE pg_catalog.quote_ident(a.grantee::regrole::text) END,
                                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS def
              FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
             WHERE n.nspname = '@extschema@' AND a.grantee <> n.nspowner
            UNION ALL
            SELECT pg_catalog.format('GRANT %s ON @extschema@.%I TO %s%s', a.privilege_type, c.relname,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                          ELSE pg_catalog.quote_ident(a.grantee::regrole::text) END,
                                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
              FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
             WHERE c.oid = ANY (SELECT pg_catalog.format('@extschema@.%I', n)::regclass
                                  FROM pg_catalog.unnest(@extschema@._reference_tables()
                                                         || @extschema@._customer_tables()) n)
               AND a.grantee <> c.relowner
        LOOP
            EXECUTE v_fk.def;
        END LOOP;
    END IF;

    -- Each node's copy of the extension's sequences gives ids of its own:
    -- a function run on the node that holds the customer (a write-off
    -- entry of letter(), a plan of create_payment_plan()) takes them from
    -- that node's copy, which CREATE EXTENSION started at 1 everywhere.
    -- Node group g takes g * 2^48 to (g + 1) * 2^48 - 1 (the coordinator,
    -- group 0, from 1), as Citus does
    -- for the sequences it creates; a node added later gets its range at
    -- the next call.
    PERFORM run_command_on_workers(@extschema@._sequence_range_command());
    EXECUTE @extschema@._sequence_range_command();
    -- and the privileges granted on them, which Citus does not carry to
    -- the workers: at every call (README: call it again after a GRANT on
    -- the sequences)
    PERFORM run_command_on_workers(@extschema@._sequence_grants_command());

    -- a node added since the first call: the policies of its copies of the
    -- tables (below)
    IF NOT v_first THEN
        PERFORM @extschema@._citus_worker_policies();
    END IF;

    RETURN QUERY
    SELECT p.logicalrelid,
           CASE p.partmethod WHEN 'h' THEN 'distributed by customer_id' WHEN 'n' THEN 'reference' END
      FROM pg_dist_partition p
      JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
     WHERE c.relnamespace = '@extschema@'::regnamespace
     ORDER BY p.partmethod, c.relname;
END
$$;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
    'on a Citus coordinator: the configuration tables as reference tables, the per-customer tables distributed by customer_id';
REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;
