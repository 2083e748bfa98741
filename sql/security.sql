--
-- Hostile operators and functions planted in a schema that comes before
-- pg_catalog in the search_path are never called by the extension: not by
-- its views, SQL functions, PL/pgSQL functions, triggers nor C code.  The
-- statements below compare nothing themselves (no "=" of the caller's).
--
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET client_min_messages = warning;
SET datestyle = ISO;
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.trap() RETURNS boolean LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'a hostile operator was called'; END $$;
CREATE FUNCTION hostile.t(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE FUNCTION hostile.i(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE FUNCTION hostile.b(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE FUNCTION hostile.d(date, date) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
CREATE FUNCTION hostile.n(numeric, numeric) RETURNS boolean LANGUAGE sql AS 'SELECT hostile.trap()';
DO $$
DECLARE op text; f record;
BEGIN
    FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>='] LOOP
        FOR f IN SELECT * FROM (VALUES ('text', 't'), ('integer', 'i'), ('bigint', 'b'),
                                       ('date', 'd'), ('numeric', 'n')) v(typ, fn) LOOP
            EXECUTE format('CREATE OPERATOR hostile.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = hostile.%s)',
                           op, f.typ, f.typ, f.fn);
        END LOOP;
    END LOOP;
END
$$;
SET search_path = hostile, pg_catalog, public;

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
SELECT count(*) AS lettered FROM dunning.auto_letter();
SELECT dunning.unletter('B', (SELECT min(letter_code) FROM dunning.lettering WHERE customer_id OPERATOR(pg_catalog.=) 'B'));
SELECT dunning.letter('B', '{4,5}');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency)
VALUES ('A', 6, 'payment', 'rest', '2025-03-01', -400, 'EUR');
-- the rest of A-1 joins its partial group, which settles and is renamed
SELECT dunning.letter('A', '{1,6}');

-- the views and the dunning run
SET dunning.as_of = '2025-03-20';
SELECT count(*) AS open_items FROM dunning.open_items;
SELECT count(*) AS aged FROM dunning.aged_balance;
SELECT count(*) AS dashboard FROM dunning.dashboard;
SELECT count(*) AS items FROM dunning.item_status;
SELECT count(*) AS letters FROM dunning.reminder_proposal;
SELECT count(*) AS lines FROM dunning.reminder_proposal_item;
SELECT count(*) AS issued FROM dunning.issue_reminders('2025-03-20');
SELECT count(*) AS levels FROM dunning.overdue_by_level;
SELECT count(*) AS outbox FROM dunning.outbox;
SELECT count(*) AS fec FROM dunning.fec_lettering;
SELECT status FROM dunning.cancel_reminder('A', (SELECT min(reminder_id) FROM dunning.reminder));
SELECT count(*) AS marked FROM (SELECT dunning.mark_sent(customer_id, reminder_id)
                                  FROM dunning.outbox WHERE reminder_id IS NOT NULL) m;
SELECT dunning.late_interest(1000, '2025-01-31', '2025-03-20', 'fr');

-- the follow-up
SELECT dunning.set_status('A', '{2}', 'disputed', 'price', 100);
SELECT dunning.block('A', '2025-04-30', 'claim');
SELECT dunning.block('A', NULL, 'settled');
SELECT dunning.log_contact('A', 'phone', 'will pay', '2025-03-31', 500) IS NOT NULL AS logged;
SELECT dunning.complete_action('A', (SELECT min(action_id) FROM dunning.action), 'paid') IS NULL AS done;
SELECT dunning.create_payment_plan('A', '{2}', '{2025-04-15,2025-05-15}', '{250,250}') IS NOT NULL AS planned;
SELECT count(*) AS schedule FROM dunning.followup_schedule;
SELECT count(*) AS history FROM dunning.customer_history;
SELECT days, dso FROM dunning.kpi('2025-01-01', '2025-03-20', 'EUR');
-- and the counters, maintained throughout
DELETE FROM dunning.reminder;
SELECT sum(reminder_count) AS reminders_left FROM dunning.entry;
TRUNCATE dunning.lettering CASCADE;
SELECT sum(open_amount) AS reopened FROM dunning.entry;
RESET search_path;
RESET dunning.as_of;
DROP SCHEMA hostile CASCADE;
