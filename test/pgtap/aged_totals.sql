-- pgTAP: the aged balance's aggregates (0.4.0, src/balance.c) against plain
-- SQL on random amounts of every shape.  The aggregates sum in 128-bit
-- integers read from each numeric's digits and write their results in
-- numeric's own form; what the integers cannot hold goes to sum(numeric).
-- Each column must equal what sum(), count() and min() give, to the text.
\i test/pgtap/setup.psql
SET LOCAL search_path = public, dunning;
SELECT * FROM no_plan();

SELECT setseed(0.4);

-- 400 groups of random rows: amounts of 0 to 8 decimals (the integer
-- path), 9 to 20 decimals, 10^28 and over, NaN and infinities (the numeric
-- path), zeros, negatives (unapplied credits); due dates around the day
CREATE TEMP TABLE amounts (grp int, as_of date, due date, amount numeric);
INSERT INTO amounts
SELECT g, date '2026-03-31', date '2026-03-31' - (random() * 400)::int + 60,
       CASE (random() * 12)::int
            WHEN 0 THEN round((random() - 0.3)::numeric * 10000, 2)
            WHEN 1 THEN round((random() - 0.3)::numeric * 1000000, (random() * 8)::int)
            WHEN 2 THEN (random() * 1000)::int::numeric
            WHEN 3 THEN round(random()::numeric * 100, 8 + (random() * 12)::int)
            WHEN 4 THEN round((random() - 0.5)::numeric * 1e29, (random() * 4)::int)
            WHEN 5 THEN 0
            WHEN 6 THEN round(0::numeric, (random() * 8)::int)
            WHEN 7 THEN round(-random()::numeric * 500, 2)
            WHEN 8 THEN 0.00000001
            WHEN 9 THEN round(random()::numeric * 9.9e27, (random() * 8)::int)
            WHEN 10 THEN (ARRAY['NaN', 'Infinity', '-Infinity', '1e-30']::numeric[])[1 + (random() * 3)::int]
            ELSE round((random() - 0.2)::numeric * 100000, 2)
       END
  FROM generate_series(1, 400) g, generate_series(1, (random() * 60)::int);
-- groups with only amounts of 2 decimals: all on the integer path
INSERT INTO amounts
SELECT 1000 + g, date '2026-03-31', date '2026-03-31' - (random() * 400)::int + 60,
       round((random() - 0.3)::numeric * 10000, 2)
  FROM generate_series(1, 50) g, generate_series(1, 30);
-- a group whose sums overflow 128 bits: 2,000 amounts just under 10^28
INSERT INTO amounts
SELECT 2000, date '2026-03-31', date '2026-03-31' - i % 200, 9999999999999999999999999999.99999999 - i
  FROM generate_series(1, 2000) i;
-- a NULL amount is no item
INSERT INTO amounts VALUES (2001, '2026-03-31', '2026-01-01', NULL), (2001, '2026-03-31', '2026-01-01', 5);

CREATE TEMP VIEW by_aggregate AS
SELECT grp,
       _aged_not_due(as_of, due, amount) AS not_due,
       _aged_overdue_1_30(as_of, due, amount) AS d1_30,
       _aged_overdue_31_60(as_of, due, amount) AS d31_60,
       _aged_overdue_61_90(as_of, due, amount) AS d61_90,
       _aged_overdue_91_120(as_of, due, amount) AS d91_120,
       _aged_overdue_over_120(as_of, due, amount) AS d121,
       _aged_unapplied(as_of, due, amount) AS unapplied,
       _aged_overdue(as_of, due, amount) AS overdue,
       _aged_total(as_of, due, amount) AS total,
       _aged_open_items(as_of, due, amount) AS items,
       _aged_overdue_items(as_of, due, amount) AS overdue_items,
       _aged_oldest_due_date(as_of, due, amount) AS oldest
  FROM amounts GROUP BY grp;

CREATE TEMP VIEW by_sql AS
-- b[k + 1] is the sum of bucket k (0 unapplied, 1 not due, 2..6 overdue)
SELECT grp, b[2] AS not_due, b[3] AS d1_30, b[4] AS d31_60, b[5] AS d61_90, b[6] AS d91_120,
       b[7] AS d121, b[1] AS unapplied,
       b[3] + b[4] + b[5] + b[6] + b[7] AS overdue,
       b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7] AS total,
       items, overdue_items, oldest
  FROM (SELECT grp,
               ARRAY[coalesce(sum(amount) FILTER (WHERE k = 0), 0), coalesce(sum(amount) FILTER (WHERE k = 1), 0),
                     coalesce(sum(amount) FILTER (WHERE k = 2), 0), coalesce(sum(amount) FILTER (WHERE k = 3), 0),
                     coalesce(sum(amount) FILTER (WHERE k = 4), 0), coalesce(sum(amount) FILTER (WHERE k = 5), 0),
                     coalesce(sum(amount) FILTER (WHERE k = 6), 0)] AS b,
               count(amount) AS items,
               count(amount) FILTER (WHERE k >= 2) AS overdue_items,
               min(due) FILTER (WHERE k >= 2 AND amount IS NOT NULL) AS oldest
          FROM (SELECT *, CASE WHEN amount < 0 THEN 0
                               WHEN as_of - due < 1 THEN 1
                               WHEN as_of - due <= 30 THEN 2
                               WHEN as_of - due <= 60 THEN 3
                               WHEN as_of - due <= 90 THEN 4
                               WHEN as_of - due <= 120 THEN 5
                               ELSE 6 END AS k
                  FROM amounts) a
         GROUP BY grp) s;

SELECT cmp_ok((SELECT count(*) FROM amounts), '>', 13000::bigint, 'over 13,000 random amounts');
SELECT cmp_ok((SELECT count(*) FROM amounts WHERE scale(amount) > 8 OR abs(amount) >= 1e28
                                              OR amount IN ('NaN', 'Infinity', '-Infinity')), '>', 1000::bigint,
              'over 1,000 of them beyond the 128-bit integers');
SELECT is((SELECT count(*) FROM by_aggregate), (SELECT count(DISTINCT grp) FROM amounts), 'one line per group');
SELECT is_empty('SELECT by_aggregate::text FROM by_aggregate EXCEPT SELECT by_sql::text FROM by_sql',
                'every column of every group is what plain SQL gives, to the displayed decimals');
SELECT is_empty('SELECT by_sql::text FROM by_sql EXCEPT SELECT by_aggregate::text FROM by_aggregate',
                'and plain SQL gives nothing more');
SELECT is((SELECT total::text FROM by_aggregate WHERE grp = 2000),
          (SELECT sum(amount)::text FROM amounts WHERE grp = 2000),
          'a group whose sum overflows 128 bits is still exact');
SELECT is((SELECT array[items, overdue_items]::text FROM by_aggregate WHERE grp = 2001), '{1,1}',
          'a NULL amount is not counted');
SELECT is((SELECT total FROM by_aggregate WHERE grp = 2001), 5::numeric, 'nor summed');

-- the integer path alone, and its display scale
SELECT is_empty('SELECT by_aggregate::text FROM by_aggregate WHERE grp BETWEEN 1001 AND 1050
                 EXCEPT SELECT by_sql::text FROM by_sql WHERE grp BETWEEN 1001 AND 1050',
                'amounts of 2 decimals: the same');
SELECT is((SELECT _aged_total('2026-03-31', '2026-03-01', v)::text FROM unnest('{1.50,2.50}'::numeric[]) v),
          '4.00', 'a sum keeps the decimals of its amounts (4.00, not 4)');
SELECT is((SELECT _aged_total('2026-03-31', '2026-03-01', v)::text FROM unnest('{0.001,-0.001}'::numeric[]) v),
          '0.000', 'a zero sum too');
SELECT is((SELECT _aged_not_due('2026-03-31', '2026-03-01', v)::text FROM unnest('{1.5}'::numeric[]) v),
          '0', 'an empty bucket is 0');
SELECT is((SELECT _aged_total('2026-03-31', '2026-03-01', v)::text
             FROM unnest('{99999999999999999999.99999999,0.00000001}'::numeric[]) v),
          '100000000000000000000.00000000', 'a sum past 64 bits');
SELECT is((SELECT _aged_total('2026-03-31', '2026-03-01', v)::text FROM unnest('{-12345678901.5,-0.5}'::numeric[]) v),
          '-12345678902.0', 'negative sums');
SELECT is((SELECT _aged_total('2026-03-31', '2026-03-01', v)::text FROM unnest('{1,NaN}'::numeric[]) v),
          'NaN', 'NaN makes its bucket NaN, as in sum()');
SELECT ok((SELECT _aged_total('2026-03-31', '2026-03-01', v) IS NULL FROM unnest('{}'::numeric[]) v),
          'no row, no line');

-- _is_open is open_amount <> 0
SELECT is_empty($$SELECT v FROM unnest('{0,0.00,-0,1,-1,0.00000001,1e-40,1e40,NaN,Infinity,-Infinity,10000,-10000.0001}'::numeric[]) v
                   WHERE dunning._is_open(v) IS DISTINCT FROM (v <> 0)$$, '_is_open(v) is v <> 0');
SELECT is_empty('SELECT amount FROM amounts WHERE dunning._is_open(amount) IS DISTINCT FROM (amount <> 0)',
                'on every random amount too');

-- the planner estimates _is_open(x) as x <> 0, from the statistics
CREATE TEMP TABLE mostly_closed AS
SELECT CASE WHEN i % 10 = 0 THEN i::numeric ELSE 0 END AS open_amount FROM generate_series(1, 10000) i;
ANALYZE mostly_closed;
CREATE FUNCTION pg_temp.estimate(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END
$$;
SELECT is(pg_temp.estimate('SELECT * FROM mostly_closed WHERE dunning._is_open(open_amount)'),
          pg_temp.estimate('SELECT * FROM mostly_closed WHERE open_amount <> 0'),
          'the estimate of _is_open is that of <> 0');
SELECT cmp_ok(pg_temp.estimate('SELECT * FROM mostly_closed WHERE dunning._is_open(open_amount)'), '<', 1500::numeric,
              'a tenth of the rows, not a function''s default third');

-- the aggregates share one state per group: one transition function
SELECT is((SELECT count(DISTINCT aggtransfn) FROM pg_aggregate
            WHERE aggfnoid::regproc::text LIKE '%\_aged\_%' AND aggfnoid::regproc::text <> '_aged_sums'
              AND aggtransfn = '_aged_line_accum'::regproc), 1::bigint, 'the twelve aggregates have one transition');
SELECT is((SELECT count(*) FROM pg_aggregate WHERE aggtransfn = '_aged_line_accum'::regproc
            AND aggfinalmodify = 'r'), 12::bigint, 'and read-only final functions, so they share their state');

SELECT * FROM finish();
ROLLBACK;
