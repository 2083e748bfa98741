--
-- A dunning day, as a credit manager runs it: proposal, item status,
-- issuing, cancelling, escalation to the last level, and the customers
-- held back with their reason.
--
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;
SET client_min_messages = warning;

-- the procedure of the issue: R1 at 1 day, R2 at 15 days (10 days after
-- R1, fee 10), R3 at 30 days (10 days after R2, fee 20, final)
INSERT INTO dunning.policy (policy_id, name, currency, min_balance,
                            excluded_sources, excluded_methods)
VALUES ('std', 'Standard', 'EUR', 50, '{pos}', '{direct_debit}');
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel, final) VALUES
    ('std', 1, 1, 0, 0, 'letter', false),
    ('std', 2, 15, 10, 10, 'letter', false),
    ('std', 3, 30, 10, 20, 'letter', true);
INSERT INTO dunning.credit_manager (manager_id, name, email)
VALUES ('claire', 'Claire Martin', 'claire@example.com');

INSERT INTO dunning.customer (customer_id, name, language, policy_id, manager_id, blocked_until, block_reason) VALUES
    ('ACME', 'Acme SA', 'fr', 'std', 'claire', NULL, NULL),
    ('SMALL', 'Small Ltd', 'en', 'std', 'claire', NULL, NULL),
    ('DISP', 'Disputes Inc', 'en', 'std', 'claire', NULL, NULL),
    ('BLOCK', 'Blocked GmbH', 'en', 'std', 'claire', '2025-12-31', 'insolvency proceedings'),
    ('POS', 'Shop Customer', 'en', 'std', 'claire', NULL, NULL),
    ('EXCL', 'Excluded BV', 'en', 'std', 'claire', NULL, NULL),
    ('DD', 'Direct Debit SARL', 'fr', 'std', 'claire', NULL, NULL);

INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency,
                           source, payment_method, excluded, status) VALUES
    ('ACME', 'invoice', 'F-1000', '2024-12-02', '2025-01-01', 1000, 'EUR', NULL, 'transfer', false, 'open'),
    ('SMALL', 'invoice', 'S-1', '2024-12-02', '2025-01-01', 40, 'EUR', NULL, 'transfer', false, 'open'),
    ('DISP', 'invoice', 'D-1', '2024-12-02', '2025-01-01', 500, 'EUR', NULL, 'transfer', false, 'disputed'),
    ('BLOCK', 'invoice', 'B-1', '2024-12-02', '2025-01-01', 800, 'EUR', NULL, 'transfer', false, 'open'),
    ('POS', 'invoice', 'P-1', '2024-12-02', '2025-01-01', 300, 'EUR', 'pos', 'card', false, 'open'),
    ('EXCL', 'invoice', 'X-1', '2024-12-02', '2025-01-01', 700, 'EUR', NULL, 'transfer', true, 'open'),
    ('DD', 'invoice', 'DD-1', '2024-12-02', '2025-01-01', 900, 'EUR', NULL, 'direct_debit', false, 'open');

-- 10 January: Acme is proposed at level 1; everyone else is held back,
-- each for one reason
SET dunning.as_of = '2025-01-10';
SELECT customer_id, ref, days_overdue, next_level, reason, explanation
  FROM dunning.item_status ORDER BY customer_id;
SELECT customer_id, currency, level, channel, template, items, overdue_total, fees, interest,
       compensation, total, manager_id
  FROM dunning.reminder_proposal;
SELECT customer_id, ref, current_level, new_level, dunned, reason
  FROM dunning.reminder_proposal_item;

-- a dry run shows the letter and writes nothing
SELECT customer_id, reminder_id, level, status, subject
  FROM dunning.issue_reminders('2025-01-10', dry_run => true);
SELECT count(*) AS runs FROM dunning.run;

-- issue: one letter, in French, with the invoice listed
SELECT customer_id, level, channel, status, total_overdue, fees, subject
  FROM dunning.issue_reminders('2025-01-10');
SELECT body FROM dunning.reminder WHERE customer_id = 'ACME' \g (format=unaligned tuples_only)
SELECT ref, level, reminder_count, last_reminded_on FROM dunning.entry WHERE customer_id = 'ACME';
SELECT customer_id, level, reminder_count, last_reminded_on FROM dunning.customer WHERE customer_id = 'ACME';
SELECT as_of, options, dry_run, reminders FROM dunning.run;

-- issuing again the same day issues nothing new
SELECT count(*) AS again FROM dunning.issue_reminders('2025-01-10');

-- 15 January: too early for level 2
SET dunning.as_of = '2025-01-15';
SELECT ref, level, next_level, reason, explanation FROM dunning.item_status WHERE customer_id = 'ACME';

-- 20 January: level 2 with its fee
SET dunning.as_of = '2025-01-20';
SELECT ref, level, next_level, reason, explanation FROM dunning.item_status WHERE customer_id = 'ACME';
SELECT customer_id, level, fees, total FROM dunning.reminder_proposal;
SELECT reminder_id AS r2 FROM dunning.issue_reminders('2025-01-20') \gset
SELECT ref, level, reminder_count, last_reminded_on FROM dunning.entry WHERE customer_id = 'ACME';

-- cancelling it restores the counters of the first reminder
SELECT status FROM dunning.cancel_reminder('ACME', :r2);
SELECT ref, level, reminder_count, last_reminded_on FROM dunning.entry WHERE customer_id = 'ACME';
SELECT level, reminder_count, last_reminded_on FROM dunning.customer WHERE customer_id = 'ACME';
SELECT kind, summary FROM dunning.activity WHERE customer_id = 'ACME' ORDER BY activity_id;

-- levels 2 and 3, then nothing more: the last level
SELECT level, fees FROM dunning.issue_reminders('2025-01-20');
SELECT level, fees FROM dunning.issue_reminders('2025-01-31');
SET dunning.as_of = '2025-02-28';
SELECT ref, level, reminder_count, next_level, reason, explanation
  FROM dunning.item_status WHERE customer_id = 'ACME';
SELECT count(*) AS proposed FROM dunning.reminder_proposal;
SELECT level, reminder_count, last_reminded_on FROM dunning.customer WHERE customer_id = 'ACME';

-- reissue sends the last level again, ignoring the interval
SELECT customer_id, level, fees FROM dunning.issue_reminders('2025-02-28', reissue => true);

-- the outbox holds the letters to print; mark_sent takes one out
SELECT customer_id, level, channel, status FROM dunning.outbox ORDER BY reminder_id;
SELECT status FROM dunning.mark_sent('ACME', (SELECT min(reminder_id) FROM dunning.outbox),
                                     '2025-03-01 09:00+00');
SELECT count(*) AS waiting FROM dunning.outbox;
SELECT level, customers, items, amount FROM dunning.overdue_by_level('2025-02-28') ORDER BY level;
RESET dunning.as_of;

-- the proposal (summed in one pass) and its items (judged letter by
-- letter, as issuing does) agree; one statement a day (Citus runs each on
-- the shards: it takes no lateral join of the days to the proposal)
CREATE TEMP TABLE agreement (as_of date, disagreements bigint);
DO $$
DECLARE
    d date;
BEGIN
    FOREACH d IN ARRAY '{2025-01-10,2025-02-28,2025-06-10,2025-08-14,2025-09-30}'::date[] LOOP
        INSERT INTO agreement
        SELECT d, count(*)
          FROM dunning.reminder_proposal(d) p
          FULL JOIN (SELECT customer_id, currency, min(letter_level) AS lvl, count(*)::int AS n,
                            (count(*) FILTER (WHERE dunned))::int AS dn,
                            sum(interest) AS i, sum(compensation) AS c
                       FROM dunning.reminder_proposal_item(d) GROUP BY 1, 2) x
            USING (customer_id, currency)
         WHERE (p.level, p.items, p.dunned_items, p.interest, p.compensation)
               IS DISTINCT FROM (x.lvl, x.n, x.dn, x.i, x.c);
    END LOOP;
END
$$;
SELECT as_of, disagreements FROM agreement ORDER BY as_of;
