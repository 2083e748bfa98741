-- pgTAP: escalation, interest, templates and reminders: catalog facts, bad
-- inputs (SQLSTATE, nothing changed) and the counter invariant after a
-- random mix of issue, cancel and delete.
\i test/pgtap/setup.psql
SELECT plan(205);

SELECT has_function('dunning', 'issue_reminders',
    ARRAY['date', 'text[]', 'text[]', 'numeric', 'integer', 'boolean', 'text', 'boolean']);
SELECT has_function('dunning', 'cancel_reminder', ARRAY['text', 'bigint']);
SELECT has_function('dunning', 'mark_sent', ARRAY['text', 'bigint', 'timestamp with time zone']);
SELECT has_function('dunning', 'late_interest', ARRAY['numeric', 'date', 'date', 'text', 'text']);
SELECT has_function('dunning', 'late_interest', ARRAY['numeric', 'date', 'date', 'numeric', 'text']);
SELECT has_function('dunning', 'render', ARRAY['text', 'jsonb']);
SELECT has_view('dunning', v, 'view ' || v)
  FROM unnest(ARRAY['item_status', 'reminder_proposal', 'reminder_proposal_item',
                    'overdue_by_level', 'outbox']) v;
SELECT has_function('dunning', f, ARRAY['date'], f || '(as_of) twin')
  FROM unnest(ARRAY['item_status', 'reminder_proposal', 'reminder_proposal_item', 'overdue_by_level']) f;
-- the twins refuse a NULL or infinite day
SELECT throws_ok(format('SELECT * FROM dunning.%s(NULL)', f), '22004', NULL, f || '(NULL)')
  FROM unnest(ARRAY['item_status', 'reminder_proposal', 'reminder_proposal_item', 'overdue_by_level',
                    'followup_schedule']) f;
SELECT throws_ok(format('SELECT * FROM dunning.%s(''infinity'')', f), '22008', NULL, f || '(infinity)')
  FROM unnest(ARRAY['item_status', 'reminder_proposal', 'reminder_proposal_item', 'overdue_by_level',
                    'followup_schedule']) f;
SELECT volatility_is('dunning', 'issue_reminders',
    ARRAY['date', 'text[]', 'text[]', 'numeric', 'integer', 'boolean', 'text', 'boolean'], 'volatile');
SELECT volatility_is('dunning', 'render', ARRAY['text', 'jsonb'], 'immutable');
SELECT volatility_is('dunning', 'late_interest', ARRAY['numeric', 'date', 'date', 'text', 'text'], 'stable');
SELECT volatility_is('dunning', 'late_interest', ARRAY['numeric', 'date', 'date', 'numeric', 'text'], 'immutable');
SELECT has_trigger('dunning', t, tg, t || ' has ' || tg)
  FROM (VALUES ('reminder', 'reminder_counters'), ('reminder_line', 'reminder_line_counters'),
               ('customer', 'customer_counters'), ('reminder', 'reminder_truncated'),
               ('reminder_line', 'reminder_line_truncated')) x(t, tg);
SELECT is((SELECT count(*)::int FROM dunning.template WHERE shipped), 27, '27 shipped templates');
SELECT is((SELECT count(DISTINCT key)::int FROM dunning.template WHERE shipped), 5,
          'templates for levels 1 to 3, the formal notice and the payment plan');

-------------------------------------------------------------------------------
-- late_interest: the worked example of README "Charges", and bad input
-------------------------------------------------------------------------------
SELECT is(dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', r), v, 'worked example ' || r)
  FROM (VALUES ('fr', 309.45), ('be', 268.77), ('de', 263.10)) x(r, v);
SELECT is(dunning.late_interest(12000.00, '2025-05-31', '2025-08-14', 10.0),
          round(12000 * 0.10 * 75 / 365, 2), 'a fixed rate: 75 days at 10 %');
SELECT is(dunning.late_interest(1000, '2025-05-31', '2025-05-31', 'fr'), 0.00, 'no day, no interest');
SELECT is(dunning.late_interest(1000, '2025-05-31', '2025-03-01', 'fr'), 0.00, 'until before due: none');
SELECT is(dunning.late_interest(36000, '2024-12-31', '2025-12-31', 12.0, 'act/360'), 4380.00, 'act/360: 365 days on 360');
SELECT is(dunning.late_interest(36000, '2024-12-31', '2025-12-31', 12.0, '30/360'), 4320.00, '30/360: a year is 360 days');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', 'xx')$$, '22023', NULL, 'unknown regime');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', 'fixed')$$, '22023', NULL, 'fixed regime needs a rate');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', 'fr', 'act/366')$$, '22023', NULL, 'unknown day count');
SELECT throws_ok($$SELECT dunning.late_interest(-1000, '2025-01-01', '2025-02-01', 'fr')$$, '22023', NULL, 'negative amount');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', -1.0)$$, '22023', NULL, 'negative rate');
SELECT throws_ok($$SELECT dunning.late_interest('NaN', '2025-01-01', '2025-02-01', 'fr')$$, '22023', NULL, 'NaN amount');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2010-01-01', '2010-02-01', 'fr')$$, '22023',
                 'no ecb_mro reference rate in force on 2010-01-01', 'a semester with no known rate names series and date');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2015-01-01', '2015-02-01', 'de')$$, '22023',
                 'no de_base reference rate in force on 2015-01-01', 'the German base rate too');
SELECT throws_ok($$SELECT dunning.late_interest(NULL, '2025-01-01', '2025-02-01', 'fr')$$, '22004', NULL, 'NULL amount');
SELECT throws_ok($$SELECT dunning.late_interest(1000, NULL, '2025-02-01', 'fr')$$, '22004', NULL, 'NULL due');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', NULL::text)$$, '22004', NULL, 'NULL regime');
SELECT throws_ok($$SELECT dunning.late_interest(1000, '2025-01-01', 'infinity', 'fr')$$, '22008', NULL, 'infinite date');

-------------------------------------------------------------------------------
-- render
-------------------------------------------------------------------------------
SELECT is(dunning.render('{{a}} {{b.c}} {{#l}}<{{.}}>{{/l}}{{^e}}empty{{/e}}',
                         '{"a": "x", "b": {"c": 2}, "l": [1, 2], "e": []}'),
          'x 2 <1><2>empty', 'values, paths, sections, inverted sections');
SELECT is(dunning.render('{{#o}}{{n}}/{{a}}{{/o}}', '{"a": "outer", "o": {"n": "inner"}}'),
          'inner/outer', 'names are looked up inwards out');
SELECT is(dunning.render('{{m|money}} {{d|date}}', ('{"m": 1234567.891, "d": "2025-03-01", "language": ' || to_json(l) || '}')::jsonb), v,
          'money and date in ' || l)
  FROM (VALUES ('en', '1,234,567.89 1 March 2025'), ('fr', '1 234 567,89 1er mars 2025'),
               ('de', '1.234.567,89 1. März 2025'), ('nl', '1.234.567,89 1 maart 2025'),
               ('sv', '1,234,567.89 2025-03-01')) x(l, v);
SELECT is(dunning.render('{{#z}}no{{/z}}{{#n}}no{{/n}}{{#f}}no{{/f}}{{#s}}no{{/s}}ok', '{"z": 0, "n": null, "f": false, "s": ""}'),
          'ok', '0, null, false and "" do not render a section');
SELECT is(dunning.render('{{! a comment }}{{ a }}', '{"a": 1}'), '1', 'comments and spaces in tags');
SELECT throws_ok($$SELECT dunning.render('Dear {{customer.nmae}}', '{"customer": {"name": "A"}}')$$, '22023',
                 'unknown template placeholder "customer.nmae"', 'an unknown placeholder is an error');
SELECT throws_ok($$SELECT dunning.render('{{a', '{"a": 1}')$$, '22P02', NULL, 'unterminated tag');
SELECT throws_ok($$SELECT dunning.render('{{#a}}x', '{"a": 1}')$$, '22P02', NULL, 'unclosed section');
SELECT throws_ok($$SELECT dunning.render('{{#a}}x{{/b}}', '{"a": 1, "b": 1}')$$, '22P02', NULL, 'mismatched section');
SELECT throws_ok($$SELECT dunning.render('x{{/a}}', '{"a": 1}')$$, '22P02', NULL, 'stray close');
SELECT throws_ok($$SELECT dunning.render('{{a b}}', '{"a": 1}')$$, '22P02', NULL, 'invalid name');
SELECT throws_ok($$SELECT dunning.render('{{a|upper}}', '{"a": 1}')$$, '22023', NULL, 'unknown filter');
SELECT throws_ok($$SELECT dunning.render('{{a|money}}', '{"a": "x"}')$$, '22023', NULL, 'money of a string');
SELECT throws_ok($$SELECT dunning.render('{{a|date}}', '{"a": "31/12/2025"}')$$, '22007', NULL, 'date not ISO');
SELECT throws_ok($$SELECT dunning.render('x', '[1]')$$, '22023', NULL, 'context must be an object');
SELECT throws_ok($$SELECT dunning.render(NULL, '{}')$$, '22004', NULL, 'NULL template');
SELECT throws_ok(format('SELECT dunning.render(%L, %L)', repeat('{{#a}}', 40) || repeat('{{/a}}', 40), '{"a": {"a": 1}}'),
                 '54000', NULL, 'sections nested too deeply');

-------------------------------------------------------------------------------
-- a small ledger for the reminder functions
-------------------------------------------------------------------------------
INSERT INTO dunning.policy (policy_id, name, currency, min_balance) VALUES ('p', 'P', 'EUR', 10);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel) VALUES
    ('p', 1, 1, 0, 0, 'email'), ('p', 2, 10, 5, 5, 'letter'), ('p', 3, 20, 5, 10, 'letter');
INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('m1', 'M One');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id)
SELECT 'K' || i, 'Customer ' || i, 'p', 'm1' FROM generate_series(1, 40) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'K' || i, 'invoice', 'I' || i || '-' || k, '2025-01-01', '2025-01-31', 100 * k + i, 'EUR'
  FROM generate_series(1, 40) i, generate_series(1, 3) k;

CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM dunning.reminder) AS reminders, (SELECT count(*) FROM dunning.run) AS runs,
       (SELECT count(*) FROM dunning.entry) AS entries, (SELECT count(*) FROM dunning.activity) AS activities;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM dunning.reminder) = b.reminders AND (SELECT count(*) FROM dunning.run) = b.runs
       AND (SELECT count(*) FROM dunning.entry) = b.entries AND (SELECT count(*) FROM dunning.activity) = b.activities
      FROM before b $$;

-- bad input of issue_reminders: an error with its SQLSTATE, nothing issued
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT dunning.issue_reminders(NULL)$$, '22004', 'NULL as_of'),
    ($$SELECT dunning.issue_reminders('2025-03-01', dry_run => NULL)$$, '22004', 'NULL dry_run'),
    ($$SELECT dunning.issue_reminders('2025-03-01', reissue => NULL)$$, '22004', 'NULL reissue'),
    ($$SELECT dunning.issue_reminders(current_date + 1)$$, '22023', 'a day to come'),
    ($$SELECT dunning.issue_reminders('2025-03-01', customers => '{}')$$, '22023', 'empty customers'),
    ($$SELECT dunning.issue_reminders('2025-03-01', customers => '{K1,NULL}')$$, '22004', 'NULL customer'),
    ($$SELECT dunning.issue_reminders('2025-03-01', customers => '{K1,NOPE}')$$, '22023', 'unknown customer'),
    ($$SELECT dunning.issue_reminders('2025-03-01', payment_methods => '{}')$$, '22023', 'empty payment methods'),
    ($$SELECT dunning.issue_reminders('2025-03-01', payment_methods => '{NULL}')$$, '22004', 'NULL payment method'),
    ($$SELECT dunning.issue_reminders('2025-03-01', min_amount => -1)$$, '22023', 'negative min_amount'),
    ($$SELECT dunning.issue_reminders('2025-03-01', min_amount => 'NaN')$$, '22023', 'NaN min_amount'),
    ($$SELECT dunning.issue_reminders('2025-03-01', level => 0)$$, '22023', 'level 0'),
    ($$SELECT dunning.issue_reminders('2025-03-01', level => 4)$$, '22023', 'a level the policy does not have'),
    ($$SELECT dunning.issue_reminders('2025-03-01', manager_id => 'nobody')$$, '22023', 'unknown manager')
  ) x(sql, state, what);
SELECT throws_ok($$SELECT dunning.issue_reminders('2025-03-01', level => 4)$$, '22023', 'policy p has no level 4',
                 'the forced level error names the policy and level');
SELECT ok(pg_temp.unchanged(), 'bad input issued nothing');

-- a letter in a currency with no amounts: the error names policy, level and currency
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('K1', 'invoice', 'USD-1', '2025-01-01', '2025-01-31', 500, 'USD');
SELECT throws_ok($$SELECT * FROM dunning.reminder_proposal('2025-03-01')$$, '22023',
                 'policy p has no amounts for level 1 in USD', 'a USD letter needs level amounts');
SELECT throws_ok($$SELECT dunning.issue_reminders('2025-03-01')$$, '22023',
                 'policy p has no amounts for level 1 in USD', 'and is not issued');
INSERT INTO dunning.level_amount (policy_id, level, currency, min_amount, fee) VALUES ('p', 1, 'USD', 20, 12);
SELECT is((SELECT fees FROM dunning.reminder_proposal('2025-03-01') WHERE currency = 'USD'), 12::numeric,
          'with level_amount, the USD letter takes its USD fee');
DELETE FROM dunning.level_amount;
DELETE FROM dunning.entry WHERE ref = 'USD-1';
SELECT ok(pg_temp.unchanged(), 'nothing issued meanwhile');

-- the tables refuse negative fees, amounts and intervals
SELECT throws_ok(sql, '23514', NULL, what)
  FROM (VALUES
    ($$UPDATE dunning.level SET fee = -1 WHERE level = 2$$, 'negative fee'),
    ($$UPDATE dunning.level SET min_amount = -1 WHERE level = 2$$, 'negative level minimum'),
    ($$UPDATE dunning.level SET min_interval_days = -1 WHERE level = 2$$, 'negative level interval'),
    ($$UPDATE dunning.policy SET min_interval_days = -1$$, 'negative policy interval'),
    ($$UPDATE dunning.policy SET grace_days = -1$$, 'negative grace days'),
    ($$UPDATE dunning.policy SET min_balance = -5$$, 'negative minimum balance'),
    ($$UPDATE dunning.policy SET compensation = -40$$, 'negative compensation'),
    ($$INSERT INTO dunning.level_amount VALUES ('p', 1, 'USD', 0, -3)$$, 'negative level_amount fee'),
    ($$UPDATE dunning.level SET channel = 'fax' WHERE level = 1$$, 'unknown channel'),
    ($$UPDATE dunning.policy SET interest_regime = 'xx'$$, 'unknown regime'),
    ($$UPDATE dunning.policy SET statement = 'all'$$, 'unknown statement')
  ) x(sql, what);
SELECT throws_ok($$INSERT INTO dunning.level_amount VALUES ('nope', 1, 'USD', 0, 0)$$, '23503', NULL, 'level_amount of an unknown level');

-- an unknown placeholder in a template: an error, nothing issued
UPDATE dunning.template SET body = 'Dear {{customer.nmae}}' WHERE key = 'level_1' AND language = 'en' AND channel = 'email';
SELECT throws_ok($$SELECT dunning.issue_reminders('2025-03-01')$$, '22023',
                 'unknown template placeholder "customer.nmae"', 'a template naming an unknown value');
SELECT ok(pg_temp.unchanged(), 'nothing issued');
DELETE FROM dunning.template WHERE key = 'level_1' AND language = 'en' AND channel = 'email';
UPDATE dunning.template SET subject = 'x' WHERE false;
-- with no email template, the letter one is used; with none at all, an error
SELECT is((SELECT count(*)::int FROM dunning.issue_reminders('2025-02-05', dry_run => true)
            WHERE body LIKE 'Dear Customer%'), 40, 'the letter template stands in for a missing email one');
DELETE FROM dunning.template WHERE key = 'level_1' AND language = 'en';
SELECT throws_ok($$SELECT dunning.issue_reminders('2025-02-05')$$, '22023',
                 'no template "level_1" for language en and channel email', 'no template at all');
SELECT ok(pg_temp.unchanged(), 'nothing issued');

-- a fresh extension for what follows
DROP EXTENSION dunning CASCADE;
CREATE EXTENSION dunning;
INSERT INTO dunning.policy (policy_id, name, currency, min_balance) VALUES ('p', 'P', 'EUR', 10);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel) VALUES
    ('p', 1, 1, 0, 0, 'email'), ('p', 2, 10, 5, 5, 'letter'), ('p', 3, 20, 5, 10, 'letter');
INSERT INTO dunning.customer (customer_id, name, policy_id)
SELECT 'K' || i, 'Customer ' || i, 'p' FROM generate_series(1, 40) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'K' || i, 'invoice', 'I' || i || '-' || k, '2025-01-01', '2025-01-31', 100 * k + i, 'EUR'
  FROM generate_series(1, 40) i, generate_series(1, 3) k;

-- issuing: emails are queued; the same day twice issues nothing
SELECT is((SELECT count(*)::int FROM dunning.issue_reminders('2025-02-05')), 40, '40 first reminders');
SELECT is((SELECT count(*)::int FROM dunning.issue_reminders('2025-02-05')), 0, 'again the same day: none');
SELECT is((SELECT count(*)::int FROM dunning.outbox WHERE status = 'queued' AND channel = 'email'), 40, '40 emails queued');
SELECT throws_ok($$SELECT dunning.issue_reminders('2025-02-04')$$, '55000',
                 'customer K1 was reminded on 2025-02-05, after 2025-02-04', 'an as-of before the last run');

-- cancel_reminder and mark_sent
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT dunning.cancel_reminder(NULL, 1)$$, '22004', 'cancel: NULL customer'),
    ($$SELECT dunning.cancel_reminder('K1', NULL)$$, '22004', 'cancel: NULL id'),
    ($$SELECT dunning.cancel_reminder('K1', -1)$$, '22023', 'cancel: unknown reminder'),
    ($$SELECT dunning.cancel_reminder('NOPE', (SELECT min(reminder_id) FROM dunning.reminder))$$, '22023', 'cancel: another customer''s id'),
    ($$SELECT dunning.mark_sent('K1', -1)$$, '22023', 'mark_sent: unknown reminder'),
    ($$SELECT dunning.mark_sent('K1', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K1'), NULL)$$, '22004', 'mark_sent: NULL time')
  ) x(sql, state, what);
SELECT lives_ok($$SELECT dunning.mark_sent('K1', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K1'))$$, 'mark_sent');
SELECT throws_ok($$SELECT dunning.mark_sent('K1', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K1'))$$,
                 '55000', NULL, 'mark_sent twice');
SELECT lives_ok($$SELECT dunning.cancel_reminder('K2', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K2'))$$, 'cancel');
SELECT throws_ok($$SELECT dunning.cancel_reminder('K2', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K2'))$$,
                 '55000', NULL, 'cancel twice');
SELECT throws_ok($$SELECT dunning.mark_sent('K2', (SELECT reminder_id FROM dunning.reminder WHERE customer_id = 'K2'))$$,
                 '55000', NULL, 'a cancelled reminder is not sent');

-- set_status and block: SQLSTATEs, and nothing changed
CREATE TEMP TABLE snap_entry AS SELECT * FROM dunning.entry;
CREATE TEMP TABLE snap_customer AS SELECT * FROM dunning.customer;
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT dunning.set_status(NULL, '{1}', 'blocked')$$, '22004', 'set_status: NULL customer'),
    ($$SELECT dunning.set_status('K1', NULL, 'blocked')$$, '22004', 'set_status: NULL entries'),
    ($$SELECT dunning.set_status('K1', '{1}', NULL)$$, '22004', 'set_status: NULL status'),
    ($$SELECT dunning.set_status('K1', '{1,NULL}', 'blocked')$$, '22004', 'set_status: a NULL entry'),
    ($$SELECT dunning.set_status('K1', '{}', 'blocked')$$, '22023', 'set_status: no entry'),
    ($$SELECT dunning.set_status('NOPE', '{1}', 'blocked')$$, '22023', 'set_status: unknown customer'),
    ($$SELECT dunning.set_status('K1', '{999999}', 'blocked')$$, '22023', 'set_status: unknown entry'),
    ($$SELECT dunning.set_status('K2', ARRAY[(SELECT min(entry_id) FROM dunning.entry WHERE customer_id = 'K1')], 'blocked')$$,
     '22023', 'set_status: another customer''s entry'),
    ($$SELECT dunning.set_status('K1', '{1}', 'promise')$$, '22023', 'set_status: promise is not set by hand'),
    ($$SELECT dunning.set_status('K1', '{1}', 'lost')$$, '22023', 'set_status: unknown status'),
    ($$SELECT dunning.set_status('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), 'disputed', NULL, 10)$$,
     '22023', 'set_status: a disputed part of several items'),
    ($$SELECT dunning.set_status('K1', ARRAY[(SELECT min(entry_id) FROM dunning.entry WHERE customer_id = 'K1')], 'disputed', NULL, -5)$$,
     '22023', 'set_status: a negative disputed part'),
    ($$SELECT dunning.set_status('K1', ARRAY[(SELECT min(entry_id) FROM dunning.entry WHERE customer_id = 'K1')], 'disputed', NULL, 1e9)$$,
     '22023', 'set_status: a disputed part above the amount'),
    ($$SELECT dunning.block(NULL, '2099-01-01', 'x')$$, '22004', 'block: NULL customer'),
    ($$SELECT dunning.block('NOPE', '2099-01-01', 'x')$$, '22023', 'block: unknown customer'),
    ($$SELECT dunning.block('K1', '2099-01-01', NULL)$$, '22004', 'block: no reason'),
    ($$SELECT dunning.block('K1', '2099-01-01', '  ')$$, '22004', 'block: a blank reason'),
    ($$SELECT dunning.block('K1', '2000-01-01', 'x')$$, '22023', 'block: a day past')
  ) x(sql, state, what);
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT dunning.log_contact(NULL, 'phone', 'x')$$, '22004', 'log_contact: NULL customer'),
    ($$SELECT dunning.log_contact('NOPE', 'phone', 'x')$$, '22023', 'log_contact: unknown customer'),
    ($$SELECT dunning.log_contact('K1', NULL, 'x')$$, '22004', 'log_contact: NULL channel'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', counts_as_reminder => NULL)$$, '22004', 'log_contact: NULL counts'),
    ($$SELECT dunning.log_contact('K1', 'fax', 'x')$$, '22023', 'log_contact: unknown channel'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', '2000-01-01', 10)$$, '22023', 'log_contact: a promise in the past'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', '2099-01-01', NULL)$$, '22023', 'log_contact: a promise without amount'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', NULL, 10)$$, '22023', 'log_contact: an amount without date'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', '2099-01-01', 0)$$, '22023', 'log_contact: a promise of nothing'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', next_action_on => '2000-01-01')$$, '22023', 'log_contact: a next action in the past'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', entry_ids => '{}')$$, '22023', 'log_contact: no entry'),
    ($$SELECT dunning.log_contact('K1', 'phone', 'x', entry_ids => '{999999}')$$, '22023', 'log_contact: unknown entry'),
    ($$SELECT dunning.complete_action(NULL, 1, 'x')$$, '22004', 'complete_action: NULL customer'),
    ($$SELECT dunning.complete_action('K1', NULL, 'x')$$, '22004', 'complete_action: NULL action'),
    ($$SELECT dunning.complete_action('K1', -1, 'x')$$, '22023', 'complete_action: unknown action')
  ) x(sql, state, what);
SELECT is((SELECT count(*)::int FROM (SELECT * FROM dunning.entry EXCEPT SELECT * FROM snap_entry) d), 0,
          'refused set_status and log_contact changed no entry');
SELECT is((SELECT count(*)::int FROM (SELECT * FROM dunning.customer EXCEPT SELECT * FROM snap_customer) d), 0,
          'refused block and log_contact changed no customer');
SELECT is((SELECT count(*)::int FROM dunning.promise), 0, 'refused log_contact made no promise');
SELECT is((SELECT count(*)::int FROM dunning.action), 0, 'refused log_contact scheduled nothing');
SELECT has_view('dunning', 'customer_history', 'view customer_history');
SELECT has_view('dunning', 'followup_schedule', 'view followup_schedule');
SELECT has_function('dunning', 'kpi', ARRAY['date', 'date', 'text'], 'kpi(from, to, currency)');
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT * FROM dunning.kpi(NULL, '2025-01-31', 'EUR')$$, '22004', 'kpi: NULL from'),
    ($$SELECT * FROM dunning.kpi('2025-01-01', NULL, 'EUR')$$, '22004', 'kpi: NULL to'),
    ($$SELECT * FROM dunning.kpi('2025-01-01', '2025-01-31', NULL)$$, '22004', 'kpi: NULL currency'),
    ($$SELECT * FROM dunning.kpi('2025-02-01', '2025-01-31', 'EUR')$$, '22023', 'kpi: dates in the wrong order'),
    ($$SELECT * FROM dunning.kpi('2025-01-01', '2025-01-31', 'eur')$$, '22023', 'kpi: not a currency')
  ) x(sql, state, what);
SELECT is((SELECT dso FROM dunning.kpi('2025-01-01', '2025-01-31', 'JPY')), NULL, 'kpi: no sales, no DSO');
SELECT has_function('dunning', 'create_payment_plan', ARRAY['text', 'bigint[]', 'date[]', 'numeric[]', 'text']);
CREATE TEMP TABLE snap_plan AS SELECT * FROM dunning.entry;
SELECT throws_ok(sql, state, NULL, what)
  FROM (VALUES
    ($$SELECT dunning.create_payment_plan(NULL, '{1}', '{2099-01-01}', '{1}')$$, '22004', 'plan: NULL customer'),
    ($$SELECT dunning.create_payment_plan('K1', NULL, '{2099-01-01}', '{1}')$$, '22004', 'plan: NULL entries'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{2099-01-01,NULL}', '{1,2}')$$, '22004', 'plan: a NULL date'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{}', '{}')$$, '22023', 'plan: no installment'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{2099-01-01}', '{1,2}')$$, '22023', 'plan: dates and amounts differ in number'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{2099-02-01,2099-01-01}', '{1,2}')$$, '22023', 'plan: dates in the wrong order'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{2000-01-01}', '{1}')$$, '22023', 'plan: an installment in the past'),
    ($$SELECT dunning.create_payment_plan('K1', ARRAY(SELECT entry_id FROM dunning.entry WHERE customer_id = 'K1'), '{2099-01-01}', '{1}')$$, '22023', 'plan: amounts that do not match the items'),
    ($$SELECT dunning.create_payment_plan('K1', '{999999}', '{2099-01-01}', '{1}')$$, '22023', 'plan: unknown entry'),
    ($$SELECT dunning.mark_message_sent('K1', -1)$$, '22023', 'mark_message_sent: unknown message')
  ) x(sql, state, what);
SELECT is((SELECT count(*)::int FROM (SELECT * FROM dunning.entry EXCEPT SELECT * FROM snap_plan) d), 0,
          'refused plans changed no entry');
SELECT is((SELECT count(*)::int FROM dunning.payment_plan), 0, 'refused plans made no plan');
SELECT is((SELECT count(*)::int FROM dunning.message), 0, 'refused plans queued no message');
SELECT has_function('dunning', 'followup_schedule', ARRAY['date'], 'followup_schedule(as_of) twin');

-- users cannot write the maintained counters
UPDATE dunning.entry SET reminder_count = 99, level = 9, last_reminded_on = '2030-01-01' WHERE customer_id = 'K1';
UPDATE dunning.customer SET reminder_count = 99, level = 9, last_reminded_on = '2030-01-01' WHERE customer_id = 'K1';
SELECT is((SELECT max(reminder_count) FROM dunning.entry WHERE customer_id = 'K1'), 1, 'entry counters are the reminders''');
SELECT is((SELECT reminder_count FROM dunning.customer WHERE customer_id = 'K1'), 1, 'customer counters are the reminders''');

-------------------------------------------------------------------------------
-- the invariant: after a random mix of issue, cancel, delete and hand-made
-- reminders, a recount from the non-cancelled reminders equals the counters
-- (entry.compensated too: the policy charges the flat compensation, and the
-- hand-made lines charge it at random)
-------------------------------------------------------------------------------
UPDATE dunning.policy SET compensation = 40 WHERE policy_id = 'p';
SELECT setseed(0.4711);
DO $$
DECLARE
    d date := '2025-02-05';
    r record;
BEGIN
    FOR step IN 1 .. 60 LOOP
        d := d + (random() * 4)::int;
        CASE (random() * 5)::int
        WHEN 0, 1 THEN
            PERFORM dunning.issue_reminders(d, reissue => random() < 0.3);
        WHEN 2 THEN
            SELECT customer_id, reminder_id INTO r FROM dunning.reminder
             WHERE status <> 'cancelled' ORDER BY random() LIMIT 1;
            IF FOUND THEN PERFORM dunning.cancel_reminder(r.customer_id, r.reminder_id); END IF;
        WHEN 3 THEN
            DELETE FROM dunning.reminder WHERE (customer_id, reminder_id) IN
                (SELECT customer_id, reminder_id FROM dunning.reminder ORDER BY random() LIMIT 2);
        ELSE
            -- a phone call logged by hand, dated after every other reminder
            -- of the customer, and a line deleted or moved
            INSERT INTO dunning.reminder (customer_id, as_of, level, channel, currency)
            SELECT c.customer_id, greatest(d, c.last_reminded_on), 1 + (random() * 2)::int, 'phone', 'EUR'
              FROM dunning.customer c ORDER BY random() LIMIT 1
            RETURNING customer_id, reminder_id INTO r;
            INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount,
                                               compensation)
            SELECT r.customer_id, r.reminder_id, e.entry_id, 1 + (random() * 2)::int, 10, e.open_amount,
                   CASE WHEN random() < 0.3 THEN 40 ELSE 0 END
              FROM dunning.entry e WHERE e.customer_id = r.customer_id AND random() < 0.7;
            DELETE FROM dunning.reminder_line WHERE (customer_id, reminder_id, entry_id) IN
                (SELECT customer_id, reminder_id, entry_id FROM dunning.reminder_line ORDER BY random() LIMIT 1);
            -- (a hand-made line's compensation switched on or off)
            UPDATE dunning.reminder_line l SET level = 3,
                   compensation = CASE WHEN (SELECT x.run_id FROM dunning.reminder x
                                              WHERE x.customer_id = l.customer_id
                                                AND x.reminder_id = l.reminder_id) IS NULL
                                       THEN 40 - l.compensation ELSE l.compensation END
             WHERE (customer_id, reminder_id, entry_id) IN
                (SELECT customer_id, reminder_id, entry_id FROM dunning.reminder_line ORDER BY random() LIMIT 1);
        END CASE;
    END LOOP;
END
$$;
SELECT ok((SELECT count(*) FROM dunning.reminder) > 60, 'the mix issued reminders');
SELECT ok((SELECT count(*) FROM dunning.reminder WHERE status = 'cancelled') > 3, 'and cancelled some');
SELECT is(pg_temp.entries_off(), 0, 'every entry''s counters equal the recount');
SELECT is(pg_temp.customers_off(), 0, 'every customer''s counters equal the recount');
SELECT ok((SELECT count(*) FROM dunning.entry WHERE reminder_count > 1) > 20, 'items were reminded more than once');
SELECT ok((SELECT count(*) FROM dunning.entry WHERE compensated) > 20
          AND (SELECT count(*) FROM dunning.entry e WHERE NOT e.compensated AND EXISTS
                 (SELECT 1 FROM dunning.reminder_line l WHERE l.customer_id = e.customer_id
                     AND l.entry_id = e.entry_id AND l.compensation > 0)) > 0,
          'items were charged the compensation, some on a letter since cancelled or deleted');
SELECT is((SELECT count(*)::int FROM dunning.reminder_line l
             JOIN dunning.reminder r USING (customer_id, reminder_id)
            WHERE r.status <> 'cancelled' AND l.compensation > 0 AND r.run_id IS NOT NULL
            GROUP BY l.customer_id, l.entry_id HAVING count(*) > 1 LIMIT 1), NULL,
          'issuing charged no item the compensation twice');

-- the proposal (summed in one pass) and its items (judged letter by
-- letter, as issuing does) agree, day after day
SELECT is((SELECT count(*)::int
             FROM dunning.reminder_proposal(d) p
             FULL JOIN (SELECT customer_id, currency, min(letter_level) AS lvl, count(*)::int AS n,
                               (count(*) FILTER (WHERE dunned))::int AS dn,
                               sum(interest) AS i, sum(compensation) AS c
                          FROM dunning.reminder_proposal_item(d) GROUP BY 1, 2) x
               USING (customer_id, currency)
            WHERE (p.level, p.items, p.dunned_items, p.interest, p.compensation)
                  IS DISTINCT FROM (x.lvl, x.n, x.dn, x.i, x.c)),
          0, 'proposal and proposal items agree on ' || d)
  FROM unnest('{2025-02-05,2025-03-01,2025-04-15,2025-06-30}'::date[]) d;

-- truncating the reminders resets every counter
TRUNCATE dunning.reminder_line, dunning.reminder CASCADE;
SELECT is((SELECT count(*)::int FROM dunning.entry
            WHERE reminder_count <> 0 OR level <> 0 OR last_reminded_on IS NOT NULL OR compensated),
          0, 'truncate resets the entries');
SELECT is((SELECT count(*)::int FROM dunning.customer WHERE reminder_count <> 0 OR level <> 0 OR last_reminded_on IS NOT NULL),
          0, 'truncate resets the customers');

SELECT * FROM finish();
ROLLBACK;
