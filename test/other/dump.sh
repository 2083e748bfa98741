#!/bin/bash
# pg_dump of a database with a lettered ledger, reminders, posted charges and
# promises, restored into a fresh database, gives the same rows: the
# entries with their maintained columns, the groups, allocations, reminders,
# lines, customers' counters and the proposal of a day.
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
