#!/bin/bash
# pg_dump of a database with a lettered ledger, reminders, posted charges,
# follow-ups (calls, promises, a payment plan, its confirmation, statuses,
# blocks) and row security on, restored into a fresh database, gives the
# same rows: the entries with their maintained columns, the groups,
# allocations, reminders, lines, customers' counters, the follow-up tables,
# the proposal and the schedule of a day; and a credit manager's role sees
# the same customers as before.
set -euo pipefail
cd "$(dirname "$0")/../.."
P="psql -X -q -At -v ON_ERROR_STOP=1"
for db in dunning_dumped dunning_restored; do dropdb --if-exists $db >/dev/null 2>&1; done
createdb dunning_dumped
# the escalation and interest scenarios leave every kind of row behind
$P -d dunning_dumped -f sql/escalation.sql >/dev/null
$P -d dunning_dumped -c "INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('LET', 'Lettered', 'plain');
  INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('LET', 'invoice', 'L-1', '2025-01-01', '2025-01-31', 500, 'EUR'),
    ('LET', 'invoice', 'L-2', '2025-01-05', '2025-02-04', 300, 'EUR'),
    ('LET', 'payment', 'pay L-1', '2025-02-10', NULL, -650, 'EUR');
  SELECT count(*) FROM dunning.auto_letter('LET');
  SELECT count(*) FROM dunning.issue_reminders('2025-03-20');" >/dev/null
# follow-ups, grants and row security for a manager's role (roles belong to
# the cluster: the restored database finds them)
$P -d dunning_dumped <<'SQL' >/dev/null
SET dunning.as_of = '2025-03-20';
SELECT dunning.log_contact('LET', 'phone', 'will pay L-2', '2025-03-31', 150);
SELECT dunning.set_status('LET', (SELECT array_agg(entry_id) FROM dunning.entry WHERE ref = 'L-1'), 'disputed', 'price', 10);
SELECT dunning.block('LET', '2025-04-15', 'audit');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id) VALUES ('PLN', 'Planned', 'plain', 'claire');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency) VALUES
    ('PLN', 'invoice', 'P-1', '2025-01-01', '2025-01-31', 1000, 'EUR');
SELECT dunning.create_payment_plan('PLN', (SELECT array_agg(entry_id) FROM dunning.entry WHERE customer_id = 'PLN'),
                                   '{2025-04-01,2025-05-01}', '{600,400}', 'two steps');
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dunning_dump_claire') THEN
        CREATE ROLE dunning_dump_claire NOLOGIN;
    END IF;
END $$;
UPDATE dunning.credit_manager SET role_name = 'dunning_dump_claire' WHERE manager_id = 'claire';
GRANT USAGE ON SCHEMA dunning TO dunning_dump_claire;
GRANT SELECT ON ALL TABLES IN SCHEMA dunning TO dunning_dump_claire;
SELECT dunning.enable_row_security();
SQL
snapshot() {
    $P -d "$1" <<'SQL'
SELECT 'entry ' || md5(string_agg(row(e.*)::text, ',' ORDER BY customer_id, entry_id)) FROM
  (SELECT customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency, status, disputed_amount,
          open_amount, letter_code, lettered_on, level, reminder_count, last_reminded_on FROM dunning.entry) e;
SELECT 'customer ' || md5(string_agg(row(customer_id, policy_id, blocked_until, reminder_count, last_reminded_on, level)::text, ',' ORDER BY customer_id)) FROM dunning.customer;
SELECT 'lettering ' || md5(string_agg(row(customer_id, letter_code, partial, lettered_on)::text, ',' ORDER BY customer_id, letter_code)) FROM dunning.lettering;
SELECT 'allocation ' || md5(string_agg(row(customer_id, letter_code, debit_id, credit_id, amount, allocated_on)::text, ',' ORDER BY customer_id, allocation_id)) FROM dunning.allocation;
SELECT 'reminder ' || md5(string_agg(row(customer_id, reminder_id, as_of, level, status, subject, body, charge_entry_ids)::text, ',' ORDER BY customer_id, reminder_id)) FROM dunning.reminder;
SELECT 'line ' || md5(string_agg(row(l.*)::text, ',' ORDER BY customer_id, reminder_id, entry_id)) FROM dunning.reminder_line l;
SELECT 'promise ' || count(*) FROM dunning.promise;
SELECT 'proposal ' || md5(string_agg(row(p.*)::text, ',' ORDER BY customer_id, currency)) FROM dunning.reminder_proposal('2025-04-30') p;
SELECT 'templates ' || count(*) FROM dunning.template;
SELECT t || ' ' || md5(coalesce(x, '')) FROM (
    SELECT 'action' t, string_agg(row(customer_id, action_id, kind, entry_ids, due_on, owner, title, done_on)::text, ',' ORDER BY customer_id, action_id) x FROM dunning.action
    UNION ALL SELECT 'promise', string_agg(row(customer_id, promise_id, entry_ids, amount, promised_on, status)::text, ',' ORDER BY customer_id, promise_id) FROM dunning.promise
    UNION ALL SELECT 'plan', string_agg(row(customer_id, plan_id, entry_ids, agreed_on, note)::text, ',' ORDER BY customer_id, plan_id) FROM dunning.payment_plan
    UNION ALL SELECT 'installment', string_agg(row(i.*)::text, ',' ORDER BY customer_id, plan_id, seq) FROM dunning.installment i
    UNION ALL SELECT 'activity', string_agg(row(customer_id, activity_id, kind, summary, refs)::text, ',' ORDER BY customer_id, activity_id) FROM dunning.activity
    UNION ALL SELECT 'message', string_agg(row(customer_id, message_id, kind, subject, body, status)::text, ',' ORDER BY customer_id, message_id) FROM dunning.message
    UNION ALL SELECT 'blocks', string_agg(row(customer_id, blocked_until, block_reason)::text, ',' ORDER BY customer_id) FROM dunning.customer
    UNION ALL SELECT 'schedule', string_agg(row(s.*)::text, ',' ORDER BY due_on, customer_id, action_id, entry_ids) FROM dunning.followup_schedule('2025-03-20') s) f;
SELECT 'row security ' || enabled FROM dunning.row_security;
SET ROLE dunning_dump_claire;
SELECT 'claire sees ' || string_agg(customer_id, ',' ORDER BY customer_id) FROM dunning.customer;
SELECT 'claire items ' || count(*) FROM dunning.item_status('2025-03-20');
RESET ROLE;
SQL
}
snapshot dunning_dumped > /tmp/dunning_dumped.txt
pg_dump -Fc dunning_dumped > /tmp/dunning.dump
createdb dunning_restored
pg_restore --exit-on-error -d dunning_restored /tmp/dunning.dump
snapshot dunning_restored > /tmp/dunning_restored.txt
if ! diff -u /tmp/dunning_dumped.txt /tmp/dunning_restored.txt; then
    echo "pg_dump / pg_restore changed rows" >&2
    exit 1
fi
echo "dump and restore: $(wc -l < /tmp/dunning_dumped.txt) snapshots equal"
