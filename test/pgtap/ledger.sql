-- pgTAP: the schema contract, the ledger's errors and that they change nothing.
\i test/pgtap/setup.psql
SELECT plan(77);

-- every table of the data model, and customer_id in the keys of per-customer tables
SELECT has_table('dunning', t, 'table dunning.' || t)
  FROM unnest(ARRAY['policy', 'level', 'level_amount', 'holiday', 'credit_manager', 'customer',
                    'entry', 'allocation', 'lettering', 'run', 'reminder', 'reminder_line',
                    'action', 'promise', 'payment_plan', 'installment', 'activity', 'template',
                    'reference_rate']) t;
SELECT ok(bool_and(EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                               AND a.attnum = ANY (c.conkey) AND a.attname = 'customer_id')),
          'customer_id is in every primary key and unique constraint of ' || c.conrelid::regclass::text)
  FROM pg_constraint c
 WHERE c.contype IN ('p', 'u')
   AND c.conrelid IN (SELECT ('dunning.' || t)::regclass FROM unnest(ARRAY['customer', 'entry', 'allocation',
                      'lettering', 'reminder', 'reminder_line', 'action', 'promise', 'payment_plan',
                      'installment', 'activity']) t)
 GROUP BY c.conrelid;
SELECT is((SELECT count(*)::int FROM pg_class c
            WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind IN ('r', 'S')
              AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'dunning')::oid[])),
          0, 'every table and sequence is registered with pg_extension_config_dump');
SELECT has_view('dunning', v, 'view dunning.' || v)
  FROM unnest(ARRAY['open_items', 'aged_balance', 'dashboard']) v;
SELECT has_function('dunning', f, ARRAY['date'], 'function twin dunning.' || f || '(date)')
  FROM unnest(ARRAY['open_items', 'aged_balance', 'dashboard']) f;
SELECT is((SELECT count(*)::int FROM dunning.reference_rate WHERE shipped), 26, 'reference rates shipped');
SELECT ok((SELECT min(valid_from) FROM dunning.reference_rate WHERE series = s) <= '2022-01-01',
          'series ' || s || ' covers 2022 on')
  FROM unnest(ARRAY['ecb_mro', 'de_base']) s;

-- a small ledger
INSERT INTO dunning.customer (customer_id, name) VALUES ('C1', 'One'), ('C2', 'Two');
INSERT INTO dunning.entry (customer_id, entry_id, kind, doc_date, due_date, amount, currency) VALUES
    ('C1', 1, 'invoice', '2025-01-01', '2025-01-31', 100, 'EUR'),
    ('C1', 2, 'payment', '2025-02-01', NULL, -60, 'EUR'),
    ('C1', 3, 'payment', '2025-02-01', NULL, -60, 'USD'),
    ('C2', 4, 'payment', '2025-02-01', NULL, -10, 'EUR');
INSERT INTO dunning.lettering (customer_id, letter_code, partial) VALUES ('C1', 'aaa', true);
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 1, 2, 60);
CREATE TEMP TABLE before_entry AS SELECT * FROM dunning.entry;
CREATE TEMP TABLE before_alloc AS SELECT * FROM dunning.allocation;

SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 1, 2, 1)$$,
                 '23514', NULL, 'over-allocation of a credit');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 1, 3, 10)$$,
                 '22023', NULL, 'mixed currencies');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 2, 1, 10)$$,
                 '22023', NULL, 'debit and credit swapped');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 1, 4, 10)$$,
                 '23503', NULL, 'credit of another customer');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'aaa', 1, 99, 10)$$,
                 '23503', NULL, 'unknown entry');
SELECT throws_ok($$INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount) VALUES ('C1', 'zzz', 1, 2, 10)$$,
                 '23503', NULL, 'unknown lettering group');
SELECT throws_ok($$UPDATE dunning.entry SET amount = 90 WHERE entry_id = 1$$, '55000', NULL, 'amount of an allocated entry');
SELECT throws_ok($$UPDATE dunning.allocation SET amount = 200$$, '23514', NULL, 'allocation raised past the open amount');
SELECT throws_ok($$DELETE FROM dunning.entry WHERE entry_id = 2$$, '23503', NULL, 'delete an allocated entry');
SELECT throws_ok($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', 0, 'EUR')$$,
                 '23514', NULL, 'zero invoice');
SELECT results_eq('SELECT * FROM dunning.entry ORDER BY entry_id', 'SELECT * FROM before_entry ORDER BY entry_id',
                  'no entry changed by the refused statements');
SELECT results_eq('SELECT * FROM dunning.allocation ORDER BY allocation_id', 'SELECT * FROM before_alloc ORDER BY allocation_id',
                  'no allocation changed by the refused statements');

-- payment terms and the as-of date
SELECT throws_ok(format('SELECT dunning.due_date(%L, %L)', '2025-03-10', t), code, NULL, 'terms ' || quote_literal(t))
  FROM (VALUES ('30x', '22P02'), ('', '22P02'), ('+', '22P02'), ('30d+', '22P02'), ('eom+eom+', '22P02'),
               ('30', '22P02'), ('m', '22P02'), ('-1d', '22P02'), ('1.5m', '22P02'), ('99999d', '22003'),
               ('1201m', '22003')) AS t(t, code);
SELECT throws_ok($$SELECT dunning.due_date('2025-03-10', NULL)$$, '22004', NULL, 'NULL terms');
SELECT throws_ok($$SELECT dunning.due_date('2025-03-10', '30d', 'nowhere')$$, '22023', 'unknown calendar "nowhere"', 'unknown calendar');
SELECT is(dunning.due_date('2025-03-10', t), d, 'terms ' || t)
  FROM (VALUES ('60d', '2025-05-09'::date), ('45d+eom', '2025-04-30'), ('eom+45d', '2025-05-15'),
               ('eom+10d', '2025-04-10')) AS x(t, d);
SELECT throws_ok($$SET dunning.as_of = '2025-13-01'$$, '22007', NULL, 'as_of must be a date');
SELECT throws_ok($$SELECT * FROM dunning.aged_balance(NULL)$$, '22004', NULL, 'aged_balance(NULL)');
SELECT throws_ok($$SELECT * FROM dunning.open_items(NULL)$$, '22004', NULL, 'open_items(NULL)');
SELECT throws_ok($$SELECT * FROM dunning.dashboard(NULL)$$, '22004', NULL, 'dashboard(NULL)');
SELECT throws_ok($$SELECT * FROM dunning.dashboard('-infinity')$$, '22008', NULL, 'dashboard(-infinity)');

-- a filter on the view reaches the table (the twins are inlined)
SET LOCAL enable_seqscan = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; o text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP o := o || r || E'\n'; END LOOP;
    RETURN o;
END $$;
-- aged_balance is one pass over the ledger in C (0.5.0); for some customers,
-- aged_balance(as_of, customer_ids) reads their entries by the index
CREATE TEMP TABLE scans_before AS
SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relid = 'dunning.entry'::regclass;
SELECT is((SELECT count(*) FROM dunning.aged_balance(dunning.as_of(), '{C1}')), 2::bigint, 'aged_balance of C1: its two currencies');
SELECT ok((SELECT s.seq_scan = b.seq_scan AND s.idx_scan > b.idx_scan
             FROM pg_stat_xact_user_tables s, scans_before b WHERE s.relid = 'dunning.entry'::regclass),
          'aged_balance(as_of, customer_ids) reads the entry index, not the table');
SELECT matches(pg_temp.plan_of($$SELECT * FROM dunning.open_items WHERE customer_id = 'C1'$$),
               'Index Cond: \(customer_id = ''C1''::text\)', 'filter on open_items reaches the entry index');

SELECT * FROM finish();
ROLLBACK;
