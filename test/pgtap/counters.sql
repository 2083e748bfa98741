-- pgTAP: the reminder counters equal a recount whatever the caller does
-- around them (README "Counters"): user triggers that trap an error, EXCEPTION blocks,
-- savepoints released, rolled back and nested, around issuing, cancelling,
-- logging calls and hand-made reminders.
\i test/pgtap/setup.psql
SELECT plan(31);

INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('p', 'P', 'EUR');
INSERT INTO dunning.level (policy_id, level, min_days, channel) VALUES
    ('p', 1, 1, 'letter'), ('p', 2, 10, 'letter'), ('p', 3, 20, 'letter');
INSERT INTO dunning.customer (customer_id, name, policy_id)
SELECT c, 'Customer ' || c, 'p' FROM unnest('{A,B,C,D,E,F,G,H}'::text[]) c;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT c, 'invoice', c || k, '2025-01-01', '2025-01-31', 100 * k, 'EUR'
  FROM unnest('{A,B,C,D,E,F,G,H}'::text[]) c, generate_series(1, 3) k;

-- a user's row trigger that traps an error: its EXCEPTION block is a
-- subtransaction that rolls back on every row
CREATE FUNCTION pg_temp.trapping() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM 1 / 0;
    EXCEPTION WHEN division_by_zero THEN
        NULL;
    END;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_line AFTER INSERT OR UPDATE ON dunning.reminder_line
    FOR EACH ROW EXECUTE FUNCTION pg_temp.trapping();
CREATE TRIGGER audit_reminder AFTER INSERT OR UPDATE ON dunning.reminder
    FOR EACH ROW EXECUTE FUNCTION pg_temp.trapping();

-------------------------------------------------------------------------------
-- one INSERT of three lines under a trapping trigger (the defect of 0.5.0:
-- every note was dropped, and the entries stayed at 0)
-------------------------------------------------------------------------------
INSERT INTO dunning.reminder (customer_id, as_of, level, channel, currency)
VALUES ('A', '2025-02-05', 1, 'letter', 'EUR');
INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount)
SELECT e.customer_id, r.reminder_id, e.entry_id, 1, 5, e.open_amount
  FROM dunning.entry e JOIN dunning.reminder r USING (customer_id)
 WHERE e.customer_id = 'A';
SELECT is((SELECT array_agg(reminder_count ORDER BY entry_id) FROM dunning.entry WHERE customer_id = 'A'),
          '{1,1,1}'::int[], 'three lines in one INSERT under a trapping trigger: each entry reminded once');
SELECT is((SELECT array_agg(level ORDER BY entry_id) FROM dunning.entry WHERE customer_id = 'A'),
          '{1,1,1}'::int[], 'and at level 1');
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'A'), 1,
          'the customer once');
SELECT is(pg_temp.entries_off(), 0, 'entries equal the recount');
SELECT is(pg_temp.customers_off(), 0, 'customers equal the recount');

-------------------------------------------------------------------------------
-- issue_reminders and log_contact under the trapping triggers
-------------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM dunning.issue_reminders('2025-02-05', customers => '{B,C}')), 2,
          'issue_reminders for two customers under trapping triggers');
SELECT is((SELECT array_agg(reminder_count ORDER BY customer_id) FROM dunning.customer
            WHERE customer_id IN ('B', 'C')), '{1,1}'::int[], 'both customers counted');
SELECT is((SELECT sum(reminder_count)::int FROM dunning.entry WHERE customer_id IN ('B', 'C')), 6,
          'their six entries counted');
SELECT ok(dunning.log_contact('H', 'phone', 'called, no answer', counts_as_reminder => true) IS NOT NULL,
          'log_contact under trapping triggers');
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'H'), 1, 'the call counts');
SELECT is(pg_temp.entries_off(), 0, 'entries equal the recount');
SELECT is(pg_temp.customers_off(), 0, 'customers equal the recount');

-------------------------------------------------------------------------------
-- a statement nested in a subtransaction that rolls back takes back its own
-- lines, not those of the statement around it
-------------------------------------------------------------------------------
DROP TRIGGER audit_line ON dunning.reminder_line;
INSERT INTO dunning.reminder (customer_id, as_of, level, channel, currency)
VALUES ('D', '2025-02-05', 1, 'letter', 'EUR'), ('D', '2025-02-06', 2, 'letter', 'EUR');
CREATE FUNCTION pg_temp.nested() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.level = 1 THEN
        BEGIN
            -- the same entry again, on the other reminder, then an error
            INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount)
            SELECT NEW.customer_id, r.reminder_id, NEW.entry_id, 2, 6, NEW.open_amount
              FROM dunning.reminder r WHERE r.customer_id = NEW.customer_id AND r.as_of = '2025-02-06';
            RAISE EXCEPTION 'the nested insert is undone';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER nested_line AFTER INSERT ON dunning.reminder_line
    FOR EACH ROW EXECUTE FUNCTION pg_temp.nested();
INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount)
SELECT e.customer_id, r.reminder_id, e.entry_id, 1, 5, e.open_amount
  FROM dunning.entry e JOIN dunning.reminder r USING (customer_id)
 WHERE e.customer_id = 'D' AND r.as_of = '2025-02-05';
SELECT is((SELECT count(*)::int FROM dunning.reminder_line WHERE customer_id = 'D'), 3,
          'the nested lines were rolled back, the three outer ones stay');
SELECT is((SELECT array_agg(reminder_count ORDER BY entry_id) FROM dunning.entry WHERE customer_id = 'D'),
          '{1,1,1}'::int[], 'the outer lines are counted');
SELECT is((SELECT array_agg(last_reminded_on ORDER BY entry_id) FROM dunning.entry WHERE customer_id = 'D'),
          '{2025-02-05,2025-02-05,2025-02-05}'::date[], 'the nested ones are not');
SELECT is(pg_temp.entries_off(), 0, 'entries equal the recount');
DROP TRIGGER nested_line ON dunning.reminder_line;

-------------------------------------------------------------------------------
-- savepoints around issuing, cancelling and logging calls
-------------------------------------------------------------------------------
SAVEPOINT s1;
SELECT is((SELECT count(*)::int FROM dunning.issue_reminders('2025-02-05', customers => '{E}')), 1, 'E reminded');
SAVEPOINT s2;
SELECT lives_ok($$SELECT dunning.cancel_reminder('E', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'E'))$$,
                'E''s reminder cancelled');
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'E'), 0, 'cancelled: E at 0');
ROLLBACK TO SAVEPOINT s2;
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'E'), 1,
          'the cancellation rolled back: E at 1 again');
SELECT is((SELECT sum(reminder_count)::int FROM dunning.entry WHERE customer_id = 'E'), 3, 'and its entries');
SAVEPOINT s3;
SAVEPOINT s4;
SELECT ok(dunning.log_contact('E', 'phone', 'promised to pay', counts_as_reminder => true) IS NOT NULL, 'a call logged');
RELEASE SAVEPOINT s4;
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'E'), 2, 'a released call counts: E at 2');
ROLLBACK TO SAVEPOINT s3;
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'E'), 1,
          'the savepoint around it rolled back: E at 1');
SELECT is(pg_temp.entries_off(), 0, 'entries equal the recount');
SELECT is(pg_temp.customers_off(), 0, 'customers equal the recount');
RELEASE SAVEPOINT s1;
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'E'), 1, 'released: E at 1');

-------------------------------------------------------------------------------
-- an ERP procedure's own EXCEPTION blocks around issue_reminders
-------------------------------------------------------------------------------
DO $$
BEGIN
    BEGIN
        PERFORM dunning.issue_reminders('2025-02-05', customers => '{F}');
        RAISE EXCEPTION 'the ERP undoes F';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    BEGIN
        PERFORM dunning.issue_reminders('2025-02-05', customers => '{G}');
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END
$$;
SELECT is((SELECT array_agg(reminder_count ORDER BY customer_id) FROM dunning.customer
            WHERE customer_id IN ('F', 'G')), '{0,1}'::int[], 'F undone, G kept');
SELECT is((SELECT count(*)::int FROM dunning.reminder WHERE customer_id = 'F'), 0, 'F has no reminder');
SELECT is(pg_temp.entries_off(), 0, 'entries equal the recount');
SELECT is(pg_temp.customers_off(), 0, 'customers equal the recount');

SELECT * FROM finish();
ROLLBACK;
