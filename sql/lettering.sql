-- Lettering: matching payments and credit notes to invoices.
CREATE EXTENSION dunning;
SET datestyle = ISO;

-- The worked example: one customer account.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C1', 'Boulangerie Dupont');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C1', 1, 'invoice',     'F1',  '2025-01-10', '2025-02-09',  1200, 'EUR'),
    ('C1', 2, 'invoice',     'F2',  '2025-02-05', '2025-03-07',   800, 'EUR'),
    ('C1', 3, 'credit_note', 'AV1', '2025-02-20', NULL,          -200, 'EUR'),
    ('C1', 4, 'invoice',     'F3',  '2025-03-01', '2025-03-31',   500, 'EUR'),
    ('C1', 5, 'payment',     'P1',  '2025-03-10', NULL,         -1500, 'EUR'),
    ('C1', 6, 'payment',     'P2',  '2025-04-02', NULL,          -300, 'EUR');
CREATE VIEW account AS
    SELECT entry_id, kind, ref, amount, open_amount, letter_code, lettered_on
      FROM dunning.entry WHERE customer_id = 'C1' ORDER BY entry_id;

-- FIFO letters F1, F2, AV1, P1 and P2 as one total group; F3 stays open for 500.
-- A dry run shows it first and changes nothing.
SELECT * FROM dunning.auto_letter('C1', '{fifo}', dry_run => true);
SELECT count(*) AS groups FROM dunning.lettering;
SELECT * FROM dunning.auto_letter('C1', '{fifo}');
SELECT * FROM account;
SELECT debit_id, credit_id, amount, allocated_on FROM dunning.allocation ORDER BY allocation_id;
SELECT letter_code, partial, strategy, lettered_on FROM dunning.lettering;
SELECT entry_id, "EcritureLet", "DateLet" FROM dunning.fec_lettering WHERE customer_id = 'C1' ORDER BY entry_id;

-- Unlettering gives every amount back exactly.
SELECT dunning.unletter('C1', 'AAA');
SELECT * FROM account;

-- With one more credit of -100, subset finds the same five-line group (the
-- largest that sums to zero) and leaves F3 and the -100 open.
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency)
VALUES ('C1', 7, 'payment', 'P3', '2025-04-05', -100, 'EUR');
SELECT * FROM dunning.auto_letter('C1', '{subset}');
SELECT * FROM account;
SELECT dunning.unletter('C1', 'AAA');

-- By hand: a payment that does not cover its invoice makes a partial group
-- (lower-case code, no lettering date) ...
SELECT dunning.letter('C1', '{1,5}');
SELECT * FROM account;
-- ... and a credit that settles the group's debit makes it total: the group
-- takes the next upper-case code.
SELECT dunning.letter('C1', '{5,2,3}');
SELECT * FROM account;
SELECT letter_code, partial, strategy, lettered_on FROM dunning.lettering ORDER BY letter_code;
SELECT dunning.letter('C1', '{2,6}');
SELECT * FROM account;
SELECT letter_code, partial, lettered_on FROM dunning.lettering ORDER BY letter_code;

-- Tolerance: a gap of 0.30 is written off.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C2', 'Acme');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C2', 11, 'invoice', 'A-100', '2025-01-15', '2025-02-14', 1000.00, 'EUR'),
    ('C2', 12, 'payment', 'A-100', '2025-02-10', NULL, -999.70, 'EUR');
SELECT dunning.letter('C2', '{11,12}', 0.50);
-- the write-off last: its id comes from a sequence (distributed, from the
-- range of the node that holds the customer)
SELECT kind, ref, amount, open_amount, letter_code, source FROM dunning.entry WHERE customer_id = 'C2' ORDER BY kind = 'writeoff', entry_id;
SELECT letter_code, partial, writeoff FROM dunning.lettering WHERE customer_id = 'C2';
-- unlettering removes the write-off too
SELECT dunning.unletter('C2', 'AAA');
SELECT kind, amount, open_amount, letter_code FROM dunning.entry WHERE customer_id = 'C2' ORDER BY entry_id;
-- without enough tolerance the group stays partial
SELECT dunning.letter('C2', '{11,12}', 0.10);
SELECT dunning.unletter('C2', 'aaa');

-- Reference: a payment whose reference names the invoices it pays.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C3', 'Zed');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C3', 21, 'invoice', 'INV-1001', '2025-01-01', '2025-01-31', 300, 'EUR'),
    ('C3', 22, 'invoice', 'INV-1002', '2025-01-05', '2025-02-04', 200, 'EUR'),
    ('C3', 23, 'invoice', 'INV-1003', '2025-01-09', '2025-02-08', 150, 'EUR'),
    ('C3', 24, 'payment', 'virement INV-1003 / inv-1001', '2025-02-10', NULL, -450, 'EUR'),
    ('C3', 25, 'payment', 'INV-10021', '2025-02-11', NULL, -200, 'EUR');
SELECT * FROM dunning.auto_letter('C3', '{reference}');
SELECT entry_id, open_amount, letter_code FROM dunning.entry WHERE customer_id = 'C3' ORDER BY entry_id;

-- Exact: equal amounts, the nearest dates first; a tie goes to the older debit.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C4', 'Twins');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C4', 31, 'invoice', 'T1', '2025-01-01', '2025-01-31', 100, 'EUR'),
    ('C4', 32, 'invoice', 'T2', '2025-02-01', '2025-03-03', 100, 'EUR'),
    ('C4', 33, 'invoice', 'T3', '2025-02-01', '2025-02-20', 250, 'EUR'),
    ('C4', 34, 'payment', 'X',  '2025-03-01', NULL, -100, 'EUR'),
    ('C4', 35, 'payment', 'Y',  '2025-02-15', NULL, -120, 'EUR');
SELECT * FROM dunning.auto_letter('C4', '{exact}');
-- the payment of 2025-03-01 is 2 days from T2's due date, 29 from T1's: T2
SELECT entry_id, open_amount, letter_code FROM dunning.entry WHERE customer_id = 'C4' ORDER BY entry_id;
-- an exact tie: two invoices due the same distance from the payment
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C4', 36, 'invoice', 'T4', '2025-03-01', '2025-03-10', 70, 'EUR'),
    ('C4', 37, 'invoice', 'T5', '2025-03-01', '2025-03-20', 70, 'EUR'),
    ('C4', 38, 'payment', 'Z',  '2025-03-15', NULL, -70, 'EUR');
SELECT * FROM dunning.auto_letter('C4', '{exact}');

-- Over-payment: the invoice is settled, the rest of the payment stays open
-- in a partial group.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C5', 'Generous');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C5', 41, 'invoice', 'G1', '2025-01-01', '2025-01-31', 100, 'EUR'),
    ('C5', 42, 'payment', 'G1', '2025-01-20', NULL, -150, 'EUR');
SELECT * FROM dunning.auto_letter('C5');
SELECT entry_id, open_amount, letter_code FROM dunning.entry WHERE customer_id = 'C5' ORDER BY entry_id;
-- a later invoice takes the rest: the group turns total
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C5', 43, 'invoice', 'G2', '2025-02-01', '2025-03-03', 50, 'EUR');
SELECT * FROM dunning.auto_letter('C5');
SELECT entry_id, open_amount, letter_code, lettered_on FROM dunning.entry WHERE customer_id = 'C5' ORDER BY entry_id;
SELECT letter_code, partial, strategy FROM dunning.lettering WHERE customer_id = 'C5';

-- A customer with only credits, and currencies that never mix.
INSERT INTO dunning.customer (customer_id, name) VALUES ('C6', 'Credits only'), ('C7', 'Two currencies');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C6', 51, 'payment', 'Q1', '2025-01-01', NULL, -80, 'EUR'),
    ('C6', 52, 'credit_note', 'Q2', '2025-01-02', NULL, -20, 'EUR'),
    ('C7', 61, 'invoice', 'U1', '2025-01-01', '2025-01-31', 100, 'USD'),
    ('C7', 62, 'payment', 'E1', '2025-01-10', NULL, -100, 'EUR'),
    ('C7', 63, 'invoice', 'E2', '2025-01-01', '2025-01-31', 60, 'EUR');
SELECT * FROM dunning.auto_letter('C6');
SELECT * FROM dunning.auto_letter('C7');
SELECT entry_id, currency, open_amount, letter_code FROM dunning.entry WHERE customer_id = 'C7' ORDER BY entry_id;

-- The whole ledger in one call; nothing is left to letter after it.
SELECT customer_id, count(*) AS lines, sum(allocated) AS net FROM dunning.auto_letter() GROUP BY 1 ORDER BY 1;
SELECT count(*) AS second_run FROM dunning.auto_letter();

-- Letter codes.
SELECT c, dunning.next_letter_code(c)
  FROM unnest(ARRAY['AAA', 'AAZ', 'AZZ', 'ZZZ', 'aab', 'zzz', 'ABCD', 'ZZZZ']) c;
SELECT dunning.next_letter_code('AaA');
SELECT dunning.next_letter_code('AA');
SELECT dunning.next_letter_code('A1B');

-- Bad input: each a clear error, nothing changed.
CREATE TEMP TABLE before AS SELECT * FROM dunning.entry;
SELECT dunning.letter('C1', '{4,51}');
SELECT dunning.letter('C1', '{4,999}');
SELECT dunning.letter('C7', '{61,62}');
SELECT dunning.letter('C1', '{4}');
SELECT dunning.letter('C6', '{51,52}');
SELECT dunning.letter('C1', '{1,4}');
SELECT dunning.letter('C9', '{1,2}');
SELECT dunning.letter('C1', NULL);
SELECT dunning.letter('C1', '{4,NULL}');
SELECT dunning.letter('C1', '{4,7}', -1);
SELECT dunning.letter('C1', '{4,7}', 0.0000001);
SELECT * FROM dunning.auto_letter('C1', '{fifo,magic}');
SELECT * FROM dunning.auto_letter('C1', '{}');
SELECT * FROM dunning.auto_letter('C1', NULL);
SELECT * FROM dunning.auto_letter('C1', max_subset => 1);
SELECT * FROM dunning.auto_letter('nobody');
SELECT dunning.unletter('C1', 'ZZZ');
SELECT dunning.unletter('nobody', 'AAA');
SELECT count(*) AS changed FROM (SELECT * FROM dunning.entry EXCEPT SELECT * FROM before) x;

DROP VIEW account;
DROP EXTENSION dunning;
