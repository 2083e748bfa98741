#!/bin/bash
# The unattended day under a real pg_cron (Debian's postgresql-15-cron): a
# throw-away cluster of its own started with shared_preload_libraries =
# pg_cron, the two jobs of README "A dunning day that runs itself"
# scheduled every minute (pg_cron 1.4 has no intervals in seconds: one wait
# of up to 80 s), then cron.job_run_details must say the day succeeded, and
# the reminders, the recorded run and the queued summary are checked; the
# emails reach the SMTP sink of the delivery tests; a second run changes
# nothing and sends nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PGVERSION=${PGVERSION:-15}
BIN=/usr/lib/postgresql/$PGVERSION/bin
if [ ! -f "$(/usr/lib/postgresql/$PGVERSION/bin/pg_config --pkglibdir)/pg_cron.so" ]; then
    echo "FAIL: pg_cron is not installed (postgresql-$PGVERSION-cron; make test installs it)" >&2
    exit 1
fi
work=$(mktemp -d /tmp/dunning-cron.XXXXXX)
chmod 755 "$work"
runas() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
smtp=$(free_port)
sink=
cleanup() {
    [ -n "$sink" ] && kill "$sink" 2>/dev/null || true
    runas "$BIN/pg_ctl -D $work/data -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

runas "$BIN/initdb -D $work/data -A trust -U postgres >/dev/null"
runas "$BIN/pg_ctl -D $work/data -l $work/server.log -w -o \"-p $port -k $work -c listen_addresses='' \
    -c shared_preload_libraries=pg_cron -c cron.database_name=dunning_cron \
    -c cron.use_background_workers=on -c max_worker_processes=16\" start >/dev/null"
P="psql -X -q -At -v ON_ERROR_STOP=1 -h $work -p $port -U postgres -d dunning_cron"
runas "$BIN/createdb -h $work -p $port -U postgres dunning_cron"
/usr/bin/python3 test/delivery/sink.py "$smtp" "$work/mail" > "$work/sink.log" 2>&1 &
sink=$!
for _ in $(seq 1 50); do grep -q listening "$work/sink.log" 2>/dev/null && break; sleep 0.1; done

$P -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION dunning"
$P -v logo="$(od -An -tx1 -v examples/data/logo.png | tr -d ' \n')" -f test/delivery/fixture.sql
$P -c "UPDATE dunning.level SET channel = 'email' WHERE level = 1"
# the settings the jobs' sessions read: the database's
$P -c "LOAD 'dunning'" -c "ALTER DATABASE dunning_cron SET dunning.smtp_url = 'smtp://127.0.0.1:$smtp'"

# the two jobs, every minute for the test (README: 6:00 on working days)
$P -c "SELECT cron.schedule('dunning-daily', '* * * * *', \$\$CALL dunning.daily_run('2025-03-10')\$\$)" >/dev/null
$P -c "SELECT cron.schedule('dunning-send', '* * * * *', 'CALL dunning.send_outbox()')" >/dev/null
state=
for _ in $(seq 1 90); do
    state=$($P -c "SELECT d.status || ' ' || coalesce(d.return_message, '')
                     FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                    WHERE j.jobname = 'dunning-daily' AND d.status IN ('succeeded', 'failed')
                    ORDER BY d.runid LIMIT 1")
    [ -n "$state" ] && break
    sleep 1
done
[ -n "$state" ] || fail "pg_cron did not run the day within 90 s: $(tail -5 "$work/server.log")"
[[ "$state" == succeeded* ]] || fail "the day's job failed: $state"
$P -c "SELECT cron.unschedule('dunning-daily')" -c "SELECT cron.unschedule('dunning-send')" >/dev/null
ok "pg_cron ran CALL dunning.daily_run(): $state"

[ "$($P -c "SELECT count(*) FROM dunning.reminder")" = 4 ] || fail "$($P -c "SELECT count(*) FROM dunning.reminder") reminders, not 4"
[ "$($P -c "SELECT status || ' ' || errors FROM dunning.daily_run")" = "done 0" ] || fail "the run: $($P -c "SELECT status, errors FROM dunning.daily_run")"
[ "$($P -c "SELECT count(*) FROM dunning.digest WHERE manager_id = 'claire' AND as_of = '2025-03-10'")" = 1 ] \
    || fail "no summary for claire"
$P -c "SELECT steps ->> 'issue' FROM dunning.daily_run" | grep -q '"reminders": 4' || fail "the run's steps do not say 4 reminders"
ok "the day: 4 reminders, the run recorded as done, claire's summary queued"

# what the send job has not sent yet goes now; the emails arrive
$P -c "SET client_min_messages = warning" -c "CALL dunning.send_outbox()"
sent=$(ls "$work/mail"/*.eml 2>/dev/null | wc -l)
[ "$sent" = 4 ] || fail "the SMTP server got $sent emails, not 4 (3 reminders, 1 summary)"
grep -l "^Subject: .*" "$work/mail"/*.eml | xargs grep -l "claire@acme.example" >/dev/null || fail "no summary email to claire"
[ "$($P -c "SELECT channel || ' ' || status FROM dunning.reminder WHERE customer_id = 'NOMAIL'")" = "letter issued" ] \
    || fail "the reminder with no address is not waiting to be printed"
ok "3 reminder emails and claire's summary reached the SMTP server; NOMAIL's went to the print batch"

# a second run on the same day: nothing new, nothing sent twice
before=$($P -c "SELECT count(*) FROM dunning.reminder")
$P -c "CALL dunning.daily_run('2025-03-10')" -c "SET client_min_messages = warning" -c "CALL dunning.send_outbox()"
[ "$($P -c "SELECT count(*) FROM dunning.reminder")" = "$before" ] || fail "the second run issued reminders"
[ "$($P -c "SELECT count(*) FROM dunning.digest")" = 1 ] || fail "the second run queued another summary"
[ "$(ls "$work/mail"/*.eml | wc -l)" = 4 ] || fail "the second run sent emails again"
ok "a second run on the same day issues nothing and sends nothing"
