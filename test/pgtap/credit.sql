-- pgTAP: credit control.  Catalog facts; every bad input of can_ship and
-- the tables' credit columns with its SQLSTATE and a detail, nothing
-- changed; and, on a random ledger of 300 customers with limits, orders,
-- blocks, litigation, broken promises and plans, can_ship says what
-- credit_status says for every customer.
\i test/pgtap/setup.psql
SELECT plan(36);

SELECT has_view('dunning', 'credit_status', 'view credit_status');
SELECT has_function('dunning', 'credit_status', ARRAY['date'], 'credit_status(as_of) twin');
SELECT has_function('dunning', 'can_ship', ARRAY['text', 'numeric']);
SELECT volatility_is('dunning', 'can_ship', ARRAY['text', 'numeric'], 'stable');
SELECT volatility_is('dunning', 'credit_status', ARRAY['date'], 'stable');
SELECT columns_are('dunning', 'credit_status', ARRAY['customer_id', 'name', 'manager_id', 'currency',
       'credit_limit', 'receivables', 'open_orders', 'exposure', 'available', 'overdue',
       'oldest_days_overdue', 'level', 'insured_limit', 'uninsured_exposure', 'hold', 'hold_reason', 'as_of']);
SELECT throws_ok('SELECT * FROM dunning.credit_status(NULL)', '22004', NULL, 'credit_status(NULL)');
SELECT throws_ok($$SELECT * FROM dunning.credit_status('infinity')$$, '22008', NULL, 'credit_status(infinity)');
SELECT has_column('dunning', 'customer', c, 'customer.' || c) FROM unnest(ARRAY['open_orders', 'insured_limit']) c;
SELECT has_column('dunning', 'policy', c, 'policy.' || c) FROM unnest(ARRAY['hold_overdue_days', 'hold_level']) c;

-------------------------------------------------------------------------------
-- bad input
-------------------------------------------------------------------------------
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('p', 'P', 'EUR');
INSERT INTO dunning.customer (customer_id, name, policy_id, credit_limit) VALUES ('C1', 'One', 'p', 100);
CREATE TEMP TABLE before AS SELECT c.*, p.hold_overdue_days, p.hold_level
  FROM dunning.customer c JOIN dunning.policy p USING (policy_id);
SELECT is(pg_temp.error_of(call), code || ' with a detail', what) FROM (VALUES
    ($$SELECT * FROM dunning.can_ship(NULL, 10)$$, '22004', 'can_ship: NULL customer'),
    ($$SELECT * FROM dunning.can_ship('C1', NULL)$$, '22004', 'can_ship: NULL amount'),
    ($$SELECT * FROM dunning.can_ship('C1', -0.01)$$, '22023', 'can_ship: a negative amount'),
    ($$SELECT * FROM dunning.can_ship('C1', 'NaN')$$, '22023', 'can_ship: NaN'),
    ($$SELECT * FROM dunning.can_ship('C1', 'Infinity')$$, '22023', 'can_ship: an infinite amount'),
    ($$SELECT * FROM dunning.can_ship('nobody', 10)$$, '22023', 'can_ship: an unknown customer'),
    ($$UPDATE dunning.customer SET credit_limit = -1$$, '23514', 'a negative credit limit'),
    ($$UPDATE dunning.customer SET open_orders = -1$$, '23514', 'negative open orders'),
    ($$UPDATE dunning.customer SET open_orders = 'NaN'$$, '23514', 'NaN open orders'),
    ($$UPDATE dunning.customer SET insured_limit = -1$$, '23514', 'a negative insured limit'),
    ($$UPDATE dunning.customer SET open_orders = NULL$$, '23502', 'NULL open orders'),
    ($$UPDATE dunning.policy SET hold_overdue_days = 0$$, '23514', 'hold_overdue_days of 0'),
    ($$UPDATE dunning.policy SET hold_level = 0$$, '23514', 'a hold level of 0')
) x(call, code, what);
SELECT is((SELECT count(*)::int FROM (SELECT c.*, p.hold_overdue_days, p.hold_level
                                        FROM dunning.customer c JOIN dunning.policy p USING (policy_id)
                                      EXCEPT SELECT * FROM before) d), 0, 'no row changed');

-------------------------------------------------------------------------------
-- can_ship and credit_status agree, customer by customer
-------------------------------------------------------------------------------
SELECT setseed(0.1010);
UPDATE dunning.policy SET hold_overdue_days = 45, hold_level = 2;
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('u', 'USD book', 'USD');
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, channel)
SELECT p, l, 10 * l, 0, 'letter' FROM unnest('{p,u}'::text[]) p, generate_series(1, 3) l;
INSERT INTO dunning.level_amount (policy_id, level, currency, min_amount, fee)
SELECT 'p', l, 'USD', 0, 0 FROM generate_series(1, 3) l;
INSERT INTO dunning.customer (customer_id, name, policy_id, credit_limit, open_orders, insured_limit, blocked_until, block_reason)
SELECT 'R' || i, 'Random ' || i, CASE WHEN i % 7 = 0 THEN 'u' WHEN i % 11 = 0 THEN NULL ELSE 'p' END,
       CASE WHEN i % 3 = 0 THEN NULL ELSE (500 + 100 * (i % 40))::numeric END,
       CASE WHEN i % 4 = 0 THEN (37.5 * (i % 9))::numeric ELSE 0 END,
       CASE WHEN i % 5 = 0 THEN 1000 END,
       CASE WHEN i % 13 = 0 THEN '2025-06-30'::date END, CASE WHEN i % 13 = 0 THEN 'audit' END
  FROM generate_series(1, 300) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency, status)
SELECT 'R' || i, 'invoice', 'R' || i || '-' || k, d, d + 30, round((50 + random() * 900)::numeric, 2),
       CASE WHEN k = 3 AND i % 6 = 0 THEN 'USD' WHEN i % 7 = 0 THEN 'USD' ELSE 'EUR' END,
       CASE WHEN i % 17 = 0 AND k = 1 THEN 'litigation' ELSE 'open' END
  FROM generate_series(1, 300) i, generate_series(1, 4) k,
       LATERAL (SELECT '2025-01-01'::date + (random() * 120 + 0 * i * k)::int AS d) x;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT 'R' || i, 'payment', 'R' || i || '-1', '2025-04-01', -round((100 + random() * 600)::numeric, 2),
       CASE WHEN i % 7 = 0 THEN 'USD' ELSE 'EUR' END
  FROM generate_series(1, 300) i WHERE i % 2 = 0;
SELECT ok(count(*) > 100, 'the ledger is lettered in part') FROM dunning.auto_letter(strategies => '{reference,fifo}');
SET dunning.as_of = '2025-05-15';
SELECT ok(count(*) > 50, 'reminders issued') FROM dunning.issue_reminders('2025-05-15');
SET dunning.as_of = '2025-06-10';
SELECT ok(count(*) > 50, 'and again, some at level 2') FROM dunning.issue_reminders('2025-06-10');
INSERT INTO dunning.promise (customer_id, entry_ids, amount, currency, promised_on, made_on, status)
SELECT e.customer_id, ARRAY[e.entry_id], e.open_amount, e.currency, '2025-05-01', '2025-04-20', 'broken'
  FROM dunning.entry e WHERE e.customer_id IN ('R19', 'R38', 'R57') AND e.kind = 'invoice' AND e.open_amount > 0
   AND e.ref LIKE '%-2';
INSERT INTO dunning.payment_plan (customer_id, entry_ids, currency, agreed_on, status)
SELECT e.customer_id, ARRAY[e.entry_id], e.currency, '2025-04-01', 'broken'
  FROM dunning.entry e WHERE e.customer_id IN ('R23', 'R46') AND e.kind = 'invoice' AND e.open_amount > 0
   AND e.ref LIKE '%-3';
SELECT ok((SELECT count(DISTINCT r) FROM dunning.credit_status, unnest(hold_reason) r) = 7,
          'every hold reason occurs: ' || (SELECT string_agg(DISTINCT r, ',') FROM dunning.credit_status, unnest(hold_reason) r));
SELECT ok((SELECT count(*) FROM dunning.credit_status WHERE NOT hold) > 10, 'and customers not on hold');
SELECT is((SELECT count(*)::int
             FROM dunning.customer c
             CROSS JOIN LATERAL dunning.can_ship(c.customer_id, 0) k
            WHERE k.reason IS DISTINCT FROM coalesce(
                      (SELECT string_agg(DISTINCT r, ',' ORDER BY r)
                         FROM dunning.credit_status s, unnest(s.hold_reason) r
                        WHERE s.customer_id = c.customer_id), 'ok')
               OR k.available IS DISTINCT FROM
                      (SELECT s.available FROM dunning.credit_status s JOIN dunning.policy p ON p.currency = s.currency
                        WHERE s.customer_id = c.customer_id AND p.policy_id = c.policy_id)),
          0, 'can_ship(customer, 0) gives the reasons and the available credit of credit_status, for every customer');
SELECT is((SELECT count(*)::int FROM dunning.customer c CROSS JOIN LATERAL dunning.can_ship(c.customer_id, 1) k
            JOIN dunning.credit_status s ON s.customer_id = c.customer_id
            JOIN dunning.policy p ON p.policy_id = c.policy_id AND p.currency = s.currency
           WHERE s.available >= 1 AND NOT s.hold AND NOT k.ok), 0,
          'an order within the available credit of a customer not on hold ships');
SELECT is((SELECT count(*)::int FROM dunning.customer c
             JOIN dunning.credit_status s ON s.customer_id = c.customer_id
             JOIN dunning.policy p ON p.policy_id = c.policy_id AND p.currency = s.currency
             CROSS JOIN LATERAL dunning.can_ship(c.customer_id, greatest(s.available, 0) + 0.01) k
            WHERE s.credit_limit IS NOT NULL AND (k.ok OR k.reason NOT LIKE '%over_limit%')), 0,
          'an order a cent beyond the available credit does not, for over_limit');
SELECT is((SELECT count(*)::int FROM dunning.credit_status
            WHERE exposure IS DISTINCT FROM receivables + open_orders
               OR (credit_limit IS NOT NULL AND available IS DISTINCT FROM credit_limit - exposure)
               OR (insured_limit IS NOT NULL AND uninsured_exposure IS DISTINCT FROM greatest(exposure - insured_limit, 0))),
          0, 'exposure, available credit and uninsured exposure add up');
SELECT is((SELECT count(*)::int FROM dunning.credit_status s
             JOIN (SELECT customer_id, currency, sum(open_amount) AS open FROM dunning.open_items GROUP BY 1, 2) o
               USING (customer_id, currency)
            WHERE s.receivables IS DISTINCT FROM o.open), 0, 'receivables are the open items of the day');

SELECT * FROM finish();
ROLLBACK;
