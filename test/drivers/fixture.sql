-- The drivers' ledger (test/other/drivers.sh): the public sample, lettered,
-- dunned every Friday of the first half of 2013 with the demo's procedure,
-- a payment plan, a promise, credit limits, two companies.
\set ON_ERROR_STOP 1
\i examples/load_sample.sql
INSERT INTO dunning.company (company_id, name, city, country, email, iban)
VALUES ('ACME', 'Acme Fournitures SAS', 'Paris', 'FR', 'relances@acme.example', 'FR7630006000011234567890189');
INSERT INTO dunning.policy (policy_id, name, currency, grace_days, min_balance,
                            min_interval_days, interest_regime, interest_rate, compensation,
                            hold_overdue_days, hold_level)
VALUES ('std', 'Standard B2B', 'EUR', 2, 20, 7, 'fixed', 10, 40, 60, 2);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel, final) VALUES
    ('std', 1, 5, 0, 0, false, 'email', false),
    ('std', 2, 20, 14, 10, true, 'letter', false),
    ('std', 3, 45, 14, 25, true, 'letter', true);
-- a few invoices never paid, besides the sample's (all settled in the end)
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT c.customer_id, 'invoice', 'OPEN-' || k || '-' || c.customer_id, '2013-04-01'::date + k * 10, '2013-05-01'::date + k * 10,
       100 * k + 0.55, 'EUR'
  FROM (SELECT customer_id FROM dunning.customer ORDER BY customer_id LIMIT 6) c, generate_series(1, 3) k;
UPDATE dunning.customer SET policy_id = 'std', credit_limit = 500,
       email = lower(customer_id) || '@customers.example';
SELECT count(*) FROM generate_series('2013-01-04'::date, '2013-06-21', '7 days') d,
       LATERAL dunning.issue_reminders(d::date) \g /dev/null
SET dunning.as_of = '2013-06-21';
SELECT dunning.log_contact(customer_id, 'phone', 'will pay next week', promised_on => '2013-06-28',
                           promised_amount => 100)
  FROM (SELECT DISTINCT customer_id FROM dunning.item_status WHERE days_overdue > 0 ORDER BY 1 LIMIT 1) c \g /dev/null
SELECT dunning.create_payment_plan(customer_id, array_agg(entry_id), '{2013-07-15,2013-08-15}', ARRAY[sum(open_amount) / 2, sum(open_amount) / 2])
  FROM dunning.entry WHERE customer_id = (SELECT min(customer_id) FROM dunning.entry WHERE ref LIKE 'OPEN-%')
   AND ref LIKE 'OPEN-%' GROUP BY customer_id \g /dev/null
RESET dunning.as_of;
