-- dunning.distribute() and what distribution changed for everyone
-- (README "Outgrowing one server"); test/citus/run runs the scenarios on
-- Citus itself.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS dunning CASCADE;
RESET client_min_messages;
CREATE EXTENSION dunning;
\set VERBOSITY default
-- without Citus: 0A000, and a detail that says what to do
SELECT * FROM dunning.distribute();
SELECT * FROM dunning.distribute(32);
\set VERBOSITY default
-- the private parts are nobody's but the owner's
SELECT has_function_privilege('public', 'dunning.distribute(integer)', 'EXECUTE') AS public_distributes,
       has_function_privilege('public', 'dunning._citus_policies()', 'EXECUTE') AS public_rewrites_policies;
-- no per-customer table cascades an update of the customer's id any more
SELECT count(*) AS cascading_updates FROM pg_constraint
 WHERE confrelid = 'dunning.customer'::regclass AND confupdtype = 'c';
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('p', 'p', 'EUR');
INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('A1', 'Alpha', 'p'), ('B1', 'Beta', 'p');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('A1', 'invoice', 'F1', '2026-01-01', '2026-01-31', 100, 'EUR');
-- a customer with rows keeps its id: 23503, and nothing moved
\set VERBOSITY default
UPDATE dunning.customer SET customer_id = 'A2' WHERE customer_id = 'A1';
\set VERBOSITY default
SELECT customer_id, count(*) FROM dunning.entry GROUP BY 1;
-- one without rows can still be renamed
UPDATE dunning.customer SET customer_id = 'B2' WHERE customer_id = 'B1';
SELECT customer_id FROM dunning.customer ORDER BY 1;
-- the row tests distribute() puts in the policies' place agree with the
-- policies of one server: row security off, every row passes
SELECT dunning._rls_all() AS all_pass, dunning._rls_manager(NULL) AS no_manager,
       dunning._rls_customer('A1') AS a1;
-- JIT: a plan that calls dunning's functions is compiled only when
-- dunning.jit is on; other plans as the server's settings say
CREATE FUNCTION pg_temp.jit_functions(query text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
    RETURN coalesce((plan -> 0 -> 'JIT' ->> 'Functions')::integer, 0);
END
$$;
SET jit = on;
SET jit_above_cost = 0;
SHOW dunning.jit;
SELECT pg_temp.jit_functions('SELECT * FROM dunning.aged_balance') AS aged_balance,
       pg_temp.jit_functions('SELECT * FROM dunning.open_items') AS open_items,
       pg_temp.jit_functions('SELECT * FROM dunning.item_status') AS item_status,
       pg_temp.jit_functions('SELECT * FROM dunning.reminder_proposal') AS proposal,
       pg_temp.jit_functions('SELECT customer_id, sum(open_amount) FROM dunning.entry GROUP BY 1') > 0
           AS plain_query_compiled;
SET dunning.jit = on;
SELECT pg_temp.jit_functions('SELECT * FROM dunning.aged_balance') > 0 AS aged_balance,
       pg_temp.jit_functions('SELECT * FROM dunning.open_items') > 0 AS open_items,
       pg_temp.jit_functions('SELECT * FROM dunning.item_status') > 0 AS item_status,
       pg_temp.jit_functions('SELECT * FROM dunning.reminder_proposal') > 0 AS proposal;
SET dunning.jit = maybe;
RESET dunning.jit;
RESET jit_above_cost;
RESET jit;
DROP EXTENSION dunning;
