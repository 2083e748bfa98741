-- The demo: a credit manager's first look at a real ledger.
\pset footer off
\pset null ''
CREATE EXTENSION dunning;
\i examples/load_sample.sql

\echo
\echo '== The ledger: 2,466 invoices of 2012-2013 and their payments, each posted on its date'
SELECT kind, count(*) AS entries, sum(amount) AS amount FROM dunning.entry GROUP BY kind ORDER BY kind;

\echo
\echo '== Lettering by reference (dunning.auto_letter): lines lettered, and the groups of one customer'
\echo 'lines lettered:' :lettered_lines
SELECT f.entry_id, e.kind, e.ref, e.doc_date, e.amount, f."EcritureLet", f."DateLet"
  FROM dunning.fec_lettering f JOIN dunning.entry e USING (customer_id, entry_id)
 WHERE f.customer_id = '0379-NEVHP' ORDER BY f."EcritureLet", e.amount DESC LIMIT 6;

-- Look at the books as they stood on 30 June 2013.
SET dunning.as_of = '2013-06-30';

\echo
\echo '== Dashboard as of 2013-06-30'
SELECT currency, receivables, not_due, overdue, overdue_pct, customers, late_customers,
       overdue_items, oldest_due_date, max_days_overdue
  FROM dunning.dashboard;

\echo
\echo '== Aged balance as of 2013-06-30: the ten customers with the most overdue'
SELECT customer_id, manager_id AS manager, currency, not_due, overdue_1_30 AS "1-30",
       overdue_31_60 AS "31-60", overdue_61_90 AS "61-90", overdue_91_120 AS "91-120",
       overdue_over_120 AS "120+", total
  FROM dunning.aged_balance
 ORDER BY overdue DESC, customer_id
 LIMIT 10;

\echo
\echo '== Open items of the most overdue customer'
SELECT o.ref, o.doc_date, o.due_date, o.open_amount, o.days_overdue, dunning.label(o.bucket) AS bucket
  FROM dunning.open_items o
 WHERE o.customer_id = (SELECT customer_id FROM dunning.aged_balance ORDER BY overdue DESC, customer_id LIMIT 1)
 ORDER BY o.due_date;

\echo
\echo '== Claire''s portfolio by bucket, in French, with buckets of her own'
SELECT b.label AS tranche, count(DISTINCT b.customer_id) AS clients, sum(b.items) AS pieces, sum(b.amount) AS montant
  FROM dunning.aged_buckets(dunning.as_of(), '{..-16,-15..0,1..7,8..15,16..}', 'fr') b
  JOIN dunning.customer c USING (customer_id)
 WHERE c.manager_id = 'claire'
 GROUP BY b.bucket, b.label ORDER BY b.bucket;

\echo
\echo '== Overdue at each month end of 2013 (the same ledger, as of each day)'
SELECT d.as_of, s.receivables, s.overdue, s.overdue_pct, s.late_customers
  FROM (SELECT (g + interval '1 month' - interval '1 day')::date AS as_of
          FROM generate_series('2013-01-01'::date, '2013-12-01', '1 month') g) d,
       LATERAL dunning.dashboard(d.as_of) s
 ORDER BY d.as_of;

-------------------------------------------------------------------------------
-- Dunning the first half of 2013, then a dunning day: Friday 28 June 2013
-------------------------------------------------------------------------------
RESET dunning.as_of;
-- The procedure: a friendly email at 5 days, a letter with a fee and late
-- interest at 20 days, a formal notice at 45 days; the 40 EUR compensation
-- once per late invoice.  Every customer follows it.
INSERT INTO dunning.policy (policy_id, name, currency, grace_days, min_balance,
                            min_interval_days, interest_regime, interest_rate, compensation)
VALUES ('std', 'Standard B2B', 'EUR', 2, 20, 7, 'fixed', 10, 40);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel, final) VALUES
    ('std', 1, 5, 0, 0, false, 'email', false),
    ('std', 2, 20, 14, 10, true, 'letter', false),
    ('std', 3, 45, 14, 25, true, 'letter', true);
UPDATE dunning.customer SET policy_id = 'std';

\echo
\echo '== Every Friday from January to 21 June 2013, the reminders issued, by level'
SELECT l.level, l.channel, count(*) AS reminders, sum(l.total_overdue) AS overdue,
       sum(l.fees) AS fees, sum(l.interest) AS interest, sum(l.compensation) AS compensation
  FROM generate_series('2013-01-04'::date, '2013-06-21', '7 days') d,
       LATERAL dunning.issue_reminders(d::date) l
 GROUP BY l.level, l.channel ORDER BY l.level;

-- 28 June: one customer disputes an invoice, another is blocked while a
-- complaint is handled
UPDATE dunning.entry SET status = 'disputed', status_note = 'goods damaged'
 WHERE (customer_id, entry_id) = (SELECT customer_id, entry_id FROM dunning.item_status('2013-06-28')
                                   WHERE reason = 'proposed' ORDER BY open_amount DESC, entry_id LIMIT 1);
UPDATE dunning.customer SET blocked_until = '2013-07-31', block_reason = 'complaint under review'
 WHERE customer_id = (SELECT customer_id FROM dunning.item_status('2013-06-28')
                       WHERE reason = 'proposed' ORDER BY open_amount DESC, entry_id LIMIT 1);
SET dunning.as_of = '2013-06-28';

\echo
\echo '== 28 June: why each overdue item is, or is not, reminded today'
SELECT reason, count(*) AS items, sum(open_amount) AS amount
  FROM dunning.item_status WHERE days_overdue > 0
 GROUP BY reason ORDER BY items DESC;
SELECT DISTINCT ON (reason) customer_id, ref, days_overdue, level, next_level, reason, explanation
  FROM dunning.item_status WHERE days_overdue > 0
 ORDER BY reason, days_overdue DESC;

\echo
\echo '== The reminder proposal: letters by level, and the five largest'
SELECT level, channel, count(*) AS letters, sum(items) AS items, sum(overdue_total) AS overdue,
       sum(fees) AS fees, sum(interest) AS interest, sum(compensation) AS compensation
  FROM dunning.reminder_proposal GROUP BY level, channel ORDER BY level;
SELECT customer_id, level, channel, items, overdue_total, fees, interest, compensation, total, manager_id
  FROM dunning.reminder_proposal ORDER BY total DESC, customer_id LIMIT 5;

\echo
\echo '== Issuing them: emails are queued (NOTIFY dunning_outbox), letters wait to be printed'
SELECT level, channel, status, count(*) AS reminders, sum(total_overdue) AS overdue
  FROM dunning.issue_reminders('2013-06-28') GROUP BY level, channel, status ORDER BY level;
SELECT channel, status, count(*) AS waiting FROM dunning.outbox WHERE as_of = '2013-06-28'
 GROUP BY 1, 2 ORDER BY 1;
\echo
\echo '== The last letter of the half year, in the customer''s language'
SELECT customer_id, as_of, level, language, subject, body FROM dunning.reminder
 WHERE channel = 'letter' ORDER BY as_of DESC, total_overdue DESC, customer_id LIMIT 1 \gx
\echo
\echo '== Issuing again the same day issues nothing'
SELECT count(*) AS reminders FROM dunning.issue_reminders('2013-06-28');
\echo
\echo '== The counters the triggers keep: overdue items by their reminder level'
SELECT level, customers, items, amount FROM dunning.overdue_by_level ORDER BY level;

\echo
\echo '== Calls of the day: a promise to pay by 5 July, a call back on 2 July'
SELECT dunning.log_contact(b.customer_id, 'phone', 'will pay by transfer next week', '2013-07-05',
                           b.overdue, counts_as_reminder => false) > 0 AS promise_logged
  FROM (SELECT customer_id, overdue FROM dunning.aged_balance
         WHERE overdue > 0 AND customer_id NOT IN (SELECT customer_id FROM dunning.customer
                                                    WHERE blocked_until IS NOT NULL)
         ORDER BY overdue DESC, customer_id LIMIT 1) b;
SELECT dunning.log_contact(b.customer_id, 'phone', 'accounts payable absent, call back',
                           next_action_on => '2013-07-02') > 0 AS call_logged
  FROM (SELECT customer_id FROM dunning.aged_balance
         WHERE overdue > 0 AND customer_id NOT IN (SELECT customer_id FROM dunning.customer
                                                    WHERE blocked_until IS NOT NULL)
         ORDER BY overdue DESC, customer_id OFFSET 1 LIMIT 1) b;
\echo
\echo '== The follow-up schedule, per credit manager'
SELECT owner, due_on, state, customer_id, kind, title, amount, currency
  FROM dunning.followup_schedule ORDER BY owner, due_on, customer_id;
\echo
\echo '== The history of the customer who promised'
SELECT at::date AS day, kind, summary, "by"
  FROM dunning.customer_history
 WHERE customer_id = (SELECT customer_id FROM dunning.promise ORDER BY promise_id LIMIT 1)
 ORDER BY at DESC LIMIT 8;
\echo
\echo '== Credit control: a limit of 500 for every customer, holds from 60 days overdue or level 2'
UPDATE dunning.customer SET credit_limit = 500;
UPDATE dunning.policy SET hold_overdue_days = 60, hold_level = 2;
SELECT customer_id, currency, credit_limit, exposure, available, oldest_days_overdue, level, hold_reason
  FROM dunning.credit_status WHERE hold ORDER BY exposure DESC, customer_id LIMIT 5;
\echo
\echo '== Can we ship an order of 200 to the customer who owes most, and to one who owes nothing?'
SELECT c.customer_id, k.ok, k.reason, k.available
  FROM (SELECT customer_id FROM dunning.credit_status ORDER BY exposure DESC, customer_id LIMIT 1) c,
       dunning.can_ship(c.customer_id, 200) k
UNION ALL
SELECT c.customer_id, k.ok, k.reason, k.available
  FROM (SELECT customer_id FROM dunning.customer
         WHERE customer_id NOT IN (SELECT customer_id FROM dunning.credit_status WHERE exposure > 0)
         ORDER BY customer_id LIMIT 1) c,
       dunning.can_ship(c.customer_id, 200) k;

-------------------------------------------------------------------------------
-- Delivery: the letters of the day on the company's letterhead, for the
-- printer, and the emails sent through an SMTP server (examples/demo starts
-- one on loopback: smtp_url)
-------------------------------------------------------------------------------
INSERT INTO dunning.company (company_id, name, address, postal_code, city, country, vat_id,
                             email, phone, iban, bic, logo)
VALUES ('ACME', 'Acme Fournitures SAS', E'12 rue de la Paix\nBâtiment B', '75002', 'Paris', 'FR',
        'FR40303265045', 'relances@acme.example', '+33 1 23 45 67 89',
        'FR76 3000 6000 0112 3456 7890 189', 'AGRIFRPP', decode(:'logo', 'hex'));
-- postal addresses for everyone; an email address for the customers who
-- chose paperless bills in the sample (the others get their emails printed)
UPDATE dunning.customer c
   SET address = (1 + abs(hashtext(c.customer_id)) % 180) || CASE WHEN c.language = 'fr'
                     THEN ' rue de la République' ELSE ' High Street' END,
       postal_code = CASE WHEN c.language = 'fr' THEN (69001 + abs(hashtext(c.customer_id)) % 9)::text
                          ELSE 'EC1A ' || (1 + abs(hashtext(c.customer_id)) % 9) || 'BB' END,
       city = CASE WHEN c.language = 'fr' THEN 'Lyon' ELSE 'London' END,
       country = CASE WHEN c.language = 'fr' THEN 'FR' ELSE 'GB' END,
       email = CASE WHEN s.paperless_bill = 'Electronic' THEN lower(c.customer_id) || '@customers.example' END
  FROM (SELECT DISTINCT ON (customer_id) customer_id, paperless_bill
          FROM ar_sample ORDER BY customer_id, invoice_date DESC) s
 WHERE s.customer_id = c.customer_id;
UPDATE dunning.level SET attach_letter = true WHERE policy_id = 'std' AND level = 1;

-- the last run that printed letters
SELECT run_id AS last_run, as_of AS last_run_day FROM dunning.reminder
 WHERE channel IN ('letter', 'legal') ORDER BY as_of DESC, run_id DESC LIMIT 1 \gset
\echo
\echo '== The letters of the last run with letters, of' :last_run_day '(run_pdf): one PDF for the printer'
SELECT channel, count(*) AS letters, sum(total_overdue + fees + interest + compensation) AS total
  FROM dunning.reminder WHERE run_id = :last_run AND channel IN ('letter', 'legal') GROUP BY channel;
\pset format unaligned
\pset tuples_only on
SELECT encode(dunning.run_pdf(:last_run), 'base64') \g |base64 -d > "$DEMO_LETTERS"
\pset format aligned
\pset tuples_only off
\! pdfinfo "$DEMO_LETTERS" | grep -E '^(Pages|Page size)'

\echo
\echo '== The emails of the half year, sent through the SMTP server at' :smtp_url
SET dunning.smtp_url = :'smtp_url';
SET client_min_messages = warning;
CALL dunning.send_outbox();
RESET client_min_messages;
SELECT channel, status, count(*) AS reminders, count(*) FILTER (WHERE last_error IS NOT NULL) AS with_note
  FROM dunning.reminder WHERE level = 1 GROUP BY channel, status ORDER BY channel, status;
\echo 'emails with no address became letters, waiting in the next print batch (dunning.print_batch()):'
SELECT customer_id, reminder_id, channel, status, last_error FROM dunning.outbox
 WHERE last_error IS NOT NULL ORDER BY customer_id, reminder_id LIMIT 3;
\echo 'and all the letters waiting in the outbox, for the printer (print_batch):'
\pset format unaligned
\pset tuples_only on
SELECT encode(dunning.print_batch(), 'base64') \g |base64 -d > "$DEMO_BATCH"
\pset format aligned
\pset tuples_only off
\! pdfinfo "$DEMO_BATCH" | grep -E '^Pages'
\echo
\echo '== What the SMTP server received'
\! /usr/bin/python3 examples/received.py "$DEMO_MAIL"
