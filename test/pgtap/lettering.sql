-- pgTAP: lettering functions, their catalog facts, errors and invariants.
\i test/pgtap/setup.psql
SELECT plan(92);

SELECT has_function('dunning', 'letter', ARRAY['text', 'bigint[]', 'numeric']);
SELECT has_function('dunning', 'unletter', ARRAY['text', 'text']);
SELECT has_function('dunning', 'auto_letter', ARRAY['text', 'text[]', 'numeric', 'integer', 'boolean']);
SELECT has_function('dunning', 'next_letter_code', ARRAY['text']);
SELECT has_view('dunning', 'fec_lettering', 'view fec_lettering');
SELECT volatility_is('dunning', 'letter', ARRAY['text', 'bigint[]', 'numeric'], 'volatile');
SELECT volatility_is('dunning', 'auto_letter', ARRAY['text', 'text[]', 'numeric', 'integer', 'boolean'], 'volatile');
SELECT volatility_is('dunning', 'next_letter_code', ARRAY['text'], 'immutable');
SELECT columns_are('dunning', 'fec_lettering',
    ARRAY['customer_id', 'entry_id', 'kind', 'ref', 'doc_date', 'amount', 'currency', 'EcritureLet', 'DateLet']);

-- next_letter_code, table-driven
SELECT is(dunning.next_letter_code(c), n, c || ' -> ' || n)
  FROM (VALUES ('AAA', 'AAB'), ('AAZ', 'ABA'), ('AZZ', 'BAA'), ('ZZZ', 'AAAA'), ('ZZZZ', 'AAAAA'),
               ('aaa', 'aab'), ('zzz', 'aaaa'), ('QWERTY', 'QWERTZ')) AS t(c, n);
SELECT throws_ok(format('SELECT dunning.next_letter_code(%L)', c), '22P02', NULL, 'bad code ' || quote_literal(c))
  FROM unnest(ARRAY['', 'A', 'AA', 'AaA', 'A1A', 'ÉÉÉ', 'AAA ', 'ZZZZZZZZZZZZZ']) c;
SELECT throws_ok($$SELECT dunning.next_letter_code('ZZZZZZZZZZZZ')$$, '54000', NULL, 'no code after twelve Z');
SELECT is(dunning.next_letter_code(NULL), NULL, 'NULL code gives NULL');

-- a ledger of 200 customers with random invoices and payments
SELECT setseed(0.42);
INSERT INTO dunning.customer (customer_id, name)
SELECT 'R' || i, 'Random ' || i FROM generate_series(1, 200) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'R' || (1 + (random() * 199)::int), 'invoice', 'INV-' || g,
       d, d + 30, round((10 + random() * 990)::numeric, 2), CASE WHEN random() < 0.1 THEN 'USD' ELSE 'EUR' END
  FROM generate_series(1, 1500) g, LATERAL (SELECT '2025-01-01'::date + (random() * 300)::int AS d) x;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT e.customer_id, 'payment',
       CASE WHEN random() < 0.5 THEN 'PAY ' || e.ref ELSE 'bank transfer' END,
       e.doc_date + (random() * 60)::int,
       -CASE WHEN random() < 0.7 THEN e.amount ELSE round(e.amount * random()::numeric, 2) + 0.01 END,
       e.currency
  FROM dunning.entry e WHERE e.kind = 'invoice' AND random() < 0.8;
-- lump sums: one payment for two invoices, with a reference that names neither
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'R' || i, 'invoice', 'LS-' || i || '-' || k, '2025-11-01', '2025-12-01', 111.11 * k + i, 'GBP'
  FROM generate_series(1, 20) i, generate_series(1, 2) k;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT 'R' || i, 'payment', 'lump sum', '2025-11-20', -(333.33 + 2 * i), 'GBP'
  FROM generate_series(1, 20) i;
CREATE TEMP TABLE totals AS
SELECT customer_id, currency, sum(amount) AS balance FROM dunning.entry GROUP BY 1, 2;

SELECT ok((SELECT count(*) FROM dunning.auto_letter(dry_run => true)) > 0, 'dry run proposes lettering');
SELECT is((SELECT count(*)::int FROM dunning.allocation), 0, 'dry run writes nothing');
CREATE TEMP TABLE lettered AS SELECT * FROM dunning.auto_letter(tolerance => 0.02);
SELECT ok((SELECT count(*) FROM lettered) > 1000, 'the random ledger is lettered');
SELECT is((SELECT count(DISTINCT strategy)::int FROM lettered), 4, 'every strategy letters something');

-- invariants
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE open_amount < least(0, amount) OR open_amount > greatest(0, amount)),
          0, 'no open amount beyond its entry');
SELECT is((SELECT count(*)::int FROM dunning.entry e
            WHERE e.open_amount <> e.amount
                  - coalesce((SELECT sum(a.amount) FROM dunning.allocation a WHERE a.customer_id = e.customer_id AND a.debit_id = e.entry_id), 0)
                  + coalesce((SELECT sum(a.amount) FROM dunning.allocation a WHERE a.customer_id = e.customer_id AND a.credit_id = e.entry_id), 0)),
          0, 'every open amount equals amount less allocations');
SELECT is((SELECT count(*)::int FROM dunning.allocation a JOIN dunning.entry d ON d.customer_id = a.customer_id AND d.entry_id = a.debit_id
            JOIN dunning.entry c ON c.customer_id = a.customer_id AND c.entry_id = a.credit_id WHERE d.currency <> c.currency),
          0, 'no allocation mixes currencies');
SELECT is((SELECT count(*)::int FROM (SELECT t.customer_id, t.currency, t.balance, sum(e.amount)
            FROM totals t JOIN dunning.entry e USING (customer_id, currency)
            GROUP BY 1, 2, 3 HAVING abs(sum(e.amount) - t.balance) > 0.02 * count(*) FILTER (WHERE e.kind = 'writeoff')) x),
          0, 'balances change only by write-offs within the tolerance');
SELECT is((SELECT count(*)::int FROM dunning.lettering l
            WHERE NOT l.partial AND EXISTS (SELECT 1 FROM dunning.entry e WHERE e.customer_id = l.customer_id
                                              AND e.letter_code = l.letter_code AND e.open_amount <> 0)),
          0, 'every entry of a total group is settled');
SELECT is((SELECT count(*)::int FROM dunning.lettering l
            WHERE l.partial AND NOT EXISTS (SELECT 1 FROM dunning.entry e WHERE e.customer_id = l.customer_id
                                              AND e.letter_code = l.letter_code AND e.open_amount <> 0)),
          0, 'every partial group has something open');
SELECT is((SELECT count(*)::int FROM dunning.entry e WHERE e.letter_code IS DISTINCT FROM
            (SELECT min(a.letter_code) FROM dunning.allocation a WHERE a.customer_id = e.customer_id
                AND (a.debit_id = e.entry_id OR a.credit_id = e.entry_id))),
          0, 'every entry carries the code of its allocations');
SELECT is((SELECT count(*)::int FROM dunning.entry e JOIN dunning.lettering l USING (customer_id, letter_code)
            WHERE e.lettered_on IS DISTINCT FROM l.lettered_on), 0, 'entries carry the date of their group');
SELECT is((SELECT count(*)::int FROM dunning.lettering WHERE NOT partial AND letter_code !~ '^[A-Z]{3,}$'), 0, 'total codes are upper case');
SELECT is((SELECT count(*)::int FROM dunning.fec_lettering f JOIN dunning.entry e USING (customer_id, entry_id)
            WHERE (f."EcritureLet" <> '') <> (e.letter_code ~ '^[A-Z]+$' AND e.open_amount = 0)), 0,
          'FEC letters exactly the totally lettered entries');
SELECT is((SELECT count(*)::int FROM dunning.auto_letter()), 0, 'a second run finds nothing to letter');

-- unlettering everything gives the ledger back
SELECT lives_ok($$SELECT dunning.unletter(customer_id, letter_code) FROM dunning.lettering$$, 'unletter every group');
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE open_amount <> amount OR letter_code IS NOT NULL OR lettered_on IS NOT NULL),
          0, 'every entry is whole again');
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE kind = 'writeoff'), 0, 'write-offs are gone');
SELECT results_eq('SELECT customer_id, currency, sum(amount) FROM dunning.entry GROUP BY 1, 2 ORDER BY 1, 2',
                  'SELECT customer_id, currency, balance FROM totals ORDER BY 1, 2',
                  'balances are back');

-- the group rules without foreign keys: a renamed group carries its entries,
-- TRUNCATE of the groups reopens the ledger, entries in use stay
SELECT lives_ok($$SELECT count(*) FROM dunning.auto_letter()$$, 'letter again');
SELECT lives_ok($$UPDATE dunning.lettering SET letter_code = 'QQQ' || letter_code
                   WHERE customer_id = 'R7' AND NOT partial$$, 'rename groups by hand');
SELECT is((SELECT count(*)::int FROM dunning.entry e WHERE e.customer_id = 'R7' AND e.letter_code IS DISTINCT FROM
            (SELECT min(a.letter_code) FROM dunning.allocation a WHERE a.customer_id = e.customer_id
                AND (a.debit_id = e.entry_id OR a.credit_id = e.entry_id))), 0, 'entries follow the renamed groups');
SELECT ok((SELECT count(*) FROM dunning.allocation WHERE customer_id = 'R7' AND letter_code LIKE 'QQQ%') > 0, 'allocations follow the renamed groups');
SELECT throws_ok($$TRUNCATE dunning.entry CASCADE$$, '23503', NULL, 'entries in use are not truncated');
SELECT throws_ok($$DELETE FROM dunning.entry WHERE letter_code IS NOT NULL$$, '23503', NULL, 'entries in use are not deleted');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
                   SELECT d.customer_id, 'nope', d.entry_id, c.entry_id, 0.01
                     FROM dunning.entry d JOIN dunning.entry c USING (customer_id, currency)
                    WHERE d.amount > 0 AND c.amount < 0 LIMIT 1$$, '23503', NULL, 'an allocation needs its group');
SELECT throws_ok($$TRUNCATE dunning.lettering$$, '0A000', NULL, 'the groups are truncated with their allocations only');
SELECT lives_ok($$TRUNCATE dunning.lettering CASCADE$$, 'truncate the groups and their allocations');
SELECT is((SELECT count(*)::int FROM dunning.allocation), 0, 'allocations went with them');
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE open_amount <> amount OR letter_code IS NOT NULL OR lettered_on IS NOT NULL),
          0, 'every entry is open and in no group');
DELETE FROM dunning.entry WHERE kind = 'writeoff';

-- errors, and nothing changed
CREATE TEMP TABLE snap AS SELECT * FROM dunning.entry;
SELECT throws_ok(q, code, NULL, q)
  FROM (VALUES
    ($$SELECT dunning.letter('nobody', '{1,2}')$$, '22023'),
    ($$SELECT dunning.letter(NULL, '{1,2}')$$, '22004'),
    ($$SELECT dunning.letter('R1', NULL)$$, '22004'),
    ($$SELECT dunning.letter('R1', '{}')$$, '22023'),
    ($$SELECT dunning.letter('R1', '{1,NULL}')$$, '22004'),
    ($$SELECT dunning.letter('R1', '{-1,-2}')$$, '22023'),
    ($$SELECT dunning.letter('R1', '{1,2}', NULL)$$, '22004'),
    ($$SELECT dunning.letter('R1', '{1,2}', -0.01)$$, '22023'),
    ($$SELECT * FROM dunning.auto_letter('R1', '{fifo,lifo}')$$, '22023'),
    ($$SELECT * FROM dunning.auto_letter('R1', '{fifo,NULL}')$$, '22004'),
    ($$SELECT * FROM dunning.auto_letter('R1', tolerance => -1)$$, '22023'),
    ($$SELECT * FROM dunning.auto_letter('R1', max_subset => 31)$$, '22023'),
    ($$SELECT * FROM dunning.auto_letter('R1', max_subset => NULL)$$, '22004'),
    ($$SELECT * FROM dunning.auto_letter('R1', dry_run => NULL)$$, '22004'),
    ($$SELECT * FROM dunning.auto_letter('nobody')$$, '22023'),
    ($$SELECT dunning.unletter('R1', 'QQQ')$$, '22023'),
    ($$SELECT dunning.unletter('R1', NULL)$$, '22004'),
    ($$SELECT dunning.unletter('nobody', 'AAA')$$, '22023')) AS t(q, code);
SELECT results_eq('SELECT * FROM dunning.entry ORDER BY entry_id', 'SELECT * FROM snap ORDER BY entry_id', 'errors changed nothing');

-- mixed currencies and entries of others, on real ids
SELECT throws_ok(format('SELECT dunning.letter(%L, ARRAY[%s, %s])', d.customer_id, d.entry_id, c.entry_id), '22023', NULL, 'mixed currencies')
  FROM (SELECT * FROM dunning.entry WHERE kind = 'invoice' AND currency = 'EUR' ORDER BY entry_id LIMIT 1) d,
       LATERAL (SELECT * FROM dunning.entry c WHERE c.customer_id = d.customer_id AND c.kind = 'payment' AND c.currency = 'USD' LIMIT 1) c;
SELECT throws_ok(format('SELECT dunning.letter(%L, ARRAY[%s, %s])', d.customer_id, d.entry_id, c.entry_id), '22023', NULL, 'entry of another customer')
  FROM (SELECT * FROM dunning.entry WHERE kind = 'invoice' ORDER BY entry_id LIMIT 1) d,
       LATERAL (SELECT * FROM dunning.entry c WHERE c.customer_id <> d.customer_id AND c.kind = 'payment' LIMIT 1) c;

-- amounts to the millionth, read from the numerics' digits: every shape
-- (decimals written beyond the sixth, the largest amount, powers of ten)
-- letters to the exact amount, and what cannot be read in 64 bits is refused
CREATE TEMP TABLE shapes (n int, a numeric);
INSERT INTO shapes VALUES (1, 0.000001), (2, 1.5), (3, 123456789.123456), (4, 9223372036854.775807),
    (5, 1.00000000), (6, 2.0000000000), (7, 10000), (8, 100000000000), (9, 0.1), (10, 99999.999999),
    (11, 1e12), (12, 12.340000), (13, 10000.0001), (14, 0.00010000);
INSERT INTO dunning.customer (customer_id, name) SELECT 'S' || n, 'Shape ' || n FROM shapes;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT 'S' || n, k, k || ' ' || n, '2025-01-01', CASE k WHEN 'invoice' THEN a ELSE -a END, 'EUR'
  FROM shapes, unnest('{invoice,payment}'::text[]) k;
CREATE TEMP TABLE shaped AS
SELECT l.* FROM shapes s, LATERAL dunning.auto_letter('S' || s.n, '{fifo}') l;
SELECT is((SELECT count(*)::int FROM shaped s JOIN dunning.entry e USING (customer_id, entry_id)
            WHERE s.allocated = e.amount AND e.open_amount = 0 AND NOT s.partial), 28,
          'every shape of amount letters to the exact amount');
-- the largest amount open in part, then settled
INSERT INTO dunning.customer (customer_id, name) VALUES ('SP', 'Shape partial');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency) VALUES
    ('SP', 'invoice', 'big', '2025-01-01', 9223372036854.775807, 'EUR'),
    ('SP', 'payment', 'first', '2025-01-02', -0.000001, 'EUR');
SELECT is((SELECT count(*)::int FROM dunning.auto_letter('SP', '{fifo}') WHERE partial), 2, 'the largest amount letters in part');
SELECT is((SELECT open_amount FROM dunning.entry WHERE customer_id = 'SP' AND ref = 'big'), 9223372036854.775806,
          'and stays open to the millionth');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency) VALUES
    ('SP', 'payment', 'rest', '2025-01-03', -9223372036854.775806, 'EUR');
SELECT is((SELECT sum(allocated) FROM dunning.auto_letter('SP', '{fifo}') WHERE NOT partial), 0::numeric,
          'then letters in full');
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE customer_id = 'SP' AND open_amount <> 0), 0, 'nothing of it stays open');
-- amounts lettering cannot hold: a clear error with a detail, nothing written
INSERT INTO dunning.customer (customer_id, name) VALUES ('SX1', 'Too big'), ('SX2', 'Too fine'), ('SX3', 'Far too big');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, amount, currency) VALUES
    ('SX1', 900001, 'invoice', 'big', '2025-01-01', 9223372036854.775808, 'EUR'),
    ('SX1', 900002, 'payment', 'pay', '2025-01-02', -1, 'EUR'),
    ('SX2', 900003, 'invoice', 'fine', '2025-01-01', 1.0000001, 'EUR'),
    ('SX2', 900004, 'payment', 'pay', '2025-01-02', -1, 'EUR'),
    ('SX3', 900005, 'invoice', 'huge', '2025-01-01', 1e28, 'EUR'),
    ('SX3', 900006, 'payment', 'pay', '2025-01-02', -1, 'EUR');
CREATE TEMP TABLE snap_sx AS SELECT * FROM dunning.entry WHERE customer_id LIKE 'SX%';
SELECT is(pg_temp.error_of(q), e, q)
  FROM (VALUES
    ($$SELECT * FROM dunning.auto_letter('SX1')$$, '22003 with a detail'),
    ($$SELECT * FROM dunning.auto_letter('SX1', '{fifo}', dry_run => true)$$, '22003 with a detail'),
    ($$SELECT dunning.letter('SX1', '{900001,900002}')$$, '22003 with a detail'),
    ($$SELECT * FROM dunning.auto_letter('SX2')$$, '22023 with a detail'),
    ($$SELECT dunning.letter('SX2', '{900003,900004}')$$, '22023 with a detail'),
    ($$SELECT * FROM dunning.auto_letter('SX3')$$, '22003 with a detail'),
    ($$SELECT dunning.letter('SX3', '{900005,900006}')$$, '22003 with a detail')) AS t(q, e);
SELECT throws_ok($$SELECT dunning.letter('SX2', '{900003,900004}')$$, '22023',
                 'the amount of entry 900003 of customer SX2 has more than 6 decimals', 'the message names the entry');
SELECT results_eq('SELECT * FROM dunning.entry WHERE customer_id LIKE $$SX%$$ ORDER BY entry_id',
                  'SELECT * FROM snap_sx ORDER BY entry_id', 'refused amounts changed nothing');
SELECT is((SELECT count(*)::int FROM dunning.allocation WHERE customer_id LIKE 'SX%'), 0, 'and allocated nothing');

SELECT * FROM finish();
ROLLBACK;
