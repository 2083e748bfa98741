-- pgTAP: the judgement of an item in C (src/proposal.c, _judge) against
-- the SQL rules it replaces, and the proposal summed by the aggregate
-- _letter against the same sums taken with sum(), max() and count() over
-- the judged items and 0.5.0's _item_charges, serially and on parallel workers
-- (the aggregate's combine, serialize and deserialize functions).  A
-- random ledger of every shape: amounts of 0 to 20 decimals and beyond the
-- 128-bit integers, disputes whole and partial, blocked and litigated
-- items, excluded sources and methods, promises and plans (kept and
-- missed), blocked and consumer customers, customers within their
-- interval, interest and compensation already charged.
\i test/pgtap/setup.psql
SET LOCAL search_path = public, dunning;
SELECT plan(37);

SELECT setseed(0.25);
INSERT INTO policy (policy_id, name, currency, interest_regime, interest_rate, compensation, post_charges,
                    min_interval_days, grace_days, excluded_sources, excluded_methods, statement, min_balance,
                    allow_skip)
VALUES ('fr', 'FR', 'EUR', 'fr', NULL, 40, true, 5, 2, '{intercompany}', '{direct_debit}', 'overdue', 10, false),
       ('acct', 'Account', 'USD', 'fixed', 7.5, 0, false, 0, 0, '{}', '{}', 'account', 0, false),
       ('skip', 'Skip', 'EUR', NULL, NULL, 12.5, false, 0, 0, '{}', '{card}', 'overdue', 0, true);
INSERT INTO level (policy_id, level, min_days, min_interval_days, fee, interest, channel) VALUES
    ('fr', 1, 1, 0, 0, false, 'email'), ('fr', 2, 15, 7, 10, true, 'letter'), ('fr', 3, 40, 7, 25, true, 'letter'),
    ('acct', 1, -5, 0, 0, true, 'email'), ('acct', 2, 30, 10, 5, true, 'email'),
    ('skip', 1, 10, 0, 0, false, 'email'), ('skip', 2, 20, 0, 3, false, 'letter'), ('skip', 3, 45, 3, 9, false, 'letter');
-- a final level, and a level with a template of its own
UPDATE level SET final = true WHERE policy_id = 'fr' AND level = 3;
UPDATE level SET template = 'notice' WHERE policy_id = 'skip' AND level = 3;
INSERT INTO level_amount (policy_id, level, currency, min_amount, fee)
SELECT policy_id, level, c, 5, 2 FROM level, unnest('{EUR,USD}'::text[]) c
 WHERE c <> (SELECT currency FROM policy p WHERE p.policy_id = level.policy_id);
INSERT INTO credit_manager (manager_id, name) VALUES ('m1', 'Manager One');
INSERT INTO customer (customer_id, name, policy_id, manager_id, is_consumer, blocked_until)
SELECT 'J' || g, 'Judged ' || g,
       (ARRAY['fr', 'acct', 'skip', NULL])[1 + g % 4], CASE WHEN g % 3 = 0 THEN 'm1' END,
       g % 7 = 0, CASE WHEN g % 11 = 0 THEN date '2026-03-31' + (g % 3 - 1) END
  FROM generate_series(1, 300) g;
INSERT INTO entry (customer_id, kind, doc_date, due_date, amount, currency, payment_method, source,
                   excluded, status, disputed_amount)
SELECT customer_id, CASE WHEN amount > 0 THEN 'invoice' WHEN amount < -900 THEN 'credit_note' ELSE 'payment' END,
       due - (random() * 30)::int, CASE WHEN amount > 0 AND random() < 0.9 THEN due END, amount,
       currency, (ARRAY['transfer', 'direct_debit', 'card', NULL])[1 + (random() * 3)::int],
       (ARRAY['erp', 'intercompany', NULL])[1 + (random() * 2)::int],
       random() < 0.05, CASE WHEN amount > 0 THEN st ELSE 'open' END,
       CASE WHEN st = 'disputed' AND amount > 0 AND random() < 0.7
            THEN greatest(round(amount * random()::numeric, 2), least(amount, 0.01)) END
  FROM (SELECT 'J' || g AS customer_id,
               (ARRAY['EUR', 'USD'])[1 + (random() * 0.7)::int] AS currency,
               date '2026-03-31' - (random() * 120)::int + 20 AS due,
               (ARRAY['open', 'open', 'open', 'open', 'disputed', 'blocked', 'litigation'])[1 + (random() * 6)::int] AS st,
               CASE (random() * 8)::int
                    WHEN 0 THEN round(random()::numeric * 100, 8 + (random() * 12)::int)
                    WHEN 1 THEN round(random()::numeric * 9.9e27, (random() * 4)::int)
                    WHEN 2 THEN round(-random()::numeric * 1500, 2)
                    WHEN 3 THEN (random() * 1000)::int::numeric
                    ELSE round(random()::numeric * 5000, (random() * 3)::int)
               END AS amount
          FROM generate_series(1, 300) g, generate_series(1, 5 + (random() * 40)::int)) s
 WHERE amount <> 0;
-- parts of overdue invoices paid after their due dates, once or twice
-- (the interest runs on each part until its date)
INSERT INTO entry (customer_id, kind, doc_date, amount, currency, ref)
SELECT i.customer_id, 'payment', i.due_date + k * 40 - 30, - round(i.amount / 4, 2), i.currency,
       'part ' || i.entry_id
  FROM (SELECT DISTINCT ON (e.customer_id) e.*
          FROM entry e JOIN customer c USING (customer_id)
         WHERE c.policy_id IN ('fr', 'acct') AND substr(e.customer_id, 2)::int BETWEEN 40 AND 200
           AND e.kind = 'invoice' AND e.status = 'open' AND e.due_date <= '2026-03-01'
           AND e.amount BETWEEN 100 AND 5000
         ORDER BY e.customer_id, e.entry_id) i,
       generate_series(1, 1 + (i.entry_id % 2)::int) k;
SELECT count(letter(p.customer_id, ARRAY[i.entry_id, p.entry_id]))
  FROM entry p JOIN entry i ON i.customer_id = p.customer_id AND p.ref = 'part ' || i.entry_id
 WHERE p.kind = 'payment';
-- letters of an earlier day at level 2, which charges interest, some of
-- them cancelled: levels reached, items charged interest and the
-- compensation already (the counters are the triggers' to keep: an UPDATE
-- of them changes nothing)
CREATE TEMP TABLE early AS
SELECT * FROM issue_reminders('2026-01-31', level => 2,
                              customers => ARRAY(SELECT customer_id FROM customer
                                                  WHERE substr(customer_id, 2)::int BETWEEN 40 AND 160));
SELECT count(cancel_reminder(customer_id, reminder_id)) FROM early WHERE reminder_id % 4 = 0;
-- a promise not yet due and a kept plan hold items; a missed plan does not
INSERT INTO promise (customer_id, entry_ids, amount, currency, promised_on, made_on)
SELECT customer_id, array_agg(entry_id), 100, 'EUR', '2026-04-15', '2026-03-20'
  FROM entry WHERE customer_id IN ('J1', 'J2', 'J3') AND amount > 0 GROUP BY customer_id;
INSERT INTO payment_plan (customer_id, entry_ids, currency, agreed_on)
SELECT customer_id, array_agg(entry_id), 'EUR', '2026-01-10'
  FROM entry WHERE customer_id IN ('J5', 'J6') AND amount > 0 GROUP BY customer_id;
INSERT INTO installment (customer_id, plan_id, seq, due_on, amount)
SELECT customer_id, plan_id, s, date '2026-02-01' + 30 * s, CASE WHEN customer_id = 'J5' THEN 0.01 ELSE 1e6 END
  FROM payment_plan, generate_series(1, 3) s;

CREATE TEMP TABLE days AS SELECT d FROM unnest('{2026-03-31,2026-02-15,2026-05-10}'::date[]) d;

-- the 0.5.0 SQL of the judgement, written out
CREATE FUNCTION pg_temp.judged_sql(d date, force_level integer, reissue boolean, methods text[])
RETURNS TABLE (customer_id text, entry_id bigint, hold text, esc integer, customer_blocked boolean,
               customer_interval boolean, dun_level integer, claimable numeric)
LANGUAGE sql AS $$
SELECT k.customer_id, k.entry_id, k.hold, k.esc, k.customer_blocked, k.customer_interval,
       CASE WHEN k.amount <= 0 OR k.hold IS NOT NULL OR k.customer_blocked THEN NULL
            WHEN methods IS NOT NULL AND NOT coalesce(k.payment_method = ANY (methods), false) THEN NULL
            WHEN force_level IS NOT NULL
            THEN CASE WHEN k.days_overdue > 0 AND k.level < force_level AND k.esc <> 0 THEN force_level END
            WHEN k.esc > 0 THEN k.esc
            WHEN reissue AND k.level >= 1 AND k.days_overdue > 0 AND dunning._verdict_at_level(k.esc) THEN k.level
       END,
       CASE WHEN k.amount < 0 THEN k.open_amount
            WHEN (k.days_overdue > 0 OR k.esc > 0) AND k.hold IS NULL
            THEN greatest(k.open_amount - CASE WHEN k.status = 'disputed' THEN coalesce(k.disputed_amount, 0) ELSE 0 END, 0)
            ELSE 0 END
  FROM (SELECT i.*,
               CASE WHEN i.amount <= 0 OR p.policy_id IS NULL THEN NULL
                    WHEN i.excluded THEN 'excluded'
                    WHEN i.source = ANY (p.excluded_sources) THEN 'source_excluded'
                    WHEN i.payment_method = ANY (p.excluded_methods) THEN 'method_excluded'
                    WHEN i.status = 'disputed' AND (i.disputed_amount IS NULL OR i.disputed_amount >= i.open_amount) THEN 'disputed'
                    WHEN i.status = 'blocked' OR i.status = 'litigation' THEN 'blocked'
                    WHEN i.plan_hold IS NOT NULL THEN i.plan_hold
               END AS hold,
               CASE WHEN i.amount > 0 THEN dunning._escalate(i.policy_id, i.days_overdue, i.level, i.last_reminded_on, i.as_of) END AS esc,
               coalesce(i.blocked_until >= i.as_of, false) AS customer_blocked,
               NOT reissue AND force_level IS NULL AND i.customer_last IS NOT NULL
               AND i.as_of - i.customer_last < greatest(p.min_interval_days, 1) AS customer_interval
          FROM dunning._item_inputs(d) i
          LEFT JOIN dunning.policy p ON p.policy_id = i.policy_id) k
$$;

-- the 0.5.0 SQL of an item's charges (the interest with a query of its
-- payments, whatever was paid), written out
CREATE FUNCTION pg_temp.item_charges_sql(customer_id text, entry_id bigint, kind text,
                                          days_overdue integer, open_amount numeric,
                                          due_date date, currency text, as_of date,
                                          policy_id text, level integer,
                                          policy_currency text, regime text,
                                          annual_rate numeric, day_count text,
                                          post_charges boolean, compensation numeric,
                                          is_consumer boolean)
RETURNS TABLE (interest numeric, compensation numeric)
LANGUAGE sql STABLE
AS $$
SELECT CASE WHEN $10 IS NOT NULL AND $3 OPERATOR(pg_catalog.=) 'invoice'
             AND $4 OPERATOR(pg_catalog.>) 0 AND $12 IS NOT NULL
             AND dunning._level_interest($9, $10)
            THEN pg_catalog.round(
                   dunning._late_interest($5, f.from_date, $8, $12, $13, $14)
                   OPERATOR(pg_catalog.+)
                   coalesce((SELECT pg_catalog.sum(dunning._late_interest(
                                        a.amount, f.from_date, a.allocated_on, $12, $13, $14))
                               FROM dunning.allocation a
                              WHERE a.customer_id OPERATOR(pg_catalog.=) $1
                                AND a.debit_id OPERATOR(pg_catalog.=) $2
                                AND a.allocated_on OPERATOR(pg_catalog.>) f.from_date
                                AND a.allocated_on OPERATOR(pg_catalog.<=) $8), 0),
                   2)
            ELSE 0 END,
       CASE WHEN $10 IS NOT NULL AND $3 OPERATOR(pg_catalog.=) 'invoice'
             AND $4 OPERATOR(pg_catalog.>) 0
             AND $16 OPERATOR(pg_catalog.>) 0 AND NOT $17
             AND $7 OPERATOR(pg_catalog.=) $11
             AND NOT EXISTS (SELECT 1
                               FROM dunning.reminder_line rl
                               JOIN dunning.reminder r
                                 ON r.customer_id OPERATOR(pg_catalog.=) rl.customer_id
                                AND r.reminder_id OPERATOR(pg_catalog.=) rl.reminder_id
                              WHERE rl.customer_id OPERATOR(pg_catalog.=) $1
                                AND rl.entry_id OPERATOR(pg_catalog.=) $2
                                AND rl.compensation OPERATOR(pg_catalog.>) 0
                                AND r.status OPERATOR(pg_catalog.<>) 'cancelled')
            THEN $16 ELSE 0 END
  FROM (SELECT CASE WHEN $15
                    THEN greatest($6,
                                  (SELECT pg_catalog.max(r.as_of)
                                     FROM dunning.reminder_line rl
                                     JOIN dunning.reminder r
                                       ON r.customer_id OPERATOR(pg_catalog.=) rl.customer_id
                                      AND r.reminder_id OPERATOR(pg_catalog.=) rl.reminder_id
                                    WHERE rl.customer_id OPERATOR(pg_catalog.=) $1
                                      AND rl.entry_id OPERATOR(pg_catalog.=) $2
                                      AND rl.interest OPERATOR(pg_catalog.>) 0
                                      AND r.status OPERATOR(pg_catalog.<>) 'cancelled'))
                    ELSE $6 END AS from_date) f
$$;

-- the 0.5.0 SQL of the proposal's sums, written out
CREATE FUNCTION pg_temp.proposal_sql(d date)
RETURNS TABLE (customer_id text, currency text, level integer, items integer, dunned_items integer,
               overdue_total numeric, interest numeric, compensation numeric)
LANGUAGE sql AS $$
SELECT g.customer_id, g.currency, g.letter_level, g.items, g.dunned_items, g.overdue_total,
       g.interest, g.compensation
  FROM (SELECT j.customer_id, j.currency, max(j.dun_level) AS letter_level,
               sum(j.claimable) AS overdue_total,
               (count(*) FILTER (WHERE j.dun_level IS NOT NULL OR j.statement = 'account'
                                    OR j.amount < 0 OR j.days_overdue > 0))::integer AS items,
               (count(*) FILTER (WHERE j.dun_level IS NOT NULL))::integer AS dunned_items,
               sum(ch.interest) AS interest, sum(ch.compensation) AS compensation,
               bool_or(j.customer_interval) AS customer_interval, max(j.min_balance) AS min_balance
          FROM dunning._judged(d, NULL, false, NULL) j
         CROSS JOIN LATERAL pg_temp.item_charges_sql(
                j.customer_id, j.entry_id, j.kind, j.days_overdue, j.open_amount, j.due_date,
                j.currency, j.as_of, j.policy_id, j.dun_level, j.policy_currency, j.interest_regime,
                j.interest_rate, j.day_count, j.post_charges, j.compensation, j.is_consumer) ch
         GROUP BY 1, 2) g
  JOIN dunning.customer c ON c.customer_id = g.customer_id
  JOIN dunning.level l ON l.policy_id = c.policy_id AND l.level = g.letter_level
 WHERE g.letter_level IS NOT NULL
   AND NOT g.customer_interval
   AND g.overdue_total > 0
   AND g.overdue_total >= greatest(g.min_balance, dunning._level_min(c.policy_id, g.letter_level, g.currency))
$$;
CREATE TEMP TABLE serial AS
SELECT d, p.customer_id, p.currency, p.level, p.items, p.dunned_items, p.overdue_total,
       p.interest, p.compensation
  FROM days, reminder_proposal(d) p;

SELECT cmp_ok((SELECT count(*) FROM entry), '>', 3000::bigint, 'over 3,000 random entries');
SELECT cmp_ok((SELECT count(*) FROM entry WHERE scale(amount) > 8 OR abs(amount) >= 1e27), '>', 500::bigint,
              'over 500 of them beyond the 128-bit sums');
SELECT cmp_ok((SELECT count(DISTINCT x.hold) FROM days, pg_temp.judged_sql(d, NULL, false, NULL) x), '>=', 7::bigint,
              'every hold occurs');
SELECT ok((SELECT count(*) FILTER (WHERE interest > 0) > 10 AND count(*) FILTER (WHERE compensation > 0) > 10
                  AND count(*) FILTER (WHERE scale(overdue_total) > 8 OR abs(overdue_total) >= 1e27) > 10
             FROM serial),
          'letters charge interest and compensation, and sum amounts beyond the 128-bit integers');

SELECT is_empty(format($$SELECT i.customer_id, i.entry_id, (x.hold, x.esc, x.customer_blocked, x.customer_interval, x.dun_level, x.claimable)::text
                           FROM dunning._item_inputs(%1$L) i,
                                dunning._judge(i.policy_id, i.amount, i.open_amount, i.days_overdue, i.level,
                                               i.last_reminded_on, i.as_of, i.excluded, i.source, i.payment_method,
                                               i.status, i.disputed_amount, i.plan_hold, i.blocked_until,
                                               i.customer_last, %2$s, %3$s, %4$s) x
                         EXCEPT
                         SELECT customer_id, entry_id, (hold, esc, customer_blocked, customer_interval, dun_level, claimable)::text
                           FROM pg_temp.judged_sql(%1$L, %2$s, %3$s, %4$s)$$,
                       d, o.f, o.r, o.m),
                d || ' ' || o.label || ': _judge says of every item what the SQL rules say, to the displayed decimals')
  FROM days, (VALUES ('views', 'NULL', 'false', 'NULL'),
                     ('force_level 2', '2', 'false', 'NULL'),
                     ('reissue', 'NULL', 'true', 'NULL'),
                     ('methods', 'NULL', 'false', $$'{transfer,card}'$$)) o(label, f, r, m)
 WHERE d = '2026-03-31' OR o.label = 'views';

SELECT is_empty(format('SELECT * FROM serial WHERE d = %1$L EXCEPT SELECT %1$L::date, * FROM pg_temp.proposal_sql(%1$L)', d),
                d || ': every letter of the proposal has the sums of plain SQL, to the displayed decimals')
  FROM days;
SELECT is_empty(format('SELECT %1$L::date, * FROM pg_temp.proposal_sql(%1$L) EXCEPT SELECT * FROM serial WHERE d = %1$L', d),
                d || ': and plain SQL finds no other letter')
  FROM days;
SELECT is((SELECT overdue_total::text FROM serial WHERE d = '2026-03-31' AND customer_id = 'J1' AND currency = 'EUR'),
          NULL, 'a customer under a promise is not proposed');

-- on the parallel workers: the partial sums are serialized, combined and
-- finished by the leader, and give the same letters
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r || E'\n'; END LOOP;
    RETURN t;
END $$;
-- the aggregate alone over a table of the judged inputs (a table, not a
-- temporary one, which workers cannot read): the plan must sum on workers
CREATE TABLE public.inputs AS SELECT * FROM dunning._item_inputs('2026-03-31');
ANALYZE public.inputs;
-- each item's part of its letter (_letter_item), then the parts summed (a
-- table of public's, as inputs: the parallel workers read no temporary one)
CREATE TABLE public.parts AS
SELECT customer_id, currency, policy_id, name, manager_id,
       _letter_item(policy_id, amount, open_amount, days_overdue, level, last_reminded_on, as_of,
                    excluded, source, payment_method, status, disputed_amount, plan_hold,
                    blocked_until, customer_last, NULL, false, NULL, kind, customer_id, entry_id,
                    due_date, is_consumer, currency, compensated) AS item
  FROM public.inputs;
ANALYZE public.parts;
CREATE FUNCTION pg_temp.sums() RETURNS SETOF text LANGUAGE sql AS $$
SELECT customer_id || ' ' || currency || ' ' ||
       coalesce(_letter(item, policy_id, currency, name, manager_id)::text, 'no letter')
  FROM public.parts GROUP BY customer_id, currency
$$;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_sums AS SELECT * FROM pg_temp.sums() s;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_of($$SELECT customer_id, currency, _letter(item, policy_id, currency, name, manager_id)
                 FROM public.parts GROUP BY customer_id, currency$$),
               'Partial GroupAggregate', 'the letters can be summed on the parallel workers');
SELECT is_empty($$SELECT * FROM pg_temp.sums() EXCEPT SELECT * FROM serial_sums$$,
                'their partial sums, serialized and combined, are the letters summed in one process');
SELECT is((SELECT count(*) FROM pg_temp.sums()), (SELECT count(*) FROM serial_sums), 'and as many');
SELECT cmp_ok((SELECT count(*) FROM serial_sums WHERE s NOT LIKE '%no letter'), '>', 50::bigint,
              'over 50 of them letters');
SELECT is_empty(format('SELECT * FROM serial WHERE d = %1$L EXCEPT SELECT %1$L::date, p.customer_id, p.currency, p.level, p.items, p.dunned_items, p.overdue_total, p.interest, p.compensation FROM reminder_proposal(%1$L) p', d),
                d || ': on the parallel workers, the same letters to the displayed decimals')
  FROM days;

-- the letter's channel and template, now from the final function: the
-- level's, by 0.5.0's rule
SELECT is_empty($$SELECT p.customer_id FROM reminder_proposal('2026-03-31') p
                    JOIN level l ON l.policy_id = p.policy_id AND l.level = p.level
                   WHERE (p.channel, p.template) IS DISTINCT FROM
                         (l.channel, coalesce(l.template, CASE WHEN l.final THEN 'final'
                                                  ELSE 'level_' || least(l.level, 3)::text END))$$,
                'each letter has its level''s channel and template');
SELECT cmp_ok((SELECT count(DISTINCT template) FROM reminder_proposal('2026-03-31')), '>=', 3::bigint,
              'templates of three kinds or more among the letters');

-- the holds (joins by customer since 1.0.0) against 0.5.0's SQL written
-- out: a promise not yet due, a plan with no missed installment (a
-- correlated subquery per installment), a promise named first
CREATE FUNCTION pg_temp.holds_sql(d date)
RETURNS TABLE (customer_id text, entry_id bigint, kind text)
LANGUAGE sql AS $$
SELECT h.customer_id, h.entry_id, max(h.kind)
  FROM (SELECT pr.customer_id, u.entry_id, 'promise' AS kind
          FROM dunning.promise pr, unnest(pr.entry_ids) u(entry_id)
         WHERE pr.status = 'open' AND pr.made_on <= d AND pr.promised_on >= d
        UNION ALL
        SELECT pp.customer_id, u.entry_id, 'payment_plan'
          FROM dunning.payment_plan pp, unnest(pp.entry_ids) u(entry_id)
         WHERE pp.status = 'active' AND pp.agreed_on <= d
           AND NOT EXISTS (
               SELECT 1 FROM dunning.installment i
                WHERE i.customer_id = pp.customer_id AND i.plan_id = pp.plan_id AND i.due_on < d
                  AND (SELECT sum(i2.amount) FROM dunning.installment i2
                        WHERE i2.customer_id = pp.customer_id AND i2.plan_id = pp.plan_id AND i2.seq <= i.seq)
                      > (SELECT coalesce(sum(a.amount), 0) FROM dunning.allocation a
                          WHERE a.customer_id = pp.customer_id AND a.debit_id = ANY (pp.entry_ids)
                            AND a.allocated_on >= pp.agreed_on AND a.allocated_on <= d))) h
 GROUP BY 1, 2
$$;
-- a plan paid in part: kept while its payments cover the installments due
INSERT INTO entry (customer_id, entry_id, kind, doc_date, due_date, amount, currency)
VALUES ('J9', 900001, 'invoice', '2025-12-01', '2026-01-05', 120, 'EUR'),
       ('J9', 900002, 'payment', '2026-02-20', NULL, -45, 'EUR');
INSERT INTO payment_plan (customer_id, entry_ids, currency, agreed_on)
VALUES ('J9', '{900001}', 'EUR', '2026-01-10');
INSERT INTO installment (customer_id, plan_id, seq, due_on, amount)
SELECT customer_id, plan_id, s, date '2026-02-01' + 30 * s, 40
  FROM payment_plan, generate_series(1, 3) s WHERE customer_id = 'J9';
CREATE TEMP TABLE j9 AS SELECT letter('J9', '{900001,900002}');
-- and an invoice closed now, by a payment dated after 2026-02-15: open that day
INSERT INTO entry (customer_id, entry_id, kind, doc_date, due_date, amount, currency)
VALUES ('J9', 900003, 'invoice', '2025-12-01', '2026-01-05', 30, 'EUR'),
       ('J9', 900004, 'payment', '2026-03-01', NULL, -30, 'EUR');
INSERT INTO j9 SELECT letter('J9', '{900003,900004}');
SELECT is((SELECT string_agg(d || ' ' || i.entry_id || ' ' || i.open_amount, ', ' ORDER BY d, i.entry_id)
             FROM days, dunning._item_inputs(d) i WHERE i.entry_id IN (900001, 900002, 900003, 900004)),
          '2026-02-15 900001 120.00, 2026-02-15 900003 30.00, 2026-03-31 900001 75.00, 2026-05-10 900001 75.00',
          'the open entries of a day: a payment dated after it taken back, an invoice it closed open again');
CREATE TEMP TABLE holds_both AS
SELECT d, 'sql' AS way, h.* FROM days, pg_temp.holds_sql(d) h
UNION ALL
SELECT d, 'now', p.customer_id, p.entry_id, 'promise' FROM days, dunning._promise_holds(d) p
UNION ALL
SELECT d, 'now', l.customer_id, l.entry_id, 'payment_plan' FROM days, dunning._plan_holds(d) l
 WHERE NOT EXISTS (SELECT 1 FROM dunning._promise_holds(days.d) p
                    WHERE p.customer_id = l.customer_id AND p.entry_id = l.entry_id);
SELECT is_empty($$(SELECT d, customer_id, entry_id, kind FROM holds_both WHERE way = 'sql'
                   EXCEPT SELECT d, customer_id, entry_id, kind FROM holds_both WHERE way = 'now')
                  UNION ALL
                  (SELECT d, customer_id, entry_id, kind FROM holds_both WHERE way = 'now'
                   EXCEPT SELECT d, customer_id, entry_id, kind FROM holds_both WHERE way = 'sql')
                  UNION ALL
                  (SELECT d, i.customer_id, i.entry_id, i.plan_hold FROM days, dunning._item_inputs(d) i
                    WHERE i.plan_hold IS DISTINCT FROM
                          (SELECT h.kind FROM holds_both h WHERE h.way = 'sql' AND h.d = days.d
                              AND h.customer_id = i.customer_id AND h.entry_id = i.entry_id))$$,
                'the items held by a promise or a plan, on three days, as 0.5.0 held them');
SELECT is((SELECT string_agg(DISTINCT d || ' ' || customer_id || ' ' || kind, ', ')
             FROM holds_both WHERE way = 'now'),
          '2026-02-15 J5 payment_plan, 2026-02-15 J6 payment_plan, 2026-02-15 J9 payment_plan, 2026-03-31 J1 promise, 2026-03-31 J2 promise, 2026-03-31 J3 promise, 2026-03-31 J9 payment_plan',
          'held: the promises on their day; the plans before their first installment; the plan paid in part until its second; none missed');

-- item_status's reason (the window's subquery) and explanation (_item_note
-- in C) against the 0.5.0 SQL of both, written out over the same items
CREATE FUNCTION pg_temp.status_sql(d date)
RETURNS TABLE (customer_id text, entry_id bigint, reason text, explanation text)
LANGUAGE sql AS $$
SELECT r.customer_id, r.entry_id, r.reason,
       CASE WHEN r.reason = 'excluded' AND r.hold IS NOT NULL THEN 'the item is marked excluded'
            WHEN r.reason = 'source_excluded'
            THEN format('source %s is excluded by policy %s', r.source, r.policy_id)
            WHEN r.reason = 'method_excluded'
            THEN format('payment method %s is excluded by policy %s', r.payment_method, r.policy_id)
            WHEN r.reason = 'disputed' THEN 'the item is disputed'
            WHEN r.reason = 'blocked'
            THEN format('the item is %s', CASE WHEN r.status = 'litigation' THEN 'in litigation' ELSE 'blocked' END)
            WHEN r.reason = 'promise' THEN 'an open promise to pay covers the item'
            WHEN r.reason = 'payment_plan' THEN 'a payment plan with no missed installment covers the item'
            WHEN r.reason = 'customer_blocked'
            THEN (SELECT format('the customer is blocked until %s%s', c.blocked_until, ': ' || c.block_reason)
                    FROM dunning.customer c WHERE c.customer_id = r.customer_id)
            WHEN r.reason = 'customer_interval'
            THEN format('level %s is due, but the customer was reminded on %s; policy %s waits %s days between letters',
                        r.dun_level, r.customer_last, r.policy_id,
                        (SELECT greatest(p.min_interval_days, 1) FROM dunning.policy p WHERE p.policy_id = r.policy_id))
            WHEN r.reason = 'below_min_balance'
            THEN format('level %s is due, but the overdue total %s %s is under the minimum %s',
                        r.dun_level, r.overdue_total, r.currency,
                        greatest(r.min_balance, dunning._level_min(r.policy_id, r.letter_level, r.currency)))
            ELSE dunning._escalate_note(r.policy_id, r.days_overdue, r.level, r.last_reminded_on, r.as_of)
       END
  FROM (SELECT t.*,
               CASE WHEN t.amount <= 0 THEN NULL
                    WHEN t.hold IS NOT NULL THEN t.hold
                    WHEN t.customer_blocked THEN 'customer_blocked'
                    WHEN t.dun_level IS NULL
                    THEN coalesce(dunning._verdict_reason(t.esc),
                                  CASE WHEN t.days_overdue <= 0 THEN 'not_due' ELSE 'last_level' END)
                    WHEN t.customer_interval THEN 'customer_interval'
                    WHEN NOT (t.letter_level IS NOT NULL AND NOT t.customer_interval AND t.overdue_total > 0
                              AND t.overdue_total >= greatest(t.min_balance,
                                                              dunning._level_min(t.policy_id, t.letter_level, t.currency)))
                    THEN 'below_min_balance'
                    ELSE 'proposed' END AS reason
          FROM (SELECT j.*, max(j.dun_level) OVER c AS letter_level, sum(j.claimable) OVER c AS overdue_total
                  FROM dunning._judged(d, NULL, false, NULL) j
                WINDOW c AS (PARTITION BY j.customer_id, j.currency)) t) r
 WHERE r.amount > 0
$$;
UPDATE customer SET block_reason = 'audit' WHERE substr(customer_id, 2)::int % 22 = 0;
-- letters issued (the counters are the reminders'): items at their
-- policy's last level, and customers within their interval on 2026-03-31
UPDATE level SET template = NULL WHERE template = 'notice';
CREATE TEMP TABLE issued AS SELECT * FROM issue_reminders('2026-02-15', customers => ARRAY['J8', 'J16', 'J24', 'J32'], level => 3);
INSERT INTO issued SELECT * FROM issue_reminders('2026-03-29');
CREATE TEMP TABLE status_both AS
SELECT d, 'sql' AS way, s.* FROM days, pg_temp.status_sql(d) s
UNION ALL
SELECT d, 'c', s.customer_id, s.entry_id, s.reason, s.explanation FROM days, item_status(d) s;
SELECT cmp_ok((SELECT count(DISTINCT reason) FROM status_both WHERE way = 'sql'), '>=', 16::bigint,
              'the random ledger has items of 16 reasons, every one');
SELECT is_empty($$SELECT d, customer_id, entry_id, reason, explanation FROM status_both WHERE way = 'sql'
                  EXCEPT SELECT d, customer_id, entry_id, reason, explanation FROM status_both WHERE way = 'c'$$,
                'item_status: every item has 0.5.0''s reason and explanation');
SELECT is((SELECT count(*) FROM status_both WHERE way = 'c'), (SELECT count(*) FROM status_both WHERE way = 'sql'),
          'and as many items');
SET LOCAL DateStyle = 'German, DMY';
SELECT is_empty($$SELECT s.customer_id, s.entry_id, s.reason, s.explanation FROM pg_temp.status_sql('2026-03-31') s
                  EXCEPT SELECT s.customer_id, s.entry_id, s.reason, s.explanation FROM item_status('2026-03-31') s$$,
                'the dates of the explanations as DateStyle writes them, as format() does');
RESET DateStyle;

-- the charges issuing computes item by item (_letter_items, with
-- src/interest.c's _item_interest, which reads nothing for an item nothing
-- was paid on, and _item_compensated) against
-- 0.5.0's SQL, on items paid in part or not, charged from the due date or
-- (a policy that posts its charges) from the last letter that charged it
-- (letters at level 2 charge interest: their items' next letters charge it
-- from their date)
CREATE TEMP TABLE issued_2 AS
SELECT * FROM issue_reminders('2026-03-30', level => 2,
                              customers => ARRAY(SELECT customer_id FROM customer
                                                  WHERE policy_id = 'fr'
                                                    AND substr(customer_id, 2)::int BETWEEN 40 AND 200));
CREATE TEMP TABLE charges_both AS
SELECT d, 'c' AS way, li.customer_id, li.entry_id, li.amount <> li.open_amount AS paid,
       li.post_charges AND EXISTS (SELECT 1 FROM reminder_line rl JOIN reminder r USING (customer_id, reminder_id)
                                    WHERE rl.customer_id = li.customer_id AND rl.entry_id = li.entry_id
                                      AND rl.interest > 0 AND r.status <> 'cancelled'
                                      AND r.as_of > li.due_date) AS post_charges,
       li.interest, li.compensation
  FROM days, dunning._letter_items(d, NULL, false, NULL) li
UNION ALL
SELECT d, 'sql', i.customer_id, i.entry_id, i.amount <> i.open_amount, NULL,
       ch.interest, ch.compensation
  FROM days, dunning._items(d, NULL, false, NULL) i,
       LATERAL pg_temp.item_charges_sql(i.customer_id, i.entry_id, i.kind, i.days_overdue, i.open_amount,
                                        i.due_date, i.currency, i.as_of, i.policy_id, i.dun_level,
                                        i.policy_currency, i.interest_regime, i.interest_rate, i.day_count,
                                        i.post_charges, i.compensation, i.is_consumer) ch
 WHERE i.on_letter
   AND (i.dun_level IS NOT NULL OR i.statement = 'account' OR i.amount < 0 OR i.days_overdue > 0);
SELECT is((SELECT string_agg(format('%s %s: %s', CASE WHEN paid THEN 'paid in part' ELSE 'unpaid' END,
                                    CASE WHEN post_charges THEN 'from a letter' ELSE 'from the due date' END,
                                    CASE WHEN n >= 5 THEN '5 or more' ELSE n::text END), ', ' ORDER BY paid, post_charges)
             FROM (SELECT paid, post_charges, count(*) AS n FROM charges_both
                    WHERE way = 'c' AND interest > 0 GROUP BY 1, 2) x),
          'unpaid from the due date: 5 or more, unpaid from a letter: 5 or more, paid in part from the due date: 5 or more, paid in part from a letter: 5 or more',
          'items charged interest: paid in part or not, from the due date or (posting the charges) from the last letter that charged it');
CREATE TEMP TABLE items_days AS SELECT days.d, i.* FROM days, dunning._items(days.d, NULL, false, NULL) i;
ANALYZE charges_both, items_days;
SELECT ok((SELECT count(*) FILTER (WHERE c.compensation > 0) >= 5
                  AND count(*) FILTER (WHERE c.compensation = 0 AND i.dun_level IS NOT NULL AND i.kind = 'invoice'
                                         AND i.days_overdue > 0 AND i.compensation > 0 AND NOT i.is_consumer
                                         AND i.currency = i.policy_currency) >= 5
             FROM items_days i
             JOIN charges_both c ON c.way = 'c' AND c.d = i.d
                                AND c.customer_id = i.customer_id AND c.entry_id = i.entry_id),
          'items charged the compensation, and items it was charged on by a letter before');
SELECT is_empty($$(SELECT d, customer_id, entry_id, interest, compensation FROM charges_both WHERE way = 'c'
                   EXCEPT ALL
                   SELECT d, customer_id, entry_id, interest, compensation FROM charges_both WHERE way = 'sql')
                  UNION ALL
                  (SELECT d, customer_id, entry_id, interest, compensation FROM charges_both WHERE way = 'sql'
                   EXCEPT ALL
                   SELECT d, customer_id, entry_id, interest, compensation FROM charges_both WHERE way = 'c')$$,
                'every item is charged the interest and compensation of 0.5.0''s SQL, to the displayed decimals');

-- _item_interest works in 128-bit integers where every value fits, at the
-- scale and with the rounding of numeric division (src/interest.c); the
-- public late_interest works in numerics.  Amounts of 0 to 8 decimals
-- (the integers' limit) and of 9 to 12 (the numerics'), from a cent's
-- fraction to 10^29, rates of 0 to 8 decimals, periods of up to six
-- years, every regime ('be': rates of 16 decimals, the numerics') and day
-- count: the same interest to the digit, written the same.
SELECT setseed(0.19);
CREATE TEMP TABLE interest_both AS
SELECT g, r.amount, r.due, r.until, r.regime, r.rate, r.day_count,
       dunning._item_interest(NULL, NULL, r.amount, r.amount, r.due, r.until, r.regime, r.rate,
                              r.day_count, false) AS by_integers,
       CASE WHEN r.regime = 'fixed' THEN late_interest(r.amount, r.due, r.until, r.rate, r.day_count)
            ELSE late_interest(r.amount, r.due, r.until, r.regime, r.day_count) END AS by_numerics
  FROM generate_series(1, 20000) g,
       LATERAL (SELECT CASE g % 5 WHEN 0 THEN 0
                                  WHEN 1 THEN 0.00000001 * (g % 997)
                                  WHEN 2 THEN round((random() * 10 ^ (15 + random() * 14))::numeric, g % 9)
                                  WHEN 3 THEN round((random() * 10 ^ (random() * 6))::numeric, 9 + g % 4)
                                  ELSE round((random() * 10 ^ (random() * 9))::numeric, g % 9) END AS amount,
                       d AS due, d + (random() * 2200)::int - 10 AS until,
                       (ARRAY['fr', 'eu', 'be', 'de', 'de_b2c', 'fixed'])[1 + g % 6] AS regime,
                       round((random() * 20)::numeric, (g / 6) % 9) AS rate,
                       (ARRAY['act/365', 'act/360', '30/360'])[1 + (g / 7) % 3] AS day_count
                  FROM (SELECT date '2019-01-01' + (random() * 1500)::int AS d) x) r;
SELECT is((SELECT count(*) FILTER (WHERE by_integers::text IS DISTINCT FROM by_numerics::text)
             FROM interest_both), 0::bigint,
          'the interest of an item in integers is the numerics'' to the digit, from a cent''s fraction to 10^29');

SELECT * FROM finish();
ROLLBACK;
