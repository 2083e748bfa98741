-- The customer ledger: entries, allocations and the open amounts they keep.
CREATE EXTENSION dunning;
SET datestyle = ISO;

INSERT INTO dunning.credit_manager (manager_id, name, email)
VALUES ('claire', 'Claire Martin', 'claire@example.com');
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('std', 'Standard', 'EUR');
INSERT INTO dunning.customer (customer_id, name, language, policy_id, manager_id)
VALUES ('C1', 'Boulangerie Dupont', 'fr', 'std', 'claire'),
       ('C2', 'Acme Ltd', 'en', 'std', 'claire');

-- Invoices, a credit note and payments.  A new entry is open for its amount,
-- whatever open_amount the insert says.
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency, open_amount)
VALUES ('C1', 1, 'invoice',     'F1',  '2025-01-10', '2025-02-09',  1200, 'EUR', 0),
       ('C1', 2, 'invoice',     'F2',  '2025-02-05', '2025-03-07',   800, 'EUR', 999),
       ('C1', 3, 'credit_note', 'AV1', '2025-02-20', NULL,          -200, 'EUR', NULL),
       ('C1', 4, 'payment',     'P1',  '2025-03-10', NULL,         -1500, 'EUR', 0),
       ('C1', 5, 'invoice',     'F3',  '2025-03-01', '2025-03-31',   500, 'EUR', 0),
       ('C2', 6, 'invoice',     'A-17','2025-01-15', '2025-02-14',  1000, 'USD', 0),
       ('C2', 7, 'payment',     'W-1', '2025-02-01', NULL,          -400, 'EUR', 0);
SELECT entry_id, kind, amount, open_amount FROM dunning.entry ORDER BY entry_id;

-- Allocations within a lettering group move the open amounts of both sides
-- and are dated the later document date of the two.
INSERT INTO dunning.lettering (customer_id, letter_code, partial) VALUES ('C1', 'aaa', true);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount, allocated_on)
VALUES ('C1', 'aaa', 1, 3,  200, '1999-01-01'),
       ('C1', 'aaa', 1, 4, 1000, NULL),
       ('C1', 'aaa', 2, 4,  500, NULL);
SELECT debit_id, credit_id, amount, allocated_on FROM dunning.allocation ORDER BY allocation_id;
SELECT entry_id, ref, amount, open_amount FROM dunning.entry WHERE customer_id = 'C1' ORDER BY entry_id;

-- open_amount cannot be written by hand, and an allocated entry's amount,
-- currency and date are fixed; an unallocated one may be corrected.
UPDATE dunning.entry SET open_amount = 0 WHERE customer_id = 'C1' AND entry_id = 2;
UPDATE dunning.entry SET status = 'disputed', status_note = 'price' WHERE customer_id = 'C1' AND entry_id = 2;
SELECT entry_id, open_amount, status FROM dunning.entry WHERE customer_id = 'C1' AND entry_id = 2;
UPDATE dunning.entry SET amount = 900 WHERE customer_id = 'C1' AND entry_id = 2;
UPDATE dunning.entry SET currency = 'USD' WHERE customer_id = 'C1' AND entry_id = 1;
UPDATE dunning.entry SET doc_date = '2025-01-11' WHERE customer_id = 'C1' AND entry_id = 4;
UPDATE dunning.entry SET amount = 550 WHERE customer_id = 'C1' AND entry_id = 5;
SELECT entry_id, amount, open_amount FROM dunning.entry WHERE customer_id = 'C1' AND entry_id = 5;
DELETE FROM dunning.entry WHERE customer_id = 'C1' AND entry_id = 1;

-- Over-allocation, wrong sides, other currencies, other customers: refused,
-- nothing changes.
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 5, 4, 600);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 2, 4, 301);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 4, 2, 10);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 2, 5, 10);
INSERT INTO dunning.lettering (customer_id, letter_code, partial) VALUES ('C2', 'aaa', true);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C2', 'aaa', 6, 7, 100);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C2', 'aaa', 2, 7, 100);
\set VERBOSITY terse
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 2, 4, 0);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'aaa', 2, 4, -50);
INSERT INTO dunning.lettering (customer_id, letter_code, partial) VALUES ('C1', 'ABC', true);
\set VERBOSITY default
SELECT entry_id, open_amount FROM dunning.entry WHERE customer_id = 'C1' ORDER BY entry_id;

-- A changed allocation moves the open amounts by the difference.
UPDATE dunning.allocation SET amount = 300 WHERE customer_id = 'C1' AND debit_id = 2;
SELECT entry_id, open_amount FROM dunning.entry WHERE customer_id = 'C1' ORDER BY entry_id;

-- Removing the group (unlettering) gives every amount back exactly.
DELETE FROM dunning.lettering WHERE customer_id = 'C1' AND letter_code = 'aaa';
SELECT count(*) AS allocations_left FROM dunning.allocation;
SELECT entry_id, amount, open_amount, open_amount = amount AS whole FROM dunning.entry
 WHERE customer_id = 'C1' ORDER BY entry_id;

-- TRUNCATE of the allocations reopens every entry too.
INSERT INTO dunning.lettering (customer_id, letter_code) VALUES ('C1', 'AAA');
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
VALUES ('C1', 'AAA', 5, 3, 200);
SELECT entry_id, open_amount FROM dunning.entry WHERE customer_id = 'C1' AND entry_id IN (3, 5) ORDER BY 1;
TRUNCATE dunning.allocation;
SELECT entry_id, open_amount FROM dunning.entry WHERE customer_id = 'C1' AND entry_id IN (3, 5) ORDER BY 1;

-- Sign rules and other checks of the ledger.
\set VERBOSITY terse
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', -10, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'payment', '2025-01-01', 10, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'bribe', '2025-01-01', 10, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', 10, 'euro');
INSERT INTO dunning.entry (customer_id, kind, doc_date, due_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', '2024-12-01', 10, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C9', 'invoice', '2025-01-01', 10, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency, status) VALUES ('C1', 'invoice', '2025-01-01', 10, 'EUR', 'lost');
INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency, disputed_amount) VALUES ('C1', 'invoice', '2025-01-01', 10, 'EUR', 11);
INSERT INTO dunning.customer (customer_id, name, language) VALUES ('C3', 'Bad', 'french');

DROP EXTENSION dunning;
