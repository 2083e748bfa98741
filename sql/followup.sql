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
RESET dunning.as_of;
