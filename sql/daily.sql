--
-- The unattended day, as the administrator sets it up and a credit manager
-- reads it in the morning: automatic and review levels, daily_run, what it
-- recorded (daily_run_log), the summary email of each credit manager, a
-- customer whose letter fails left out and recorded, a second run that
-- does nothing, the refused requests; and an installment check completed
-- before its day.  test/other/cron.sh runs it under a real pg_cron.
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;

INSERT INTO dunning.company (company_id, name, city, country, email)
VALUES ('ACME', 'Acme Fournitures SAS', 'Paris', 'FR', 'relances@acme.example');
INSERT INTO dunning.policy (policy_id, name, currency, min_balance) VALUES ('std', 'Standard', 'EUR', 0);
-- R1 by email goes out by itself; R2, a letter with a fee, waits for review
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel, auto) VALUES
    ('std', 1, 1, 0, 0, 'email', true),
    ('std', 2, 15, 10, 10, 'letter', false);
INSERT INTO dunning.credit_manager (manager_id, name, email, language) VALUES
    ('claire', 'Claire Martin', 'claire@acme.example', 'fr'),
    ('paul', 'Paul Leroy', 'paul@acme.example', 'en');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, manager_id, email) VALUES
    ('DUPONT', 'Boulangerie Dupont', 'fr', 'std', 'claire', 'compta@dupont.example'),
    ('MARTIN', 'Garage Martin', 'fr', 'std', 'claire', 'contact@martin.example'),
    ('SMITH', 'Smith & Sons Ltd', 'en', 'std', 'paul', 'ap@smith.example'),
    ('DOLLAR', 'Dollar Trading Inc', 'en', 'std', 'paul', 'ap@dollar.example');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('DUPONT', 'invoice', 'F-1', '2025-01-02', '2025-02-01', 1200, 'EUR'),
    ('DUPONT', 'payment', 'VIR F-1', '2025-02-20', NULL, -1200, 'EUR'),
    ('DUPONT', 'invoice', 'F-2', '2025-02-01', '2025-03-03', 800, 'EUR'),
    ('MARTIN', 'invoice', 'F-3', '2025-02-10', '2025-02-20', 450, 'EUR'),
    ('SMITH', 'invoice', 'I-9', '2025-02-01', '2025-03-01', 2500, 'EUR'),
    -- a letter in USD, and the policy has no USD amounts: it fails
    ('DOLLAR', 'invoice', 'U-1', '2025-01-15', '2025-02-14', 990, 'USD');
-- a promise to pay that falls due on the 10th
SET dunning.as_of = '2025-03-03';
SELECT dunning.log_contact('SMITH', 'phone', 'will pay on the 10th', promised_on => '2025-03-10',
                           promised_amount => 2500) IS NOT NULL AS promise_logged;
RESET dunning.as_of;

-- 10 March, 6:00: the day runs by itself
CALL dunning.daily_run('2025-03-10');
SELECT daily_run_id, as_of, status, errors, customer_id, step, sqlstate, message
  FROM dunning.daily_run_log;
SELECT jsonb_pretty(steps #- '{lettering,seconds}' #- '{issue,seconds}' #- '{summaries,seconds}') AS steps
  FROM dunning.daily_run;
-- F-1 is lettered with its payment; the R1 emails are queued
SELECT customer_id, ref, letter_code IS NOT NULL AS lettered FROM dunning.entry WHERE customer_id = 'DUPONT' ORDER BY ref;
SELECT customer_id, level, channel, status FROM dunning.reminder ORDER BY customer_id;
-- each credit manager's summary, in their language, queued for send_outbox
SELECT manager_id, subject, status FROM dunning.digest ORDER BY manager_id;
SELECT body FROM dunning.digest WHERE manager_id = 'paul';
SELECT "to", sender, mime LIKE '%Subject: =?UTF-8?B?%' OR mime LIKE '%Subject: Dunning day%' AS has_subject
  FROM dunning._email('digest', 'paul', (SELECT digest_id FROM dunning.digest WHERE manager_id = 'paul'));
SELECT kind, customer_id, status FROM dunning.outbox ORDER BY kind, customer_id;

-- the same day again: nothing new is issued, no second summary
CALL dunning.daily_run('2025-03-10');
SELECT (SELECT count(*) FROM dunning.reminder) AS reminders, (SELECT count(*) FROM dunning.digest) AS digests;

-- 25 March: level 2 is for review; it waits in the proposal and in the summary
CALL dunning.daily_run('2025-03-25');
SELECT customer_id, level, channel, status FROM dunning.reminder WHERE as_of = '2025-03-25';
SELECT body FROM dunning.digest WHERE manager_id = 'claire' AND as_of = '2025-03-25';
-- the credit manager issues what she approves
SELECT customer_id, level, status FROM dunning.issue_reminders('2025-03-25', customers => '{MARTIN}');

-- the failing customer, once its amounts exist, is done by the next run
INSERT INTO dunning.level_amount (policy_id, level, currency, min_amount, fee) VALUES ('std', 1, 'USD', 0, 0);
CALL dunning.daily_run('2025-03-25');
SELECT customer_id, level, channel, status FROM dunning.reminder WHERE customer_id = 'DOLLAR';
SELECT daily_run_id, as_of, errors FROM dunning.daily_run ORDER BY daily_run_id;

-- refused, and nothing done
SELECT count(*) AS runs FROM dunning.daily_run;
CALL dunning.daily_run('2025-03-20');
-- (a day to come: its detail names today, written here as (today))
DO $$
DECLARE
    st text;
    msg text;
    det text;
BEGIN
    CALL dunning.daily_run('2999-01-01');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
    RAISE WARNING '%: %', st, msg;
    RAISE WARNING 'detail: %', replace(det, dunning._today()::text, '(today)');
END
$$;
CALL dunning.daily_run(NULL);
CALL dunning.daily_run('infinity');
SET dunning.daily_strategies = 'reference, fifo, magic';
CALL dunning.daily_run('2025-03-25');
SET dunning.daily_strategies = '';
CALL dunning.daily_run('2025-03-25');
RESET dunning.daily_strategies;
BEGIN;
CALL dunning.daily_run('2025-03-25');
ROLLBACK;
SELECT count(*) AS runs FROM dunning.daily_run;

-- an installment check completed before its installment's day is refused
-- (and the plan stays active); on the day, unpaid, it breaks the plan
SET dunning.as_of = '2025-04-01';
-- (the items read first, then given as a value: README "Outgrowing one
-- server")
SELECT array_agg(entry_id) AS smith_items FROM dunning.entry WHERE customer_id = 'SMITH' \gset
SELECT dunning.create_payment_plan('SMITH', :'smith_items', '{2025-04-29,2025-05-30}', '{1250,1250}') AS plan_id \gset
SELECT action_id AS check_id FROM dunning.action WHERE plan_id = :plan_id AND kind = 'installment_check' \gset
SELECT dunning.complete_action('SMITH', :check_id, 'checked early');
SELECT status FROM dunning.payment_plan WHERE plan_id = :plan_id;
SET dunning.as_of = '2025-04-29';
SELECT dunning.complete_action('SMITH', :check_id, 'not paid') IS NULL AS done;
SELECT status FROM dunning.payment_plan WHERE plan_id = :plan_id;
RESET dunning.as_of;
