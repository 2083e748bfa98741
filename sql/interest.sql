--
-- Late interest, fees and the flat compensation on reminders; charges
-- posted on the account, and taken back with a cancelled reminder.
--
DROP EXTENSION IF EXISTS dunning CASCADE;
CREATE EXTENSION dunning;
SET datestyle = ISO;
SET client_min_messages = warning;

-- the worked example of SPEC 4.4: 12,000.00 due 2025-05-31, paid 2025-08-14
SELECT r AS regime, dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', r) AS interest
  FROM unnest('{fr,be,de,eu,de_b2c}'::text[]) r;
-- the same at a fixed 8 % a year, and with other day counts
SELECT dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', 8.0) AS fixed_8,
       dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', 'fr', 'act/360') AS fr_act_360,
       dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', 'fr', '30/360') AS fr_30_360;
-- a period over three semesters takes three rates
SELECT dunning.late_interest(10000, '2024-12-31', '2025-12-31', 'fr') AS fr_2025,
       round(10000 * ((3.15 + 10) * 181 + (2.15 + 10) * 184) / 36500, 2) AS by_hand;

-- a French B2B procedure: statutory interest ('fr') and fees on level 2,
-- 40 EUR compensation per late invoice, charges posted on the account
INSERT INTO dunning.policy (policy_id, name, currency, interest_regime, compensation, post_charges)
VALUES ('fr_b2b', 'B2B', 'EUR', 'fr', 40, true);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel) VALUES
    ('fr_b2b', 1, 1, 0, 0, false, 'email'),
    ('fr_b2b', 2, 30, 10, 15, true, 'letter'),
    ('fr_b2b', 3, 60, 10, 25, true, 'letter');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, is_consumer, email) VALUES
    ('PRO', 'Pro SARL', 'fr', 'fr_b2b', false, 'compta@pro.example'),
    ('CONSO', 'Jean Dupont', 'fr', 'fr_b2b', true, 'jean@example.org');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('PRO', 'invoice', 'F-12000', '2025-05-01', '2025-05-31', 12000, 'EUR'),
    ('PRO', 'payment', 'VIR F-12000', '2025-07-15', NULL, -2000, 'EUR'),
    ('CONSO', 'invoice', 'F-300', '2025-05-01', '2025-05-31', 300, 'EUR');
SELECT dunning.letter('PRO', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'PRO'));

-- level 1 on 10 June: no interest at level 1, the compensation for the
-- professional only
SELECT customer_id, level, channel, overdue_total, fees, interest, compensation, total
  FROM dunning.reminder_proposal('2025-06-10') ORDER BY 1;
SELECT customer_id, level, status, fees, interest, compensation, charge_entry_ids <> '{}' AS posted
  FROM dunning.issue_reminders('2025-06-10') ORDER BY 1;
SELECT customer_id, kind, ref, doc_date, due_date, amount, source
  FROM dunning.entry WHERE source = 'dunning' ORDER BY customer_id, entry_id;
SELECT customer_id, channel, status, subject FROM dunning.outbox ORDER BY customer_id;

-- level 2 on 14 August: interest on 10,000 to the day, on the 2,000 paid
-- on 15 July until that day; the fee; no second compensation
SELECT customer_id, ref, new_level, days_overdue, open_amount, interest, compensation
  FROM dunning.reminder_proposal_item('2025-08-14') ORDER BY 1, 2;
SELECT round(dunning._late_interest(10000, '2025-05-31', '2025-08-14', 'fr', NULL, 'act/365')
             + dunning._late_interest(2000, '2025-05-31', '2025-07-15', 'fr', NULL, 'act/365'), 2) AS pro_by_hand,
       dunning.late_interest(300, '2025-05-31', '2025-08-14', 'fr') AS conso_by_hand;
SELECT customer_id, level, total_overdue, fees, interest, compensation
  FROM dunning.issue_reminders('2025-08-14') ORDER BY 1;
SELECT body FROM dunning.reminder WHERE customer_id = 'PRO' AND level = 2 \g (format=unaligned tuples_only)
-- the charges are entries of the account, open and due at once
SELECT customer_id, kind, ref, amount, open_amount
  FROM dunning.entry WHERE source = 'dunning' ORDER BY customer_id, entry_id;

-- cancelling the level 2 letter takes its charges back
-- (the reminder's id read first, then given as a value: on a distributed
-- ledger Citus would run a statement that reads a customer's rows, the call
-- with it, on the customer's node; README "Outgrowing one server")
SELECT reminder_id AS pro_level_2 FROM dunning.reminder WHERE customer_id = 'PRO' AND level = 2 \gset
SELECT status FROM dunning.cancel_reminder('PRO', :pro_level_2);
SELECT customer_id, kind, ref, amount FROM dunning.entry WHERE source = 'dunning' ORDER BY customer_id, entry_id;
SELECT ref, level, reminder_count, last_reminded_on FROM dunning.entry WHERE customer_id = 'PRO' ORDER BY entry_id;

-- a lettered charge keeps its reminder: unletter first
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
VALUES ('CONSO', 'payment', 'fee', '2025-08-20', -15, 'EUR');
SELECT dunning.letter('CONSO', ARRAY(SELECT entry_id FROM dunning.entry
                                      WHERE customer_id = 'CONSO' AND (kind = 'fee' OR ref = 'fee')));
\set VERBOSITY terse
SELECT reminder_id AS conso_level_2 FROM dunning.reminder WHERE customer_id = 'CONSO' AND level = 2 \gset
SELECT dunning.cancel_reminder('CONSO', :conso_level_2);
\set VERBOSITY default

-- with charges posted, interest runs from the last reminder that charged
-- it (14 August for the consumer); the professional's level 2 was
-- cancelled, so its interest runs from the due date again
SELECT customer_id, ref, new_level, interest FROM dunning.reminder_proposal_item('2025-09-30') WHERE dunned ORDER BY 1, 2;
SELECT dunning.late_interest(300, '2025-08-14', '2025-09-30', 'fr') AS conso_since_last;

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
