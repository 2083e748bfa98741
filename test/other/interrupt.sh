#!/bin/bash
# A daily run interrupted in the middle of issuing, by a cancelled query and
# then by a killed backend, leaves nothing half-issued: no reminder, line or
# counter of the day, the run recorded as 'running' with its lettering step
# done; the next run does the whole day.  A trigger of the test's own on
# reminder_line holds the issuing statement (pg_sleep) so that it can be
# interrupted there.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dunning_interrupt
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
P="psql -X -q -At -v ON_ERROR_STOP=1 -d $db"
fail() { echo "FAIL: $*" >&2; exit 1; }
$P -c "CREATE EXTENSION dunning"
$P -v logo="$(od -An -tx1 -v examples/data/logo.png | tr -d ' \n')" -f test/delivery/fixture.sql
$P <<'SQL'
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id)
SELECT 'N' || i, 'Customer ' || i, 'std', 'claire' FROM generate_series(1, 300) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'N' || i, 'invoice', 'I-' || i || '-' || k, '2025-01-01', '2025-01-31', 100 + k, 'EUR'
  FROM generate_series(1, 300) i, generate_series(1, 3) k;
CREATE FUNCTION public.hold_issuing() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
CREATE TRIGGER hold_issuing AFTER INSERT ON dunning.reminder_line
    FOR EACH STATEMENT EXECUTE FUNCTION public.hold_issuing();
SQL
counters() {
    $P -c "SELECT (SELECT count(*) FROM dunning.reminder) || ' ' || (SELECT count(*) FROM dunning.reminder_line)
                  || ' ' || (SELECT count(*) FROM dunning.entry WHERE reminder_count > 0 OR level > 0)
                  || ' ' || (SELECT count(*) FROM dunning.customer WHERE reminder_count > 0 OR level > 0)"
}
for how in cancel terminate; do
    $P -c "CALL dunning.daily_run('2025-03-10')" > /dev/null 2>&1 &
    caller=$!
    pid=
    for _ in $(seq 1 100); do
        pid=$($P -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND wait_event = 'PgSleep'")
        [ -n "$pid" ] && break
        sleep 0.1
    done
    [ -n "$pid" ] || fail "the run never reached the issuing statement"
    $P -c "SELECT pg_${how}_backend($pid)" >/dev/null
    wait $caller && fail "the run went on after pg_${how}_backend"
    for _ in $(seq 1 50); do
        [ -z "$($P -c "SELECT 1 FROM pg_stat_activity WHERE pid = $pid")" ] && break; sleep 0.1
    done
    [ "$(counters)" = "0 0 0 0" ] || fail "after pg_${how}_backend: reminders, lines, entries and customers counted: $(counters)"
    last=$($P -c "SELECT status || ' ' || (steps ? 'lettering') || ' ' || (steps ? 'issue') FROM dunning.daily_run ORDER BY daily_run_id DESC LIMIT 1")
    [ "$last" = "running true false" ] || fail "after pg_${how}_backend the run says: $last"
    echo "ok - pg_${how}_backend in the middle of issuing: nothing issued, no counter moved, the run says 'running' after its lettering"
done
$P -c "DROP TRIGGER hold_issuing ON dunning.reminder_line"
$P -c "CALL dunning.daily_run('2025-03-10')"
r=$($P -c "SELECT count(*) FROM dunning.reminder")
[ "$r" = 304 ] || fail "the next run issued $r reminders, not 304"
$P -c "SELECT count(*) FROM dunning.customer c WHERE c.reminder_count <> (SELECT count(*) FROM dunning.reminder r WHERE r.customer_id = c.customer_id)" | grep -qx 0 \
    || fail "customers' counters differ from their reminders"
echo "ok - the next run does the whole day: 304 reminders, the counters those of the reminders"
