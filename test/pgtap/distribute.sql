-- pgTAP: dunning.distribute() on a server without Citus, and the schema
-- distribution asked of everyone (README "Outgrowing one server").
\i test/pgtap/setup.psql
SELECT plan(9);

SELECT has_function('dunning', 'distribute', ARRAY['integer']);
SELECT throws_ok('SELECT * FROM dunning.distribute()', '0A000', 'dunning.distribute() needs Citus', 'without Citus: 0A000');
SELECT throws_ok('SELECT * FROM dunning.distribute(0)', '0A000', NULL, 'the missing Citus is said before a bad shard count');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE confrelid = 'dunning.customer'::regclass AND confupdtype = 'c'),
          0, 'no ON UPDATE CASCADE to customer');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE confrelid = 'dunning.customer'::regclass AND contype = 'f'),
          9, 'every per-customer table that holds its own customer_id references customer');
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('rp', 'rp', 'EUR');
INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('R1', 'Renamed', 'rp');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('R1', 'invoice', 'R-1', '2026-01-01', '2026-01-31', 10, 'EUR');
SELECT throws_ok($$UPDATE dunning.customer SET customer_id = 'R2' WHERE customer_id = 'R1'$$, '23503', NULL,
                 'a customer with entries keeps its id');
SELECT is((SELECT count(*)::int FROM dunning.entry WHERE customer_id = 'R1'), 1, 'its entry did not move');
SELECT ok(NOT has_function_privilege('public', 'dunning.distribute(integer)', 'EXECUTE'), 'PUBLIC cannot distribute');
SELECT policies_are('dunning', 'entry', ARRAY['dunning_manager'], 'one server keeps its policies');

SELECT * FROM finish();
ROLLBACK;
