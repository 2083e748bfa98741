-- pgTAP: the bad-input sweep.  Every public function, called with NULLs,
-- unknown or foreign ids, infinite or out-of-range days, amounts that are
-- not numbers or out of range, empty arrays and mixed currencies, raises
-- the documented SQLSTATE with a detail sentence, and no row of any table
-- changes.  (days_overdue and kpi pass core's own 22008 "cannot subtract
-- infinite dates" through, without a detail.)
\i test/pgtap/setup.psql
SELECT plan(140);

INSERT INTO dunning.policy (policy_id, name, currency, interest_regime, compensation, post_charges)
VALUES ('b2b', 'B2B', 'EUR', 'fr', 40, true);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, interest, channel) VALUES
    ('b2b', 1, 1, 0, 0, false, 'email'), ('b2b', 2, 15, 7, 10, true, 'letter');
INSERT INTO dunning.level_amount (policy_id, level, currency, min_amount, fee) VALUES ('b2b', 1, 'USD', 0, 0), ('b2b', 2, 'USD', 0, 12);
INSERT INTO dunning.credit_manager (manager_id, name) VALUES ('m', 'M');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id, email) VALUES
    ('C1', 'One', 'b2b', 'm', 'one@example.com'), ('C2', 'Two', 'b2b', 'm', 'two@example.com');
INSERT INTO dunning.entry (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('C1', 1, 'invoice', 'E-1', '2025-01-01', '2025-01-31', 1000, 'EUR'),
    ('C1', 2, 'invoice', 'U-1', '2025-01-01', '2025-01-31', 500, 'USD'),
    ('C1', 3, 'payment', 'pay E', '2025-02-10', NULL, -400, 'EUR'),
    ('C1', 4, 'payment', 'pay U', '2025-02-10', NULL, -100, 'USD'),
    ('C2', 5, 'invoice', 'E-2', '2025-01-01', '2025-01-31', 800, 'EUR'),
    ('C2', 6, 'payment', 'pay 2', '2025-02-10', NULL, -800, 'EUR');
SELECT FROM setval('dunning.entry_entry_id_seq', 100);
SELECT FROM dunning.letter('C2', '{5,6}');
SET dunning.as_of = '2025-03-20';
SELECT FROM dunning.issue_reminders('2025-03-20', customers => '{C1}');
SELECT FROM dunning.log_contact('C1', 'phone', 'call', next_action_on => '2025-03-25');

-- a fingerprint of every row of every table of the extension
CREATE FUNCTION pg_temp.fingerprint() RETURNS text LANGUAGE plpgsql AS $$
DECLARE t regclass; acc text := '';
BEGIN
    FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind = 'r'
              ORDER BY c.relname LOOP
        EXECUTE format('SELECT %L || coalesce(md5(string_agg(x::text, '','' ORDER BY x::text)), '''') FROM %s x', t, t)
           INTO STRICT acc USING acc;
        acc := md5(acc);
    END LOOP;
    RETURN acc;
END
$$;
CREATE TEMP TABLE bad (n serial, call text, state text, what text);
INSERT INTO bad (call, state, what) VALUES
-- aging and buckets
($$SELECT dunning.aging(5, 1)$$, '22000', 'aging: lower above upper'),
($$SELECT dunning.aging(-2147483648, 1)$$, '22003', 'aging: lower out of range'),
($$SELECT dunning.label('1..30', 'xx')$$, '22023', 'label: unknown language'),
($$SELECT dunning.label('1..30', NULL)$$, '22004', 'label: NULL language'),
($$SELECT dunning.bucket(5, '{}')$$, '22023', 'bucket: empty scheme'),
($$SELECT dunning.bucket(5, NULL)$$, '22004', 'bucket: NULL scheme'),
($$SELECT dunning.bucket(5, '{1..30,20..40}')$$, '22023', 'bucket: overlapping scheme'),
($$SELECT dunning.days_overdue('infinity', '2025-01-01')$$, '22008', 'days_overdue: infinite due date'),
($$SELECT dunning.days_overdue('2025-01-01', '-infinity')$$, '22008', 'days_overdue: infinite as-of'),
($$SELECT dunning.due_date('2025-01-01', '')$$, '22P02', 'due_date: empty terms'),
($$SELECT dunning.due_date('2025-01-01', '30d', 'NOPE')$$, '22023', 'due_date: unknown calendar'),
($$SELECT dunning.due_date('5874897-12-01', '60d')$$, '22008', 'due_date: past the range of date'),
($$SELECT * FROM dunning.aged_buckets(NULL)$$, '22004', 'aged_buckets: NULL day'),
($$SELECT * FROM dunning.aged_buckets('infinity')$$, '22008', 'aged_buckets: infinite day'),
($$SELECT * FROM dunning.aged_buckets('2025-03-20', '{}')$$, '22023', 'aged_buckets: empty scheme'),
($$SELECT * FROM dunning.aged_buckets('2025-03-20', NULL)$$, '22004', 'aged_buckets: NULL scheme'),
($$SELECT * FROM dunning.aged_buckets('2025-03-20', '{1..30,20..40}')$$, '22023', 'aged_buckets: overlapping scheme'),
($$SELECT * FROM dunning.aged_buckets('2025-03-20', dunning.default_scheme(), 'xx')$$, '22023', 'aged_buckets: unknown language'),
-- the views' twins
($$SELECT * FROM dunning.open_items(NULL)$$, '22004', 'open_items: NULL day'),
($$SELECT * FROM dunning.aged_balance('-infinity')$$, '22008', 'aged_balance: infinite day'),
($$SELECT * FROM dunning.aged_balance(NULL, '{C1}')$$, '22004', 'aged_balance of customers: NULL day'),
($$SELECT * FROM dunning.aged_balance('infinity', '{C1}')$$, '22008', 'aged_balance of customers: infinite day'),
($$SELECT * FROM dunning.aged_balance('2025-03-20', NULL)$$, '22004', 'aged_balance of customers: NULL list'),
($$SELECT * FROM dunning.dashboard(NULL)$$, '22004', 'dashboard: NULL day'),
-- lettering
($$SELECT dunning.letter(NULL, '{1,3}')$$, '22004', 'letter: NULL customer'),
($$SELECT dunning.letter('C1', NULL)$$, '22004', 'letter: NULL entries'),
($$SELECT dunning.letter('C1', '{}')$$, '22023', 'letter: no entry'),
($$SELECT dunning.letter('C1', '{1}')$$, '22023', 'letter: one entry'),
($$SELECT dunning.letter('NOPE', '{1,3}')$$, '22023', 'letter: unknown customer'),
($$SELECT dunning.letter('C1', '{1,999}')$$, '22023', 'letter: unknown entry'),
($$SELECT dunning.letter('C1', '{1,6}')$$, '22023', 'letter: an entry of another customer'),
($$SELECT dunning.letter('C1', '{1,4}')$$, '22023', 'letter: mixed currencies'),
($$SELECT dunning.letter('C1', '{1,3}', -1)$$, '22023', 'letter: negative tolerance'),
($$SELECT dunning.letter('C1', '{1,3}', 'NaN')$$, '22023', 'letter: NaN tolerance'),
($$SELECT dunning.letter('C2', '{5,6}')$$, '55000', 'letter: entries already settled'),
($$SELECT dunning.unletter('C2', 'ZZZ')$$, '22023', 'unletter: unknown code'),
($$SELECT dunning.unletter('NOPE', 'AAA')$$, '22023', 'unletter: unknown customer'),
($$SELECT dunning.unletter(NULL, 'AAA')$$, '22004', 'unletter: NULL customer'),
($$SELECT * FROM dunning.auto_letter('NOPE')$$, '22023', 'auto_letter: unknown customer'),
($$SELECT * FROM dunning.auto_letter('C1', '{}')$$, '22023', 'auto_letter: no strategy'),
($$SELECT * FROM dunning.auto_letter('C1', '{magic}')$$, '22023', 'auto_letter: unknown strategy'),
($$SELECT * FROM dunning.auto_letter('C1', NULL)$$, '22004', 'auto_letter: NULL strategies'),
($$SELECT * FROM dunning.auto_letter('C1', tolerance => -0.01)$$, '22023', 'auto_letter: negative tolerance'),
($$SELECT * FROM dunning.auto_letter('C1', max_subset => 1)$$, '22023', 'auto_letter: subset of one'),
($$SELECT * FROM dunning.auto_letter('C1', max_subset => 31)$$, '22023', 'auto_letter: subset too large'),
($$SELECT dunning.next_letter_code('AB')$$, '22P02', 'next_letter_code: too short'),
($$SELECT dunning.next_letter_code('A1B')$$, '22P02', 'next_letter_code: not a letter'),
($$SELECT dunning.next_letter_code('aBc')$$, '22P02', 'next_letter_code: mixed case'),
-- interest and templates
($$SELECT dunning.late_interest(1000, 'infinity', '2025-02-01', 'fr')$$, '22008', 'late_interest: infinite due date'),
($$SELECT dunning.render('{{#a}}', '{}')$$, '22P02', 'render: unclosed section'),
($$SELECT dunning.render('{{a}}', NULL)$$, '22004', 'render: NULL context'),
-- reminders
($$SELECT * FROM dunning.issue_reminders(NULL)$$, '22004', 'issue_reminders: NULL day'),
($$SELECT * FROM dunning.issue_reminders('infinity')$$, '22023', 'issue_reminders: infinite day'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', customers => '{}')$$, '22023', 'issue_reminders: empty customers'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', customers => '{NOPE}')$$, '22023', 'issue_reminders: unknown customer'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', customers => '{C1,NULL}')$$, '22004', 'issue_reminders: NULL customer'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', payment_methods => '{}')$$, '22023', 'issue_reminders: empty methods'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', min_amount => -1)$$, '22023', 'issue_reminders: negative minimum'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', level => 0)$$, '22023', 'issue_reminders: level 0'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', level => 9)$$, '22023', 'issue_reminders: a level no policy has'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', manager_id => 'nobody')$$, '22023', 'issue_reminders: unknown manager'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', reissue => NULL)$$, '22004', 'issue_reminders: NULL reissue'),
($$SELECT dunning.cancel_reminder('C1', 999999)$$, '22023', 'cancel_reminder: unknown reminder'),
($$SELECT dunning.cancel_reminder('C2', (SELECT min(reminder_id) FROM dunning.reminder))$$, '22023', 'cancel_reminder: another customer''s'),
($$SELECT dunning.cancel_reminder(NULL, 1)$$, '22004', 'cancel_reminder: NULL customer'),
($$SELECT dunning.mark_sent('C1', 999999)$$, '22023', 'mark_sent: unknown reminder'),
($$SELECT dunning.mark_sent('C1', NULL)$$, '22004', 'mark_sent: NULL reminder'),
($$SELECT dunning.mark_sent('C1', (SELECT min(reminder_id) FROM dunning.reminder), 'infinity')$$, '23514', 'mark_sent: infinite time'),
-- follow-up
($$SELECT dunning.set_status('C1', '{1}', 'lost')$$, '22023', 'set_status: unknown status'),
($$SELECT dunning.set_status('C1', '{}', 'disputed')$$, '22023', 'set_status: no entry'),
($$SELECT dunning.set_status('C1', '{999}', 'disputed')$$, '22023', 'set_status: unknown entry'),
($$SELECT dunning.set_status('C1', '{5}', 'disputed')$$, '22023', 'set_status: another customer''s entry'),
($$SELECT dunning.set_status('C1', '{1}', 'disputed', 'x', -5)$$, '22023', 'set_status: negative disputed amount'),
($$SELECT dunning.set_status('C1', '{1}', 'disputed', 'x', 5000)$$, '22023', 'set_status: disputed above the amount'),
($$SELECT dunning.set_status('C1', '{1}', NULL)$$, '22004', 'set_status: NULL status'),
($$SELECT dunning.block('NOPE', '2025-04-01', 'x')$$, '22023', 'block: unknown customer'),
($$SELECT dunning.log_contact('C1', 'fax', 'x')$$, '22023', 'log_contact: unknown channel'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', NULL)$$, '22023', 'log_contact: a promise without amount'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', -5)$$, '22023', 'log_contact: a negative promise'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-01', 100)$$, '22023', 'log_contact: a promise in the past'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', 100, '{1,2}')$$, '22023', 'log_contact: a promise over mixed currencies'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', 100, '{}')$$, '22023', 'log_contact: a promise over no entry'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', 100, '{5}')$$, '22023', 'log_contact: another customer''s entry'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', next_action_on => 'infinity')$$, '23514', 'log_contact: infinite next action'),
($$SELECT dunning.log_contact(NULL, 'phone', 'x')$$, '22004', 'log_contact: NULL customer'),
($$SELECT dunning.complete_action('C1', 999999, 'x')$$, '22023', 'complete_action: unknown action'),
($$SELECT dunning.complete_action('C2', (SELECT min(action_id) FROM dunning.action), 'x')$$, '22023', 'complete_action: another customer''s'),
($$SELECT dunning.complete_action('C1', (SELECT min(action_id) FROM dunning.action), 'x', '2025-01-01')$$, '22023', 'complete_action: next action in the past'),
($$SELECT dunning.create_payment_plan('C1', '{1,2}', '{2025-04-01}', '{1100}')$$, '22023', 'create_payment_plan: mixed currencies'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-04-01,2025-05-01}', '{1000}')$$, '22023', 'create_payment_plan: dates and amounts differ in number'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{}', '{}')$$, '22023', 'create_payment_plan: no installment'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-04-01}', '{999}')$$, '22023', 'create_payment_plan: not the open amount'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-05-01,2025-04-01}', '{500,500}')$$, '22023', 'create_payment_plan: dates out of order'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-04-01,2025-05-01}', '{1100,-100}')$$, '22023', 'create_payment_plan: a negative installment'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-01-01}', '{1000}')$$, '22023', 'create_payment_plan: an installment in the past'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{infinity}', '{1000}')$$, '23514', 'create_payment_plan: an infinite day'),
($$SELECT dunning.create_payment_plan('C1', NULL, '{2025-04-01}', '{600}')$$, '22004', 'create_payment_plan: NULL entries'),
($$SELECT dunning.mark_message_sent('C1', 999999)$$, '22023', 'mark_message_sent: unknown message'),
($$SELECT * FROM dunning.kpi('2025-01-01', '2025-03-31', 'EURO')$$, '22023', 'kpi: not a currency'),
($$SELECT * FROM dunning.kpi('-infinity', '2025-03-31', 'EUR')$$, '22008', 'kpi: infinite from'),
($$SELECT * FROM dunning.followup_schedule(NULL)$$, '22004', 'followup_schedule: NULL day');
-- more: infinite days, amounts that are not numbers, more NULLs
INSERT INTO bad (call, state, what) VALUES
($$SELECT dunning.letter('C1', '{1,3}', 'Infinity')$$, '22023', 'letter: infinite tolerance'),
($$SELECT dunning.letter('C1', '{1,3}', 1e30)$$, '22003', 'letter: tolerance out of range'),
($$SELECT dunning.letter('C1', '{1,3}', 0.0000001)$$, '22023', 'letter: tolerance below the millionth'),
($$SELECT * FROM dunning.auto_letter('C1', tolerance => 'NaN')$$, '22023', 'auto_letter: NaN tolerance'),
($$SELECT * FROM dunning.auto_letter('C1', max_subset => NULL)$$, '22004', 'auto_letter: NULL max_subset'),
($$SELECT dunning.late_interest('Infinity', '2025-01-01', '2025-02-01', 'fr')$$, '22023', 'late_interest: infinite amount'),
($$SELECT dunning.late_interest(1000, '2025-01-01', '2025-02-01', 'Infinity'::numeric)$$, '22023', 'late_interest: infinite rate'),
($$SELECT * FROM dunning.issue_reminders('2025-03-20', min_amount => 'NaN')$$, '22023', 'issue_reminders: NaN minimum'),
($$SELECT dunning.set_status('C1', '{1}', 'disputed', 'x', 'NaN')$$, '22023', 'set_status: NaN disputed amount'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', '2025-03-30', 'NaN', '{1}')$$, '22023', 'log_contact: NaN promise'),
($$SELECT dunning.log_contact('C1', 'phone', 'x', 'infinity', 100, '{1}')$$, '23514', 'log_contact: a promise for an infinite day'),
($$SELECT dunning.complete_action('C1', (SELECT min(action_id) FROM dunning.action), 'x', 'infinity')$$, '23514', 'complete_action: next action on an infinite day'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-04-01}', '{NaN}')$$, '22023', 'create_payment_plan: NaN installment'),
($$SELECT dunning.create_payment_plan('C1', '{1}', '{2025-04-01,NULL}', '{500,500}')$$, '22004', 'create_payment_plan: a NULL day'),
($$SELECT dunning.create_payment_plan('C1', '{1,NULL}', '{2025-04-01}', '{1000}')$$, '22004', 'create_payment_plan: a NULL entry'),
($$SELECT dunning.mark_message_sent(NULL, 1)$$, '22004', 'mark_message_sent: NULL customer'),
($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', 'infinity', 1, 'EUR')$$, '23514', 'an entry dated infinity'),
($$INSERT INTO dunning.entry (customer_id, kind, doc_date, due_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', '-infinity', 1, 'EUR')$$, '23514', 'an entry due -infinity'),
-- 0.4.0: amounts that are not numbers, written straight into the tables
($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', 'NaN', 'EUR')$$, '23514', 'an invoice of NaN'),
($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'payment', '2025-01-01', '-Infinity', 'EUR')$$, '23514', 'a payment of -infinity'),
($$INSERT INTO dunning.entry (customer_id, kind, doc_date, amount, currency) VALUES ('C1', 'invoice', '2025-01-01', 'Infinity', 'EUR')$$, '23514', 'an invoice of infinity'),
($$UPDATE dunning.entry SET disputed_amount = 'NaN' WHERE entry_id = 1$$, '23514', 'a NaN disputed amount'),
($$UPDATE dunning.customer SET credit_limit = 'Infinity' WHERE customer_id = 'C1'$$, '23514', 'an infinite credit limit'),
($$UPDATE dunning.level SET fee = 'NaN' WHERE policy_id = 'b2b' AND level = 2$$, '23514', 'a NaN fee'),
($$UPDATE dunning.level_amount SET min_amount = 'Infinity' WHERE policy_id = 'b2b'$$, '23514', 'an infinite minimum in another currency'),
($$UPDATE dunning.policy SET interest_rate = 'NaN' WHERE policy_id = 'b2b'$$, '23514', 'a NaN interest rate'),
($$INSERT INTO dunning.reference_rate (series, valid_from, rate) VALUES ('x', '2025-01-01', 'NaN')$$, '23514', 'a NaN reference rate'),
($$UPDATE dunning.allocation SET amount = 'Infinity'$$, '23514', 'an infinite allocation'),
-- 1.0.0: the proposal's private aggregate fed values _letter_item did not write
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES (''::bytea)) v(x)$$, '22P03', '_letter: an empty item'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x40'::bytea)) v(x)$$, '22P03', '_letter: unknown flags'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x0003'::bytea)) v(x)$$, '22P03', '_letter: an unknown amount tag'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x000000'::bytea)) v(x)$$, '22P03', '_letter: bytes after the fields'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x0101'::bytea)) v(x)$$, '22P03', '_letter: a level cut short'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x0001ffffffffffffff7f09'::bytea)) v(x)$$, '22P03', '_letter: a display scale over 8'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x0002ffffff7f31'::bytea)) v(x)$$, '22P03', '_letter: a numeric longer than the item'),
($$SELECT dunning._letter(x, 'b2b', 'EUR', 'n', 'm') FROM (VALUES ('\x000203000000616263'::bytea)) v(x)$$, '22P03', '_letter: a numeric that is not a number'),
($$SELECT * FROM dunning.kpi('2025-01-01', 'infinity', 'EUR')$$, '22008', 'kpi: infinite to');

CREATE TEMP TABLE before AS SELECT pg_temp.fingerprint() AS f;
SELECT is(pg_temp.error_of(call),
          state || CASE WHEN what ~ '^(days_overdue|kpi): infinite' THEN ' without a detail' ELSE ' with a detail' END,
          what)
  FROM bad ORDER BY n;
SELECT is(pg_temp.fingerprint(), (SELECT f FROM before), 'no row of any table changed');
SELECT cmp_ok((SELECT count(*)::int FROM bad), '>=', 100, 'at least a hundred bad calls');

SELECT * FROM finish();
ROLLBACK;
