--
-- Hostile functions, aggregates and operators planted in public and in a
-- schema that comes before pg_catalog in the caller's search_path are never
-- called: not by the install and upgrade scripts, nor at run time by the
-- views, SQL functions, PL/pgSQL functions, triggers or C code (SPI).  Each
-- one raises an error when called.  The statements below call nothing of
-- the caller's themselves (pg_catalog.count, OPERATOR(pg_catalog.=)).
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dunning CASCADE;
SET datestyle = ISO;
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.trap() RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'a hostile function or operator was called'; END $$;
-- in hostile and in public: a twin of each built-in function the
-- extension's SQL and C code name (same argument types, so it would win
-- over pg_catalog's wherever a name were left unqualified) ...
CREATE FUNCTION hostile.plant(nsp text) RETURNS integer LANGUAGE plpgsql AS
$$
DECLARE
    f record;
    planted integer := 0;
BEGIN
    FOR f IN
        SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
               pg_catalog.format_type(p.prorettype, NULL) AS ret, p.proretset
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) 'pg_catalog'::regnamespace
           AND p.prokind OPERATOR(pg_catalog.=) 'f'
           AND p.proname OPERATOR(pg_catalog.=) ANY ('{format,jsonb_build_object,now,cardinality,round,unnest,
                 nextval,jsonb_strip_nulls,to_regclass,pg_has_role,generate_series,pg_notify,left,width_bucket,
                 to_char,btrim,array_remove,array_position,lower,upper,length,abs,make_date,date_trunc,
                 array_length,concat,substr,current_setting,set_config,jsonb_array_elements,
                 pg_extension_config_dump,array_append,array_cat,string_to_array,array_to_string,
                 jsonb_typeof,to_jsonb,trunc,floor,ceil,extract,date_part,age,nullif,row_to_json}'::pg_catalog.name[])
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) t(oid)
                            WHERE t.oid OPERATOR(pg_catalog.=) ANY ('{internal,cstring,"\"any\"",anycompatible,anycompatiblearray,anycompatiblenonarray,anycompatiblerange,anycompatiblemultirange}'::pg_catalog.regtype[]::pg_catalog.oid[]))
    LOOP
        BEGIN
            EXECUTE pg_catalog.format('CREATE FUNCTION %I.%I(%s) RETURNS %s%s LANGUAGE plpgsql AS %L',
                                      nsp, f.proname, f.args, CASE WHEN f.proretset THEN 'SETOF ' ELSE '' END, f.ret,
                                      'BEGIN PERFORM hostile.trap(); END');
            planted := planted OPERATOR(pg_catalog.+) 1;
        EXCEPTION WHEN OTHERS THEN
            NULL;   -- a signature plpgsql cannot take (polymorphic results)
        END;
    END LOOP;
    -- ... the aggregates they use ...
    EXECUTE pg_catalog.format('CREATE FUNCTION %I.agg(anyelement, anyelement) RETURNS anyelement LANGUAGE plpgsql AS %L',
                              nsp, 'BEGIN PERFORM hostile.trap(); END');
    EXECUTE pg_catalog.format('CREATE FUNCTION %I.agg(bigint) RETURNS bigint LANGUAGE plpgsql AS %L',
                              nsp, 'BEGIN PERFORM hostile.trap(); END');
    -- (a final function too: an aggregate over no row is caught as well)
    EXECUTE pg_catalog.format('CREATE FUNCTION %I.fin(anyelement) RETURNS anyelement LANGUAGE plpgsql AS %L',
                              nsp, 'BEGIN PERFORM hostile.trap(); END');
    EXECUTE pg_catalog.format('CREATE AGGREGATE %I.count(*) (SFUNC = %I.agg, STYPE = bigint, FINALFUNC = %I.fin)',
                              nsp, nsp, nsp);
    FOR f IN SELECT * FROM (VALUES ('sum', 'numeric'), ('sum', 'integer'), ('min', 'date'), ('max', 'date'),
                                   ('min', 'bigint'), ('max', 'bigint'), ('min', 'numeric'), ('max', 'numeric'),
                                   ('min', 'text'), ('max', 'integer'), ('bool_or', 'boolean'),
                                   ('bool_and', 'boolean')) v(name, typ) LOOP
        EXECUTE pg_catalog.format('CREATE AGGREGATE %I.%I(%s) (SFUNC = %I.agg, STYPE = %s, FINALFUNC = %I.fin)',
                                  nsp, f.name, f.typ, nsp, f.typ, nsp);
        planted := planted OPERATOR(pg_catalog.+) 1;
    END LOOP;
    -- ... and the comparison operators of the types they compare
    FOR f IN SELECT typ FROM pg_catalog.unnest('{text,integer,bigint,date,numeric,boolean,name}'::text[]) typ LOOP
        EXECUTE pg_catalog.format('CREATE FUNCTION %I.cmp(%s, %s) RETURNS boolean LANGUAGE sql AS %L',
                                  nsp, f.typ, f.typ, 'SELECT hostile.trap()');
    END LOOP;
    FOR f IN SELECT op, typ FROM pg_catalog.unnest('{=,<>,<,>,<=,>=}'::text[]) op,
                    pg_catalog.unnest('{text,integer,bigint,date,numeric,boolean,name}'::text[]) typ LOOP
        EXECUTE pg_catalog.format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.cmp)',
                                  nsp, f.op, f.typ, f.typ, nsp);
        planted := planted OPERATOR(pg_catalog.+) 1;
    END LOOP;
    RETURN planted;
END
$$;
SELECT hostile.plant('hostile') OPERATOR(pg_catalog.>) 150 AS planted_hostile,
       hostile.plant('public') OPERATOR(pg_catalog.>) 150 AS planted_public;

-- the scripts: install 0.1.0, update it to 0.2.0 and to the current
-- version, and install the current version, from the hostile path
SET search_path = hostile, pg_catalog, public;
-- (the traps work: unqualified, each of these is caught)
SELECT lower('X');
SELECT count(*) FROM pg_catalog.pg_class WHERE false;
SELECT 1 = 1;
CREATE EXTENSION dunning VERSION '0.1.0';
ALTER EXTENSION dunning UPDATE TO '0.2.0';
ALTER EXTENSION dunning UPDATE;
DROP EXTENSION dunning;
CREATE EXTENSION dunning;
SELECT dunning.enable_row_security() IS NOT NULL AS row_security;

-- run time

INSERT INTO dunning.policy (policy_id, name, currency, interest_regime, compensation, post_charges)
VALUES ('p', 'P', 'EUR', 'fr', 40, true);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel) VALUES
    ('p', 1, 1, 0, 0, false, 'email'), ('p', 2, 15, 7, 10, true, 'letter');
INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('m', 'M');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id, insured) VALUES
    ('A', 'Alpha', 'p', 'm', true), ('B', 'Beta', 'p', 'm', false);
UPDATE dunning.policy SET insurer_notice_days = 60;
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('A', 1, 'invoice', 'A-1', '2025-01-01', '2025-01-31', 1000, 'EUR'),
    ('A', 2, 'invoice', 'A-2', '2025-01-10', '2025-02-09', 500, 'EUR'),
    ('A', 3, 'payment', 'pay A-1', '2025-02-15', NULL, -600, 'EUR'),
    ('B', 4, 'invoice', 'B-1', '2025-01-01', '2025-01-31', 800, 'EUR'),
    ('B', 5, 'payment', 'B', '2025-02-20', NULL, -800, 'EUR');
SELECT setval('dunning.entry_entry_id_seq', 100);

-- lettering: automatic, by hand, undone, renamed by settling
SELECT pg_catalog.count(*) AS lettered FROM dunning.auto_letter();
SELECT dunning.unletter('B', (SELECT pg_catalog.min(letter_code) FROM dunning.lettering WHERE customer_id OPERATOR(pg_catalog.=) 'B'));
SELECT dunning.letter('B', '{4,5}');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency)
VALUES ('A', 6, 'payment', 'rest', '2025-03-01', -400, 'EUR');
-- the rest of A-1 joins its partial group, which settles and is renamed
SELECT dunning.letter('A', '{1,6}');

-- the views and the dunning run
SET dunning.as_of = '2025-03-20';
SELECT pg_catalog.count(*) AS open_items FROM dunning.open_items;
SELECT pg_catalog.count(*) AS aged FROM dunning.aged_balance;
SELECT pg_catalog.count(*) AS dashboard FROM dunning.dashboard;
SELECT pg_catalog.count(*) AS credit FROM dunning.credit_status;
SELECT ok, reason FROM dunning.can_ship('A', 100);
SELECT pg_catalog.count(*) AS items FROM dunning.item_status;
SELECT pg_catalog.count(*) AS letters FROM dunning.reminder_proposal;
SELECT pg_catalog.count(*) AS lines FROM dunning.reminder_proposal_item;
SELECT pg_catalog.count(*) AS issued FROM dunning.issue_reminders('2025-03-20');
SELECT pg_catalog.count(*) AS levels FROM dunning.overdue_by_level;
SELECT pg_catalog.count(*) AS outbox FROM dunning.outbox;
SELECT pg_catalog.count(*) AS fec FROM dunning.fec_lettering;
SELECT status FROM dunning.cancel_reminder('A', (SELECT pg_catalog.min(reminder_id) FROM dunning.reminder));
SELECT pg_catalog.count(*) AS marked FROM (SELECT dunning.mark_sent(customer_id, reminder_id)
                                  FROM dunning.outbox WHERE reminder_id IS NOT NULL) m;
SELECT dunning.late_interest(1000, '2025-01-31', '2025-03-20', 'fr');

-- the follow-up
SELECT dunning.set_status('A', '{2}', 'disputed', 'price', 100);
SELECT dunning.block('A', '2025-04-30', 'claim');
SELECT dunning.block('A', NULL, 'settled');
SELECT dunning.log_contact('A', 'phone', 'will pay', '2025-03-31', 500) IS NOT NULL AS logged;
SELECT dunning.complete_action('A', (SELECT pg_catalog.min(action_id) FROM dunning.action), 'paid') IS NULL AS done;
SELECT dunning.create_payment_plan('A', '{2}', '{2025-04-15,2025-05-15}', '{250,250}') IS NOT NULL AS planned;
SELECT pg_catalog.count(*) AS schedule FROM dunning.followup_schedule;
SELECT pg_catalog.count(*) AS history FROM dunning.customer_history;
SELECT days, dso FROM dunning.kpi('2025-01-01', '2025-03-20', 'EUR');
-- and the counters, maintained throughout
DELETE FROM dunning.reminder;
SELECT pg_catalog.sum(reminder_count) AS reminders_left FROM dunning.entry;
TRUNCATE dunning.lettering CASCADE;
SELECT pg_catalog.sum(open_amount) AS reopened FROM dunning.entry;
RESET search_path;
RESET dunning.as_of;
SELECT dunning.disable_row_security() IS NOT NULL AS row_security_off;
DROP SCHEMA hostile CASCADE;
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
              WHERE p.pronamespace OPERATOR(pg_catalog.=) 'public'::regnamespace
                AND p.prokind OPERATOR(pg_catalog.=) ANY ('{f,a}'::"char"[])
              ORDER BY p.prokind LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) f) THEN
            EXECUTE pg_catalog.format('DROP ROUTINE %s CASCADE', f);
        END IF;
    END LOOP;
END
$$;
