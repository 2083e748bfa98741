-- pgTAP: row security per credit manager, with real roles given exactly the
-- grants of README's "Roles and privileges" recipes.  Reads, inserts,
-- updates, deletes and function calls of another manager's customers are
-- invisible or refused; an administrator sees all.
\i test/pgtap/setup.psql
SELECT plan(83);
-- pgTAP keeps its results in temporary tables; the roles below write to them
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS t, c.relkind FROM pg_class c
              WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind IN ('r', 'S') LOOP
        EXECUTE format('GRANT ALL ON %s TO PUBLIC', r.t);
    END LOOP;
END
$$;

-------------------------------------------------------------------------------
-- the catalog: views run as their caller, the switches are not for everyone
-------------------------------------------------------------------------------
SELECT is(count(*)::int, 0, 'every view reads its tables with the caller''s privileges (security_invoker)')
  FROM pg_class c
 WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind = 'v'
   AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false);
SELECT function_privs_are('dunning', f, '{}', 'public', '{}', f || '() is not executable by PUBLIC')
  FROM unnest(ARRAY['enable_row_security', 'disable_row_security']) f;
SELECT is((SELECT count(*)::int FROM pg_class c WHERE c.relnamespace = 'dunning'::regnamespace AND c.relrowsecurity),
          15, 'the per-customer tables and run have their policy from CREATE EXTENSION on');
-- (of the extension's tables: on a Citus coordinator a placement of the
-- reference table run has its own copy of the policy)
SELECT is((SELECT count(*)::int FROM pg_policy
            WHERE polname = 'dunning_manager'
              AND polrelid IN (SELECT pg_catalog.format('dunning.%I', t)::regclass
                                 FROM unnest(dunning._customer_tables() || 'run'::text) t)),
          15, 'one policy per table');
SELECT is((SELECT count(*)::int FROM dunning.row_security WHERE enabled), 0, 'the switch is off after CREATE EXTENSION');

-------------------------------------------------------------------------------
-- the roles of README's recipes
-------------------------------------------------------------------------------
CREATE ROLE dunning_reader NOLOGIN;
GRANT USAGE ON SCHEMA dunning TO dunning_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA dunning TO dunning_reader;

CREATE ROLE dunning_clerk NOLOGIN IN ROLE dunning_reader;
GRANT INSERT, UPDATE ON dunning.entry TO dunning_clerk;
GRANT INSERT, UPDATE, DELETE ON dunning.lettering, dunning.allocation TO dunning_clerk;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA dunning TO dunning_clerk;

CREATE ROLE dunning_collector NOLOGIN IN ROLE dunning_clerk;
GRANT UPDATE ON dunning.customer TO dunning_collector;
GRANT INSERT, UPDATE, DELETE ON dunning.run, dunning.reminder, dunning.reminder_line, dunning.activity,
      dunning.action, dunning.promise, dunning.payment_plan, dunning.installment, dunning.message
   TO dunning_collector;
SELECT format('GRANT TEMPORARY ON DATABASE %I TO dunning_collector', current_database()) \gexec

-- north's team (alice through the group role), south (bob, mapped by name),
-- an unmapped reader, a clerk of north, an administrator
CREATE ROLE team_north NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE team_north, dunning_collector;
CREATE ROLE bob LOGIN IN ROLE dunning_collector;
CREATE ROLE dave LOGIN IN ROLE team_north, dunning_clerk;
CREATE ROLE eve LOGIN IN ROLE dunning_reader;

SELECT throws_ok($$SET ROLE alice; SELECT dunning.enable_row_security()$$, '42501', NULL,
                 'a manager cannot turn row security on');
RESET ROLE;
SELECT is(dunning.enable_row_security(),
          '{customer,entry,allocation,lettering,reminder,reminder_line,action,promise,payment_plan,installment,activity,message,contact,document,run}',
          'enable_row_security() names the tables it protects');
SELECT ok(EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dunning_admin'), 'it creates the role dunning_admin');
SELECT lives_ok('SELECT dunning.enable_row_security()', 'a second call changes nothing');
SELECT is((SELECT count(*)::int FROM dunning.row_security WHERE enabled), 1, 'the switch is on');
CREATE ROLE carol LOGIN IN ROLE dunning_admin, dunning_collector;

-------------------------------------------------------------------------------
-- the ledger: two managers, a customer with none
-------------------------------------------------------------------------------
INSERT INTO dunning.policy (policy_id, name, currency, interest_regime, compensation)
VALUES ('b2b', 'B2B', 'EUR', 'fr', 40);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel) VALUES
    ('b2b', 1, 1, 0, 0, false, 'email'), ('b2b', 2, 15, 7, 10, true, 'letter');
INSERT INTO dunning.credit_manager (manager_id, name, role_name) VALUES
    ('north', 'North', 'team_north'), ('south', 'South', 'bob'), ('ghost', 'Ghost', 'no_such_role');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id) VALUES
    ('N1', 'Nord Un', 'b2b', 'north'), ('N2', 'Nord Deux', 'b2b', 'north'),
    ('S1', 'Sud Un', 'b2b', 'south'), ('X1', 'Nobody''s', 'b2b', NULL), ('G1', 'Ghost''s', 'b2b', 'ghost');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('N1', 1, 'invoice', 'N1-1', '2025-01-01', '2025-01-31', 1000, 'EUR'),
    ('N1', 2, 'payment', 'N1-p', '2025-02-10', NULL, -400, 'EUR'),
    ('N2', 3, 'invoice', 'N2-1', '2025-01-15', '2025-02-14', 700, 'EUR'),
    ('S1', 4, 'invoice', 'S1-1', '2025-01-01', '2025-01-31', 900, 'EUR'),
    ('S1', 5, 'payment', 'S1-p', '2025-02-10', NULL, -900, 'EUR'),
    ('X1', 6, 'invoice', 'X1-1', '2025-01-01', '2025-01-31', 300, 'EUR'),
    ('G1', 7, 'invoice', 'G1-1', '2025-01-01', '2025-01-31', 200, 'EUR');
SELECT FROM setval('dunning.entry_entry_id_seq', 100);
SET dunning.as_of = '2025-03-20';
CREATE TEMP TABLE snapshot AS SELECT * FROM dunning.entry;
GRANT SELECT ON snapshot TO PUBLIC;

-------------------------------------------------------------------------------
-- reads
-------------------------------------------------------------------------------
SET ROLE alice;
SELECT results_eq('SELECT customer_id FROM dunning.customer ORDER BY 1', ARRAY['N1', 'N2'],
                  'alice (through team_north) sees north''s customers only');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.entry ORDER BY 1', ARRAY['N1', 'N2'], 'and their entries');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.open_items ORDER BY 1', ARRAY['N1', 'N2'], 'open_items');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.aged_balance ORDER BY 1', ARRAY['N1', 'N2'], 'aged_balance');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.item_status ORDER BY 1', ARRAY['N1', 'N2'], 'item_status');
SELECT results_eq('SELECT customer_id FROM dunning.reminder_proposal ORDER BY 1', ARRAY['N1', 'N2'], 'reminder_proposal');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.item_status(''2025-03-20'') ORDER BY 1', ARRAY['N1', 'N2'],
                  'a function twin as well');
SELECT is((SELECT sum(amount) FROM dunning.overdue_by_level), 1700.00, 'overdue_by_level adds north''s only');
SELECT is((SELECT count(*)::int FROM dunning.followup_schedule), 0, 'no action of anyone else''s');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.credit_status ORDER BY 1', ARRAY['N1', 'N2'], 'credit_status');
SELECT results_eq($$SELECT ok, reason FROM dunning.can_ship('N2', 10)$$, $$VALUES (true, 'ok')$$,
                  'can_ship for one of her customers');
SELECT throws_ok($$SELECT * FROM dunning.can_ship('S1', 10)$$, '22023', 'unknown customer "S1"',
                 'can_ship for another manager''s customer: unknown');
RESET ROLE;

SET ROLE bob;
SELECT results_eq('SELECT customer_id FROM dunning.customer', ARRAY['S1'], 'bob (mapped by name) sees south''s');
SELECT results_eq('SELECT entry_id FROM dunning.entry ORDER BY 1', ARRAY[4::bigint, 5], 'and its entries');
SELECT is((SELECT count(*)::int FROM dunning.allocation), 0, 'no allocation yet');
RESET ROLE;

SET ROLE eve;
SELECT is((SELECT count(*)::int FROM dunning.customer), 0, 'a reader mapped to no manager sees no customer');
SELECT is((SELECT count(*)::int FROM dunning.item_status), 0, 'and no item');
SELECT throws_ok($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency)
                   VALUES ('N1', 'invoice', '2025-03-01', 1, 'EUR')$$, '42501', NULL, 'nor may write');
RESET ROLE;

SET ROLE carol;
SELECT results_eq('SELECT customer_id FROM dunning.customer ORDER BY 1', ARRAY['G1', 'N1', 'N2', 'S1', 'X1'],
                  'a member of dunning_admin sees every customer, with or without a manager');
SELECT is((SELECT count(*)::int FROM dunning.entry), 7, 'and every entry');
RESET ROLE;

-- the row tests that replace the policies on a distributed ledger
-- (src/security.c) pass the same rows, asked of every entry and manager
-- (the snapshot and the list are under no policy)
CREATE FUNCTION pg_temp.rls_rows() RETURNS text LANGUAGE sql AS $$
SELECT coalesce((SELECT string_agg(entry_id::text, ',' ORDER BY entry_id) FROM snapshot
                  WHERE dunning._rls_customer(customer_id)), '-') || ' / ' ||
       coalesce((SELECT string_agg(m, ',' ORDER BY m)
                   FROM unnest(ARRAY['north', 'south', 'ghost', NULL]) m
                  WHERE dunning._rls_manager(m)), '-') || ' / ' || dunning._rls_all()
$$;
SELECT is(x.got, x.want, 'the row tests of the Citus policies, as ' || x.who)
  FROM (VALUES ('alice', '1,2,3 / north / false'), ('bob', '4,5 / south / false'),
               ('eve', '- / - / false'), ('carol', '1,2,3,4,5,6,7 / ghost,north,south / true')) w(who, want),
       LATERAL (SELECT set_config('role', w.who, true)) r,
       LATERAL (SELECT w.who, w.want, pg_temp.rls_rows() AS got) x;
RESET ROLE;

-------------------------------------------------------------------------------
-- writes: another manager's rows are invisible or refused
-------------------------------------------------------------------------------
SET ROLE alice;
SELECT throws_ok($$INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
                   VALUES ('S1', 'invoice', 'forged', '2025-03-01', 50, 'EUR')$$, '42501', NULL,
                 'alice cannot post an entry on south''s customer');
SELECT throws_ok($$INSERT INTO dunning.customer (customer_id, name, manager_id) VALUES ('N9', 'x', 'south')$$,
                 '42501', NULL, 'nor create a customer for south');
SELECT throws_ok($$UPDATE dunning.customer SET manager_id = 'south' WHERE customer_id = 'N1'$$, '42501', NULL,
                 'nor give her customer to south');
SELECT lives_ok($$UPDATE dunning.entry SET ref = 'hijacked' WHERE customer_id = 'S1'$$,
                'an UPDATE of south''s entries runs (and finds none: below)');
SELECT lives_ok($$UPDATE dunning.customer SET name = 'hijacked' WHERE customer_id = 'S1'$$,
                'so does an UPDATE of south''s customer');
SELECT lives_ok($$INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
                  VALUES ('N2', 'payment', 'N2-p', '2025-03-01', -700, 'EUR')$$, 'alice posts a payment of her own');
RESET ROLE;
SELECT results_eq('SELECT customer_id, ref FROM dunning.entry WHERE customer_id = ''S1'' ORDER BY entry_id',
                  $$VALUES ('S1'::text, 'S1-1'::text), ('S1', 'S1-p')$$, 'south''s entries are as they were');
-- (read first, then compared: a statement about one customer that calls
-- is() would run on that customer's node on a distributed ledger)
SELECT name AS s1_name FROM dunning.customer WHERE customer_id = 'S1' \gset
SELECT is(:'s1_name'::text, 'Sud Un', 'and its customer');

-------------------------------------------------------------------------------
-- function calls
-------------------------------------------------------------------------------
SET ROLE alice;
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.auto_letter() ORDER BY 1', ARRAY['N1', 'N2'],
                  'auto_letter() of the whole ledger letters north''s customers only');
SELECT throws_ok($$SELECT dunning.letter('S1', '{4,5}')$$, NULL, NULL, 'letter() of south''s entries is refused');
SELECT throws_ok($$SELECT * FROM dunning.issue_reminders('2025-03-20', customers => '{S1,X1}')$$, '22023',
                 'unknown customer "S1"', 'issue_reminders for another manager''s customer: unknown to her');
SELECT results_eq($$SELECT customer_id FROM dunning.issue_reminders('2025-03-20') ORDER BY 1$$, ARRAY['N1'],
                  'issue_reminders() reminds north''s late customer');
SELECT throws_ok($$SELECT dunning.log_contact('S1', 'phone', 'hello')$$, '22023', 'unknown customer "S1"',
                 'log_contact on south''s customer: unknown to her');
SELECT throws_ok($$SELECT dunning.set_status('S1', '{4}', 'disputed', 'x')$$, '22023', 'unknown customer "S1"', 'set_status: the same');
SELECT throws_ok($$SELECT dunning.block('S1', '2025-04-30', 'x')$$, '22023', 'unknown customer "S1"', 'block: the same');
SELECT throws_ok($$SELECT dunning.create_payment_plan('S1', '{4}', '{2025-04-01}', '{900}')$$, '22023', 'unknown customer "S1"',
                 'create_payment_plan: the same');
SELECT ok(dunning.log_contact('N1', 'phone', 'will pay', '2025-03-31', 600) IS NOT NULL,
          'alice logs a call with a promise on her customer');
SELECT results_eq('SELECT customer_id, kind FROM dunning.followup_schedule', $$VALUES ('N1'::text, 'promise_check'::text)$$,
                  'her schedule shows the promise check');
SELECT lives_ok(format('SELECT dunning.mark_sent(%L, %s)', 'N1', (SELECT min(reminder_id) FROM dunning.reminder)),
                'she marks her email sent');
SELECT lives_ok($$SELECT dunning.block('N2', '2025-04-30', 'audit')$$, 'blocks a customer of hers');
SELECT lives_ok($$SELECT dunning.block('N2', NULL, 'audit done')$$, 'and lifts the block');
SELECT lives_ok($$SELECT dunning.complete_action('N1', (SELECT min(action_id) FROM dunning.action), 'paid')$$,
                'and completes her promise check');
SELECT lives_ok($$SELECT dunning.set_status('N1', '{1}', 'disputed', 'price', 100)$$, 'disputes part of an invoice');
SELECT lives_ok($$SELECT dunning.set_status('N1', '{1}', 'open')$$, 'and opens it again');
SELECT lives_ok($$SELECT dunning.create_payment_plan('N1', '{1}', '{2025-04-20,2025-05-20}', '{300,300}')$$,
                'agrees a payment plan');
SELECT lives_ok($$SELECT dunning.mark_message_sent('N1', (SELECT min(message_id) FROM dunning.message))$$,
                'and marks its confirmation sent');
RESET ROLE;

SET ROLE bob;
SELECT is((SELECT count(*)::int FROM dunning.reminder), 0, 'bob sees none of alice''s reminders');
SELECT is((SELECT count(*)::int FROM dunning.run), 0, 'nor her runs');
SELECT is((SELECT count(*)::int FROM dunning.outbox), 0, 'nor her outbox');
SELECT is((SELECT count(*)::int FROM dunning.followup_schedule), 0, 'nor her schedule');
SELECT is((SELECT count(*)::int FROM dunning.customer_history), 0, 'nor her customers'' history');
SELECT is((SELECT count(*)::int FROM dunning.lettering), 0, 'nor her lettering');
SELECT throws_ok(format('SELECT dunning.cancel_reminder(%L, %s)', 'N1', (SELECT min(reminder_id) FROM dunning.reminder)),
                 NULL, NULL, 'cancel_reminder of alice''s reminder is refused');
SELECT throws_ok($$SELECT dunning.complete_action('N1', 1, 'paid')$$, NULL, NULL,
                 'complete_action of alice''s action is refused');
SELECT results_eq('SELECT DISTINCT customer_id FROM dunning.auto_letter()', ARRAY['S1'],
                  'bob letters south''s settled invoice');
RESET ROLE;
SET ROLE alice;
SELECT lives_ok($$DELETE FROM dunning.lettering WHERE customer_id = 'S1'$$,
                'alice''s DELETE of south''s lettering runs (and finds none: below)');
RESET ROLE;

SET ROLE dave;
SELECT is((SELECT count(*)::int FROM dunning.lettering), 2, 'dave, north''s clerk, sees north''s lettering only');
SELECT throws_ok($$SELECT * FROM dunning.issue_reminders('2025-03-20')$$, '42501', NULL,
                 'a clerk may not issue reminders');
RESET ROLE;

-- what happened, seen by the owner: each one's work stayed on its customers
SELECT results_eq('SELECT customer_id, channel FROM dunning.reminder ORDER BY reminder_id',
                  $$VALUES ('N1'::text, 'email'::text), ('N1', 'phone')$$,
                  'the reminders are north''s: alice''s email and her call');
SELECT results_eq('SELECT started_by FROM dunning.run', ARRAY['alice'::text], 'one run, alice''s');
SELECT results_eq('SELECT customer_id FROM dunning.lettering ORDER BY 1', ARRAY['N1', 'N2', 'S1'],
                  'north''s two letterings and south''s');
SELECT reminder_count AS n1_count FROM dunning.customer WHERE customer_id = 'N1' \gset
SELECT is(:n1_count, 2, 'counters kept under row security (a letter and a counted call)');
SELECT is((SELECT count(*)::int FROM dunning.entry e JOIN snapshot s USING (customer_id, entry_id)
            WHERE e.customer_id IN ('S1', 'X1', 'G1') AND (e.ref, e.amount) IS DISTINCT FROM (s.ref, s.amount)),
          0, 'no entry of south, nobody or ghost was changed');

-------------------------------------------------------------------------------
-- off again
-------------------------------------------------------------------------------
SELECT throws_ok($$SET ROLE carol; SELECT dunning.disable_row_security()$$, '42501', NULL,
                 'an administrator of the rows may not run the switch');
RESET ROLE;
GRANT EXECUTE ON FUNCTION dunning.disable_row_security(), dunning._set_row_security(boolean) TO carol;
SELECT throws_ok($$SET ROLE carol; SELECT dunning.disable_row_security()$$, '42501',
                 'permission denied to turn row security off',
                 'and, granted it, is refused as she does not own the tables');
RESET ROLE;
SELECT lives_ok('SELECT dunning.disable_row_security()', 'the owner turns it off');
SELECT is((SELECT count(*)::int FROM dunning.row_security WHERE enabled), 0, 'the switch is off');
SET ROLE eve;
SELECT is((SELECT count(*)::int FROM dunning.customer), 5, 'then a reader sees every customer');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
