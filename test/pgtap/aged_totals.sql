-- pgTAP: the aged balance (0.5.0, src/balance.c: one pass over the ledger
-- in C) against plain SQL over open_items() on a ledger of random amounts
-- of every shape.  The sums are 128-bit integers read from each numeric's
-- digits and written in numeric's own form; what the integers cannot hold
-- is summed as numeric.  Each column of each line must equal what sum(),
-- count() and min() give, to the text.
\i test/pgtap/setup.psql
SET LOCAL search_path = public, dunning;
SELECT plan(44);

SELECT setseed(0.5);
INSERT INTO credit_manager (manager_id, name) VALUES ('m1', 'Manager One');

-- 400 customers of random entries in three currencies: amounts of 0 to 8
-- decimals (the integer path), 9 to 20 decimals, 10^28 and over (the
-- numeric path), debits and credits; due dates around the day, some
-- missing (the document date counts), some documents after the day
INSERT INTO customer (customer_id, name, manager_id)
SELECT 'R' || g, 'Random ' || g, CASE WHEN g % 3 = 0 THEN 'm1' END FROM generate_series(1, 400) g;
CREATE TEMP TABLE amounts AS
SELECT 'R' || g AS customer_id,
       (ARRAY['EUR', 'USD', 'GBP'])[1 + (random() * 2)::int] AS currency,
       date '2026-03-31' - (random() * 400)::int + 60 AS due,
       CASE (random() * 10)::int
            WHEN 0 THEN round((random() - 0.3)::numeric * 10000, 2)
            WHEN 1 THEN round((random() - 0.3)::numeric * 1000000, (random() * 8)::int)
            WHEN 2 THEN (random() * 1000)::int::numeric
            WHEN 3 THEN round(random()::numeric * 100, 8 + (random() * 12)::int)
            WHEN 4 THEN round((random() - 0.5)::numeric * 1e29, (random() * 4)::int)
            WHEN 5 THEN round(-random()::numeric * 500, 2)
            WHEN 6 THEN 0.00000001
            WHEN 7 THEN round(random()::numeric * 9.9e27, (random() * 8)::int)
            WHEN 8 THEN 1e-30
            ELSE round((random() - 0.2)::numeric * 100000, 2)
       END AS amount
  FROM generate_series(1, 400) g, generate_series(1, (random() * 60)::int);
INSERT INTO entry (customer_id, kind, doc_date, due_date, amount, currency)
SELECT customer_id, CASE WHEN amount > 0 THEN 'invoice' ELSE 'payment' END,
       due - (random() * 30)::int, CASE WHEN random() < 0.9 THEN due END, amount, currency
  FROM amounts WHERE amount <> 0;

-- 50 customers of amounts of 2 decimals, lettered first in first out: zero
-- and partly open items, allocations dated up to 2026-06-30
INSERT INTO customer (customer_id, name) SELECT 'L' || g, 'Lettered ' || g FROM generate_series(1, 50) g;
INSERT INTO entry (customer_id, kind, doc_date, due_date, amount, currency)
SELECT 'L' || g, CASE WHEN a > 0 THEN 'invoice' ELSE 'payment' END,
       d, CASE WHEN a > 0 THEN d + 30 END, a, 'EUR'
  FROM (SELECT g, date '2025-07-01' + (random() * 364)::int AS d,
               round((random() - 0.4)::numeric * 10000, 2) AS a
          FROM generate_series(1, 50) g, generate_series(1, 30)) s
 WHERE a <> 0;
SELECT cmp_ok((SELECT sum((SELECT count(*) FROM auto_letter('L' || g, '{fifo}'))) FROM generate_series(1, 50) g),
              '>', 100::numeric,
              'FIFO lettering moved amounts between the lettered customers'' entries');

-- a customer whose sums overflow 128 bits: 2,000 amounts just under 10^28
INSERT INTO customer (customer_id, name) VALUES ('BIG', 'Big');
INSERT INTO entry (customer_id, kind, doc_date, due_date, amount, currency)
SELECT 'BIG', 'invoice', date '2026-03-31' - i % 200, date '2026-03-31' - i % 200,
       9999999999999999999999999999.99999999 - i, 'EUR'
  FROM generate_series(1, 2000) i;

-- plain SQL: the open items of the day by customer and currency
CREATE FUNCTION pg_temp.by_sql(d date)
RETURNS TABLE (customer_id text, name text, manager_id text, currency text,
               not_due numeric, d1_30 numeric, d31_60 numeric, d61_90 numeric, d91_120 numeric,
               d121 numeric, unapplied numeric, overdue numeric, total numeric,
               items bigint, overdue_items bigint, oldest date, as_of date)
LANGUAGE sql AS $$
-- b[k + 1] is the sum of bucket k (0 unapplied, 1 not due, 2..6 overdue)
SELECT customer_id, name, manager_id, currency, b[2], b[3], b[4], b[5], b[6], b[7], b[1],
       b[3] + b[4] + b[5] + b[6] + b[7], b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7],
       items, overdue_items, oldest, d
  FROM (SELECT o.customer_id, c.name, c.manager_id, o.currency,
               ARRAY[coalesce(sum(o.open_amount) FILTER (WHERE k = 0), 0), coalesce(sum(o.open_amount) FILTER (WHERE k = 1), 0),
                     coalesce(sum(o.open_amount) FILTER (WHERE k = 2), 0), coalesce(sum(o.open_amount) FILTER (WHERE k = 3), 0),
                     coalesce(sum(o.open_amount) FILTER (WHERE k = 4), 0), coalesce(sum(o.open_amount) FILTER (WHERE k = 5), 0),
                     coalesce(sum(o.open_amount) FILTER (WHERE k = 6), 0)] AS b,
               count(*) AS items,
               count(*) FILTER (WHERE k >= 2) AS overdue_items,
               min(o.due_date) FILTER (WHERE k >= 2) AS oldest
          FROM (SELECT o.*, CASE WHEN o.open_amount < 0 THEN 0
                                 WHEN d - o.due_date < 1 THEN 1
                                 WHEN d - o.due_date <= 30 THEN 2
                                 WHEN d - o.due_date <= 60 THEN 3
                                 WHEN d - o.due_date <= 90 THEN 4
                                 WHEN d - o.due_date <= 120 THEN 5
                                 ELSE 6 END AS k
                  FROM dunning.open_items(d) o
                 WHERE o.open_amount <> 0) o
          JOIN dunning.customer c ON c.customer_id = o.customer_id
         GROUP BY 1, 2, 3, 4) s
$$;

SELECT cmp_ok((SELECT count(*) FROM entry), '>', 13000::bigint, 'over 13,000 random entries');
SELECT cmp_ok((SELECT count(*) FROM entry WHERE scale(open_amount) > 8 OR abs(open_amount) >= 1e28), '>', 1000::bigint,
              'over 1,000 of them beyond the 128-bit integers');
SELECT cmp_ok((SELECT count(*) FROM entry WHERE open_amount = 0), '>', 100::bigint, 'over 100 closed by lettering');
SELECT ok(NOT EXISTS (SELECT FROM allocation WHERE allocated_on > '2026-07-31'),
          '2026-07-31: no allocation dated after the day, the ledger is read as it is');
SELECT ok(EXISTS (SELECT FROM allocation WHERE allocated_on > '2026-01-31'),
          '2026-01-31: allocations dated after the day, open_items() takes them back');

SELECT is((SELECT count(*) FROM aged_balance(d)), (SELECT count(*) FROM pg_temp.by_sql(d)),
          d || ': one line per customer and currency with open items')
  FROM unnest('{2026-07-31,2026-03-31,2026-01-31,2025-09-30}'::date[]) d;
SELECT is_empty(format('SELECT a::text FROM aged_balance(%L) a EXCEPT SELECT s::text FROM pg_temp.by_sql(%L) s', d, d),
                d || ': every column of every line is what plain SQL gives, to the displayed decimals')
  FROM unnest('{2026-07-31,2026-03-31,2026-01-31,2025-09-30}'::date[]) d;
SELECT is_empty(format('SELECT s::text FROM pg_temp.by_sql(%L) s EXCEPT SELECT a::text FROM aged_balance(%L) a', d, d),
                d || ': and plain SQL gives no other line')
  FROM unnest('{2026-07-31,2026-03-31,2026-01-31,2025-09-30}'::date[]) d;
SELECT is((SELECT total::text FROM aged_balance('2026-07-31') WHERE customer_id = 'BIG'),
          (SELECT sum(amount)::text FROM entry WHERE customer_id = 'BIG'),
          'a line whose sum overflows 128 bits is still exact');
SELECT is((SELECT count(DISTINCT currency) FROM aged_balance('2026-07-31') WHERE customer_id = 'R1'),
          (SELECT count(DISTINCT currency) FROM entry WHERE customer_id = 'R1' AND open_amount <> 0),
          'a customer has a line per currency');
SELECT is((SELECT count(*) FROM aged_balance('2026-07-31') WHERE manager_id = 'm1'),
          (SELECT count(*) FROM pg_temp.by_sql('2026-07-31') WHERE manager_id = 'm1'), 'with its manager');
SELECT is_empty($$SELECT * FROM dunning.aged_balance EXCEPT SELECT * FROM aged_balance(as_of())$$,
                'the view is the function as of dunning.as_of()');

-- _aged_balance_sql, the aged balance as one grouped query that a
-- distributed ledger runs on its shards (src/distribute.c puts it in place
-- of the pass in C there): the same lines, to the text
SELECT is((SELECT count(*) FROM _aged_balance_sql(d, NULL)), (SELECT count(*) FROM aged_balance(d)),
          d || ': _aged_balance_sql gives as many lines as the pass in C')
  FROM unnest('{2026-07-31,2026-03-31,2026-01-31,2025-09-30}'::date[]) d;
SELECT is_empty(format('(SELECT a::text FROM aged_balance(%L) a EXCEPT SELECT s::text FROM _aged_balance_sql(%L, NULL) s)
                        UNION ALL
                        (SELECT s::text FROM _aged_balance_sql(%L, NULL) s EXCEPT SELECT a::text FROM aged_balance(%L) a)',
                       d, d, d, d),
                d || ': and the same lines, every column to the text')
  FROM unnest('{2026-07-31,2026-03-31,2026-01-31,2025-09-30}'::date[]) d;
SELECT is_empty($$(SELECT a::text FROM aged_balance('2026-01-31', '{R1,R2,L1,BIG,nobody}') a
                   EXCEPT SELECT s::text FROM _aged_balance_sql('2026-01-31', '{R1,R2,L1,BIG,nobody}') s)
                  UNION ALL
                  (SELECT s::text FROM _aged_balance_sql('2026-01-31', '{R1,R2,L1,BIG,nobody}') s
                   EXCEPT SELECT a::text FROM aged_balance('2026-01-31', '{R1,R2,L1,BIG,nobody}') a)$$,
                '_aged_balance_sql for some customers: the same lines');

-- some customers: aged_balance(as_of, customer_ids)
SELECT is_empty($$SELECT * FROM aged_balance('2026-01-31', '{R1,R2,L1,BIG,nobody}')
                  EXCEPT SELECT * FROM aged_balance('2026-01-31') WHERE customer_id IN ('R1', 'R2', 'L1', 'BIG')$$,
                'customer_ids: the lines of those customers');
SELECT is((SELECT count(*) FROM aged_balance('2026-07-31', '{R1,R2,L1,BIG,nobody}')),
          (SELECT count(*) FROM aged_balance('2026-07-31') WHERE customer_id IN ('R1', 'R2', 'L1', 'BIG')),
          'all of them, and none for an unknown id');
SELECT is((SELECT count(*) FROM aged_balance('2026-07-31', '{}')), 0::bigint, 'no customer, no line');
SELECT throws_ok($$SELECT * FROM aged_balance('2026-07-31', NULL)$$, '22004',
                 'customer_ids must not be null', 'customer_ids NULL is refused');

-- display scales, as sum() shows them
INSERT INTO customer (customer_id, name) VALUES ('S1', 'S1'), ('S2', 'S2'), ('S3', 'S3'), ('S4', 'S4');
INSERT INTO entry (customer_id, kind, doc_date, due_date, amount, currency) VALUES
    ('S1', 'invoice', '2026-03-01', '2026-03-01', 1.50, 'EUR'), ('S1', 'invoice', '2026-03-01', '2026-03-01', 2.50, 'EUR'),
    ('S2', 'invoice', '2026-03-01', '2026-03-01', 0.001, 'EUR'), ('S2', 'payment', '2026-03-01', NULL, -0.001, 'EUR'),
    ('S3', 'invoice', '2026-03-01', '2026-03-01', 99999999999999999999.99999999, 'EUR'),
    ('S3', 'invoice', '2026-03-01', '2026-03-01', 0.00000001, 'EUR'),
    ('S4', 'payment', '2026-03-01', NULL, -12345678901.5, 'EUR'), ('S4', 'payment', '2026-03-01', NULL, -0.5, 'EUR');
SELECT is((SELECT total::text FROM aged_balance('2026-03-31', '{S1}')), '4.00', 'a sum keeps the decimals of its amounts (4.00, not 4)');
SELECT is((SELECT total::text FROM aged_balance('2026-03-31', '{S2}')), '0.000', 'a zero sum too');
SELECT is((SELECT not_due::text FROM aged_balance('2026-03-31', '{S1}')), '0', 'an empty bucket is 0');
SELECT is((SELECT total::text FROM aged_balance('2026-03-31', '{S3}')), '100000000000000000000.00000000', 'a sum past 64 bits');
SELECT is((SELECT unapplied::text FROM aged_balance('2026-03-31', '{S4}')), '-12345678902.0', 'negative sums');
SELECT is((SELECT array[open_items, overdue_items]::text FROM aged_balance('2026-03-31', '{S1}')), '{2,2}', 'the items counted');
SELECT is((SELECT oldest_due_date FROM aged_balance('2026-03-31', '{S4}')), NULL::date, 'no overdue item, no oldest due date');
SELECT is((SELECT array_agg(s::text ORDER BY customer_id) FROM _aged_balance_sql('2026-03-31', '{S1,S2,S3,S4}') s),
          (SELECT array_agg(a::text ORDER BY customer_id) FROM aged_balance('2026-03-31', '{S1,S2,S3,S4}') a),
          '_aged_balance_sql shows the same decimals');

-- the planner's row estimate: the customers' count, not a function's 1,000
ANALYZE customer;
CREATE FUNCTION pg_temp.estimate(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END
$$;
SELECT is(pg_temp.estimate('SELECT * FROM dunning.aged_balance(''2026-03-31'')'),
          (SELECT reltuples::numeric FROM pg_class WHERE oid = 'dunning.customer'::regclass),
          'aged_balance() is estimated at one line per customer');

SELECT * FROM finish();
ROLLBACK;
