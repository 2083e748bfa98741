--
-- Follow-up basics: items disputed (whole and in part), blocked and in
-- litigation, a customer blocked and unblocked, and the customer's history.
--
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;
SET client_min_messages = warning;

INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('p', 'P', 'EUR');
INSERT INTO dunning.level (policy_id, level, min_days) VALUES ('p', 1, 1), ('p', 2, 15);
INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('C1', 'Client One', 'p');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C1', 1, 'invoice', 'F-1', '2025-01-01', '2025-01-31', 1000, 'EUR'),
    ('C1', 2, 'invoice', 'F-2', '2025-01-05', '2025-02-04', 400, 'EUR'),
    ('C1', 3, 'invoice', 'F-3', '2025-01-10', '2025-02-09', 250, 'EUR'),
    ('C1', 4, 'payment', 'P-1', '2025-02-01', NULL, -250, 'EUR');
SELECT dunning.letter('C1', '{3,4}');
SET dunning.as_of = '2025-03-01';

-- F-1 is disputed for 300 of its 1,000: the other 700 is still dunned;
-- F-2 is in litigation
SELECT dunning.set_status('C1', '{1}', 'disputed', 'wrong quantity on line 3', disputed_amount => 300);
SELECT dunning.set_status('C1', '{2}', 'litigation', 'sent to the lawyer');
SELECT ref, status, status_note, disputed_amount FROM dunning.entry WHERE customer_id = 'C1' ORDER BY entry_id;
SELECT ref, next_level, reason, explanation FROM dunning.item_status ORDER BY entry_id;
SELECT customer_id, level, overdue_total FROM dunning.reminder_proposal;

-- the whole of F-1 disputed, then both items open again
SELECT dunning.set_status('C1', '{1}', 'disputed', 'the customer refuses the invoice');
SELECT ref, reason FROM dunning.item_status ORDER BY entry_id;
SELECT dunning.set_status('C1', '{1,2}', 'open');
SELECT e.ref, e.status, e.status_note, e.disputed_amount, s.reason
  FROM dunning.entry e JOIN dunning.item_status s USING (customer_id, entry_id) ORDER BY entry_id;

-- a block until a day, then lifted
SELECT dunning.block('C1', '2025-03-31', 'complaint under review');
SELECT blocked_until, block_reason FROM dunning.customer;
SELECT DISTINCT reason, explanation FROM dunning.item_status;
SELECT dunning.block('C1', NULL, 'complaint settled');
SELECT blocked_until, block_reason FROM dunning.customer;

-- the history, newest first, with who did it
SELECT kind, summary, refs, "by" = current_user AS by_me FROM dunning.customer_history WHERE customer_id = 'C1';

-- bad input
\set VERBOSITY terse
SELECT dunning.set_status('C1', '{1}', 'promise');
SELECT dunning.set_status('C1', '{1,2}', 'disputed', NULL, 100);
SELECT dunning.set_status('C1', '{1}', 'disputed', NULL, 1500);
SELECT dunning.set_status('C1', '{4}', 'blocked');
SELECT dunning.set_status('C1', '{99}', 'blocked');
SELECT dunning.set_status('NOPE', '{1}', 'blocked');
SELECT dunning.set_status('C1', '{}', 'blocked');
SELECT dunning.block('C1', '2025-02-01', 'too late');
SELECT dunning.block('C1', '2025-04-01', NULL);
\set VERBOSITY default
SELECT count(*) AS history_lines FROM dunning.activity;

-- Calls and promises.  C2 owes 600, C3 owes 300; both are called on 3 March.
INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('claire', 'Claire');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id) VALUES
    ('C2', 'Client Two', 'p', 'claire'), ('C3', 'Client Three', 'p', 'claire');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C2', 10, 'invoice', 'G-1', '2025-01-15', '2025-02-14', 600, 'EUR'),
    ('C3', 20, 'invoice', 'H-1', '2025-01-15', '2025-02-14', 300, 'EUR');
SET dunning.as_of = '2025-03-03';
-- C2 promises to pay 600 by 12 March: the call counts as a reminder, the
-- invoice is held until then and a check is scheduled for Claire
SELECT dunning.log_contact('C2', 'phone', 'will pay by transfer next week',
                           promised_on => '2025-03-12', promised_amount => 600) > 0 AS logged;
SELECT ref, status, level, reminder_count, last_reminded_on FROM dunning.entry WHERE customer_id = 'C2';
SELECT reminder_count, last_reminded_on FROM dunning.customer WHERE customer_id = 'C2';
SELECT kind, due_on, owner, title FROM dunning.action WHERE customer_id = 'C2';
-- C3 promises 300 by 7 March and a call back on 10 March; this call does
-- not count as a reminder
SELECT dunning.log_contact('C3', 'phone', 'cash flow problem', '2025-03-07', 300,
                           next_action_on => '2025-03-10', counts_as_reminder => false) > 0 AS logged;
SELECT reminder_count FROM dunning.entry WHERE customer_id = 'C3';
SET dunning.as_of = '2025-03-05';
SELECT customer_id, ref, reason, explanation FROM dunning.item_status
 WHERE customer_id IN ('C2', 'C3') ORDER BY 1;

-- C2 pays on 10 March; on 12 March the check finds the promise kept
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency)
VALUES ('C2', 11, 'payment', 'VIR G-1', '2025-03-10', -600, 'EUR');
SELECT count(*) AS lettered FROM dunning.auto_letter('C2');
SET dunning.as_of = '2025-03-12';
-- (each action's id read first, then given as a value: on a distributed
-- ledger Citus would run a statement that reads a customer's rows, the call
-- with it, on the customer's node; README "Outgrowing one server")
SELECT action_id AS c2_action FROM dunning.action WHERE customer_id = 'C2' \gset
SELECT dunning.complete_action('C2', :c2_action, 'paid in full') AS next_action;
SELECT status FROM dunning.promise WHERE customer_id = 'C2';

-- C3 paid nothing: the promise is broken, the invoice is dunned again at
-- its level, and the next call stands on 14 March
SELECT action_id AS c3_check FROM dunning.action WHERE customer_id = 'C3' AND kind = 'promise_check' \gset
SELECT dunning.complete_action('C3', :c3_check, 'no payment received',
                               next_on => '2025-03-14') IS NOT NULL AS next_scheduled;
SELECT status FROM dunning.promise WHERE customer_id = 'C3';
SELECT e.ref, e.status, s.reason FROM dunning.entry e JOIN dunning.item_status s USING (customer_id, entry_id)
 WHERE customer_id = 'C3';
SELECT kind, due_on, title, done_on, result FROM dunning.action WHERE customer_id = 'C3' ORDER BY action_id;
SELECT kind, summary FROM dunning.customer_history WHERE customer_id = 'C3';

-- Claire's schedule on 12 March: the call back of 10 March is late, the
-- follow-up call is upcoming; an insured customer's invoice must be notified
-- to the credit insurer 60 days after its due date
UPDATE dunning.policy SET insurer_notice_days = 60;
UPDATE dunning.customer SET insured = true WHERE customer_id = 'C1';
SELECT due_on, owner, customer_id, kind, title, amount, currency, days_late, state
  FROM dunning.followup_schedule ORDER BY due_on, customer_id, kind;
-- once the insurer is notified, the deadline leaves the schedule
INSERT INTO dunning.action (customer_id, kind, entry_ids, due_on, owner, title, done_on, result)
VALUES ('C1', 'insurer_notice', '{1}', '2025-03-12', 'claire', 'insurer notified', '2025-03-12', 'sent');
SELECT kind, title FROM dunning.followup_schedule WHERE customer_id = 'C1';

-- KPIs, checked by hand.  In CHF: 70,000 invoiced on 15 January (38,000
-- paid on 20 February), 80,000 on 15 February, 100,000 on 15 March, all at
-- 30 days.  On 31 March the receivables are 212,000; counted back in
-- 30-day months, newest first: 100,000 (30 days), 80,000 (30 days), then
-- 32,000 of 70,000 (13.7 days): a countback DSO of 73.7 days.  Over the 90
-- days of the quarter: DSO 212/250 x 90 = 76.3; best possible 100/250 x 90
-- = 36.0 (only the March invoice is not yet due); ADD 40.3; CEI (0 + 250 -
-- 212) / (0 + 250 - 100) = 25.3 %.
INSERT INTO dunning.customer (customer_id, name) VALUES ('CH', 'Swiss client');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('CH', 30, 'invoice', 'CH-1', '2025-01-15', '2025-02-14', 70000, 'CHF'),
    ('CH', 31, 'payment', 'CH-P', '2025-02-20', NULL, -38000, 'CHF'),
    ('CH', 32, 'invoice', 'CH-2', '2025-02-15', '2025-03-17', 80000, 'CHF'),
    ('CH', 33, 'invoice', 'CH-3', '2025-03-15', '2025-04-14', 100000, 'CHF');
SELECT dunning.letter('CH', '{30,31}');
SELECT * FROM dunning.kpi('2025-01-01', '2025-03-31', 'CHF') \gx

-- A payment plan: 1,000 in two installments, 500 on 20 December and 500
-- on 20 January.  The invoice is held while the plan runs, a confirmation
-- email is queued, and a check stands on the first installment.
INSERT INTO dunning.customer (customer_id, name, language, email, policy_id, manager_id)
VALUES ('PL', 'Plan SARL', 'fr', 'compta@plan.example', 'p', 'claire');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('PL', 40, 'invoice', 'PL-1', '2025-10-01', '2025-11-01', 1000, 'EUR');
SET dunning.as_of = '2025-12-01';
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-12-20,2026-01-20}', '{500,500}',
                                   'two installments agreed by phone') AS plan_id \gset
SELECT seq, due_on, amount, paid_on FROM dunning.installment WHERE plan_id = :plan_id ORDER BY seq;
SELECT ref, status, status_note FROM dunning.entry WHERE customer_id = 'PL';
SELECT reason FROM dunning.item_status WHERE customer_id = 'PL';
SELECT kind, due_on, title FROM dunning.followup_schedule WHERE customer_id = 'PL';
SELECT kind, channel, status, subject, body FROM dunning.outbox WHERE customer_id = 'PL' \gx
-- 500 paid on 18 December; the check of the 20th moves to the next installment
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency)
VALUES ('PL', 41, 'payment', 'PL-1 1/2', '2025-12-18', -500, 'EUR');
SELECT count(*) AS lettered FROM dunning.auto_letter('PL');
-- the proposal reads the plan from the lettering: held after 20 December
-- (December paid), dunned again after 20 January (January not paid), with
-- or without the checks
SELECT d, reason FROM unnest('{2025-12-21,2026-01-21}'::date[]) d,
       LATERAL dunning.item_status(d) s WHERE s.customer_id = 'PL';
SET dunning.as_of = '2025-12-20';
SELECT action_id AS pl_action FROM dunning.action WHERE customer_id = 'PL' \gset
SELECT dunning.complete_action('PL', :pl_action, 'first installment received');
SELECT kind, due_on, title FROM dunning.followup_schedule WHERE customer_id = 'PL';
SELECT seq, paid_on FROM dunning.installment WHERE plan_id = :plan_id ORDER BY seq;
-- nothing on 20 January: the installment is missed, the plan broken, the
-- rest of the invoice dunned again
SET dunning.as_of = '2026-01-22';
SELECT max(action_id) AS pl_action FROM dunning.action WHERE customer_id = 'PL' \gset
SELECT dunning.complete_action('PL', :pl_action, 'nothing received');
SELECT status FROM dunning.payment_plan WHERE plan_id = :plan_id;
SELECT ref, open_amount, reason, next_level FROM dunning.item_status WHERE customer_id = 'PL';
SELECT kind, summary FROM dunning.customer_history WHERE customer_id = 'PL';
SELECT message_id AS pl_message FROM dunning.message WHERE customer_id = 'PL' \gset
SELECT dunning.mark_message_sent('PL', :pl_message);
SELECT count(*) AS still_queued FROM dunning.outbox WHERE customer_id = 'PL';
SET dunning.as_of = '2025-12-01';

-- bad input
\set VERBOSITY terse
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-12-20}', '{500}');
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-12-20,2025-12-10}', '{500,500}');
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-11-20,2025-12-20}', '{500,500}');
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-12-20,2026-01-20}', '{500}');
SELECT dunning.create_payment_plan('PL', '{40}', '{2025-12-20,2026-01-20}', '{1000,-500}');
SELECT dunning.mark_message_sent('PL', :pl_message);
SELECT dunning.kpi('2025-03-31', '2025-01-01', 'CHF');
SELECT dunning.kpi(NULL, '2025-01-01', 'CHF');
SELECT dunning.kpi('2025-01-01', '2025-03-31', 'euro');
SELECT dunning.log_contact('C3', 'pigeon', 'x');
SELECT dunning.log_contact('C3', 'phone', NULL);
SELECT dunning.log_contact('C3', 'phone', 'x', '2025-03-01', 100);
SELECT dunning.log_contact('C3', 'phone', 'x', '2025-03-20', NULL);
SELECT dunning.log_contact('C3', 'phone', 'x', '2025-03-20', -5);
SELECT dunning.log_contact('C3', 'phone', 'x', next_action_on => '2025-03-01');
SELECT dunning.log_contact('C3', 'phone', 'x', entry_ids => '{10}');
SELECT min(action_id) AS c3_first, max(action_id) AS c3_last FROM dunning.action WHERE customer_id = 'C3' \gset
SELECT dunning.complete_action('C3', :c3_first, 'again');
SELECT dunning.complete_action('C3', -1, 'x');
SELECT dunning.complete_action('C3', :c3_last, NULL);
\set VERBOSITY default
RESET dunning.as_of;
