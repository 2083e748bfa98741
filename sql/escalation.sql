--
-- The rules of escalation one by one: allow_skip, repeat_last, grace days,
-- a courtesy reminder before the due date, the account statement, the
-- customer's interval, promises and payment plans, a partial dispute, and
-- the options of issue_reminders (forced level, payment methods, minimum,
-- manager, reissue).
--
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;
SET client_min_messages = warning;

INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('claire', 'Claire'), ('paul', 'Paul');
INSERT INTO dunning.policy (policy_id, name, currency, allow_skip, repeat_last, grace_days,
                            statement, min_interval_days) VALUES
    ('plain', 'Plain', 'EUR', false, false, 0, 'overdue', 0),
    ('skip', 'Skips levels', 'EUR', true, false, 0, 'overdue', 0),
    ('repeat', 'Repeats the last', 'EUR', false, true, 0, 'overdue', 0),
    ('grace', 'Five grace days', 'EUR', false, false, 5, 'overdue', 0),
    ('account', 'Account statement', 'EUR', false, false, 0, 'account', 0),
    ('spaced', 'Two weeks between letters', 'EUR', false, false, 0, 'overdue', 14),
    ('courtesy', 'Courtesy before due', 'EUR', false, false, 0, 'overdue', 0);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee)
SELECT p, l, d, 7, f
  FROM unnest('{plain,skip,repeat,grace,account,spaced}'::text[]) p,
       (VALUES (1, 1, 0), (2, 15, 5), (3, 30, 10)) v(l, d, f);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel) VALUES
    ('courtesy', 1, -3, 0, 0, 'email'), ('courtesy', 2, 10, 7, 0, 'letter');

INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id) VALUES
    ('SKIP', 'Skipper', 'skip', 'claire'),
    ('STEP', 'Stepper', 'plain', 'claire'),
    ('REPEAT', 'Repeater', 'repeat', 'claire'),
    ('GRACE', 'Graceful', 'grace', 'claire'),
    ('ACCOUNT', 'Whole account', 'account', 'paul'),
    ('SPACED', 'Spaced', 'spaced', 'paul'),
    ('EARLY', 'Early bird', 'courtesy', 'paul'),
    ('PROMISE', 'Promiser', 'plain', 'paul'),
    ('PLAN', 'Planner', 'plain', 'paul'),
    ('PART', 'Partly disputed', 'plain', 'paul'),
    ('NOPOL', 'No policy', NULL, 'paul');

-- as of 2025-03-01: invoices of 100 to 900
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency, payment_method) VALUES
    ('SKIP', 1, 'invoice', 'SK-1', '2025-01-01', '2025-01-20', 100, 'EUR', 'transfer'),     -- 40 days
    ('STEP', 2, 'invoice', 'ST-1', '2025-01-01', '2025-01-20', 200, 'EUR', 'transfer'),     -- 40 days
    ('REPEAT', 3, 'invoice', 'RP-1', '2024-11-01', '2024-12-01', 300, 'EUR', 'transfer'),
    ('GRACE', 4, 'invoice', 'GR-1', '2025-02-01', '2025-02-26', 400, 'EUR', 'transfer'),    -- 3 days
    ('GRACE', 5, 'invoice', 'GR-2', '2025-02-01', '2025-02-22', 450, 'EUR', 'transfer'),    -- 7 days
    ('ACCOUNT', 6, 'invoice', 'AC-1', '2025-01-01', '2025-02-10', 500, 'EUR', 'cheque'),    -- 19 days
    ('ACCOUNT', 7, 'invoice', 'AC-2', '2025-02-20', '2025-03-20', 550, 'EUR', 'cheque'),    -- not due
    ('ACCOUNT', 8, 'payment', 'AC-P', '2025-02-25', NULL, -50, 'EUR', 'cheque'),            -- unapplied
    ('SPACED', 9, 'invoice', 'SP-1', '2025-01-01', '2025-02-01', 600, 'EUR', 'transfer'),
    ('SPACED', 10, 'invoice', 'SP-2', '2025-02-01', '2025-02-25', 650, 'EUR', 'transfer'),
    ('EARLY', 11, 'invoice', 'EA-1', '2025-02-01', '2025-03-03', 700, 'EUR', 'transfer'),   -- due in 2 days
    ('EARLY', 12, 'invoice', 'EA-2', '2025-02-01', '2025-03-10', 720, 'EUR', 'transfer'),   -- due in 9 days
    ('PROMISE', 13, 'invoice', 'PR-1', '2025-01-01', '2025-01-31', 800, 'EUR', 'transfer'),
    ('PLAN', 14, 'invoice', 'PL-1', '2025-01-01', '2025-01-31', 850, 'EUR', 'transfer'),
    ('PART', 15, 'invoice', 'PA-1', '2025-01-01', '2025-01-31', 900, 'EUR', 'transfer'),
    ('NOPOL', 16, 'invoice', 'NP-1', '2025-01-01', '2025-01-31', 950, 'EUR', 'transfer');

-- history: REPEAT is at its last level since 2025-02-10, SPACED was
-- reminded of SP-1 on 2025-02-20
INSERT INTO dunning.reminder (customer_id, reminder_id, as_of, level, channel, currency) VALUES
    ('REPEAT', 1, '2025-02-10', 3, 'letter', 'EUR'),
    ('SPACED', 2, '2025-02-20', 1, 'letter', 'EUR');
INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount) VALUES
    ('REPEAT', 1, 3, 3, 71, 300),
    ('SPACED', 2, 9, 1, 19, 600);
-- a promise covers PR-1 until 10 March; a plan covers PL-1
INSERT INTO dunning.promise (customer_id, entry_ids, amount, currency, promised_on, made_on)
VALUES ('PROMISE', '{13}', 800, 'EUR', '2025-03-10', '2025-02-15');
INSERT INTO dunning.payment_plan (customer_id, plan_id, entry_ids, currency, agreed_on)
VALUES ('PLAN', 1, '{14}', 'EUR', '2025-02-15');
INSERT INTO dunning.installment (customer_id, plan_id, seq, due_on, amount) VALUES
    ('PLAN', 1, 1, '2025-03-15', 425), ('PLAN', 1, 2, '2025-04-15', 425);
-- PA-1 is disputed for 300 of its 900
UPDATE dunning.entry SET status = 'disputed', disputed_amount = 300 WHERE entry_id = 15;

SET dunning.as_of = '2025-03-01';
SELECT customer_id, ref, days_overdue, level, next_level, reason, explanation
  FROM dunning.item_status ORDER BY entry_id;
SELECT customer_id, level, items, dunned_items, overdue_total, fees
  FROM dunning.reminder_proposal ORDER BY customer_id;
-- the account statement lists the item not yet due and the unapplied payment
SELECT ref, days_overdue, open_amount, current_level, new_level, dunned
  FROM dunning.reminder_proposal_item WHERE customer_id = 'ACCOUNT' ORDER BY entry_id;

-- on 16 March the promise has lapsed and the plan's first installment is
-- missed: both items are dunned again
SELECT customer_id, ref, next_level, reason FROM dunning.item_status('2025-03-16')
 WHERE customer_id IN ('PROMISE', 'PLAN') ORDER BY entry_id;

-- the options of issue_reminders, as dry runs
SELECT customer_id, level FROM dunning.issue_reminders('2025-03-01', dry_run => true,
                                                       manager_id => 'paul') ORDER BY 1;
SELECT customer_id, level FROM dunning.issue_reminders('2025-03-01', dry_run => true,
                                                       payment_methods => '{cheque}') ORDER BY 1;
SELECT customer_id, level, total_overdue FROM dunning.issue_reminders('2025-03-01', dry_run => true,
                                                                      min_amount => 650) ORDER BY 1;
-- a forced level: every overdue item below it, whatever the delays
SELECT customer_id, level, fees FROM dunning.issue_reminders('2025-03-01', dry_run => true,
                                                             customers => '{STEP,GRACE,SPACED}', level => 3) ORDER BY 1;
-- reissue: the items held by an interval or at their last level go again
SELECT customer_id, level FROM dunning.issue_reminders('2025-03-01', dry_run => true,
                                                       customers => '{REPEAT,SPACED}', reissue => true) ORDER BY 1;
SELECT count(*) AS nothing_written FROM dunning.run;

-- issued for real: each line's level, and the counters
SELECT customer_id, level FROM dunning.issue_reminders('2025-03-01') ORDER BY 1;
SELECT l.customer_id, e.ref, l.level, l.dunned, e.level AS entry_level, e.reminder_count
  FROM dunning.reminder_line l JOIN dunning.entry e USING (customer_id, entry_id)
  JOIN dunning.reminder r USING (customer_id, reminder_id)
 WHERE r.as_of = '2025-03-01' ORDER BY l.customer_id, l.entry_id;
RESET dunning.as_of;

-- issue_reminders' as_of defaults to the views' day: what was read is issued
SET dunning.as_of = '2025-04-30';
SELECT DISTINCT as_of FROM dunning.issue_reminders(dry_run => true);
RESET dunning.as_of;
