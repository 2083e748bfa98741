-- Credit control: can we ship to ACME?  One customer goes over its limit,
-- past the overdue days, reaches the hold level, is blocked, and comes
-- back off hold as its payments are lettered.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dunning CASCADE;
RESET client_min_messages;
CREATE EXTENSION dunning;
INSERT INTO dunning.policy (policy_id, name, currency, hold_overdue_days, hold_level)
VALUES ('std', 'Standard', 'EUR', 30, 2);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, channel) VALUES
    ('std', 1, 1, 0, 'letter'), ('std', 2, 15, 7, 'letter'), ('std', 3, 45, 7, 'letter');
INSERT INTO dunning.customer (customer_id, name, policy_id, credit_limit, insured_limit)
VALUES ('ACME', 'Acme SA', 'std', 5000, 4000),
       ('BETA', 'Beta GmbH', 'std', NULL, NULL);
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('ACME', 'invoice', 'F1', '2025-01-01', '2025-01-31', 2000, 'EUR'),
    ('ACME', 'invoice', 'F2', '2025-01-29', '2025-02-28', 1500, 'EUR'),
    ('BETA', 'invoice', 'B1', '2025-01-01', '2025-01-31', 300, 'USD');
SET dunning.as_of = '2025-02-10';

-- ten days after F1 fell due: within the limit, not on hold
SELECT customer_id, currency, credit_limit, receivables, open_orders, exposure, available,
       overdue, oldest_days_overdue, level, insured_limit, uninsured_exposure, hold, hold_reason
  FROM dunning.credit_status ORDER BY customer_id, currency;
-- an order line of 1,200 fits in the 1,500 left; one of 1,600 does not
SELECT * FROM dunning.can_ship('ACME', 1200);
SELECT * FROM dunning.can_ship('ACME', 1600);
-- BETA has no limit: only the hold rules apply
SELECT * FROM dunning.can_ship('BETA', 1000000);

-- the ERP confirms orders of 2,000 not yet invoiced: over the limit
UPDATE dunning.customer SET open_orders = 2000 WHERE customer_id = 'ACME';
SELECT exposure, available, uninsured_exposure, hold, hold_reason FROM dunning.credit_status
 WHERE customer_id = 'ACME';
SELECT * FROM dunning.can_ship('ACME', 0);

-- the orders are invoiced (F3), and a reminder goes out on 15 February
UPDATE dunning.customer SET open_orders = 0 WHERE customer_id = 'ACME';
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('ACME', 'invoice', 'F3', '2025-02-12', '2025-03-14', 2000, 'EUR');
SELECT customer_id, level FROM dunning.issue_reminders('2025-02-15', customers => '{ACME}');

-- 5 March: F1 is 33 days overdue (the policy holds from 30) and the second
-- reminder puts it at level 2, the hold level
SET dunning.as_of = '2025-03-05';
SELECT customer_id, level FROM dunning.issue_reminders('2025-03-05', customers => '{ACME}');
SELECT exposure, available, overdue, oldest_days_overdue, level, hold, hold_reason
  FROM dunning.credit_status WHERE customer_id = 'ACME';
-- and the credit manager blocks the account
SELECT dunning.block('ACME', '2025-03-31', 'payment behaviour under review');
SELECT hold_reason FROM dunning.credit_status WHERE customer_id = 'ACME';
SELECT * FROM dunning.can_ship('ACME', 100);

-- 10 March: F1 is paid and lettered: under the limit, nothing overdue past
-- 30 days, no open item at level 2
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
VALUES ('ACME', 'payment', 'F1', '2025-03-10', -2000, 'EUR');
SELECT count(*) AS lettered FROM dunning.auto_letter('ACME');
SET dunning.as_of = '2025-03-10';
SELECT exposure, available, overdue, oldest_days_overdue, level, hold, hold_reason
  FROM dunning.credit_status WHERE customer_id = 'ACME';
-- the block ends early: ACME may be shipped to again
SELECT dunning.block('ACME', NULL, 'review done');
SELECT * FROM dunning.can_ship('ACME', 1200);
-- as of the first day, the view still says what it said then
SELECT exposure, hold, hold_reason FROM dunning.credit_status('2025-02-10') WHERE customer_id = 'ACME';

-- the dashboard counts the customers on hold and the exposure over limits
SET dunning.as_of = '2025-03-05';
SELECT currency, receivables, customers, customers_on_hold, exposure_over_limit FROM dunning.dashboard
 ORDER BY currency;

-- bad input: an error with a detail (SQLSTATEs: test/pgtap/credit.sql),
-- nothing changed
SELECT * FROM dunning.can_ship('NOBODY', 10);
SELECT * FROM dunning.can_ship('ACME', NULL);
SELECT * FROM dunning.can_ship('ACME', -5);
SELECT * FROM dunning.can_ship('ACME', 'NaN');
\set VERBOSITY terse
UPDATE dunning.customer SET credit_limit = -1 WHERE customer_id = 'ACME';
UPDATE dunning.customer SET open_orders = -1 WHERE customer_id = 'ACME';
UPDATE dunning.customer SET open_orders = 'Infinity' WHERE customer_id = 'ACME';
UPDATE dunning.policy SET hold_overdue_days = 0;
UPDATE dunning.policy SET hold_level = 0;
\set VERBOSITY default
SELECT credit_limit, open_orders FROM dunning.customer WHERE customer_id = 'ACME';
SELECT hold_overdue_days, hold_level FROM dunning.policy;
RESET dunning.as_of;
