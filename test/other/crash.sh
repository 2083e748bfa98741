#!/bin/bash
# Crashes in the middle of the work (README "Tests"): in a cluster of its
# own, a backend killed with SIGKILL, then the whole server stopped with
# pg_ctl -m immediate, during auto_letter of the whole ledger, during
# issue_reminders for every customer, and during send_outbox between the
# SMTP server's acceptance and the status commit.  After each recovery the
# invariants of the soak test hold (test/soak/check.sql), the run is wholly
# there or wholly absent, and the email is still queued: sent again, it
# reaches the server a second time with the same Message-ID.
set -euo pipefail
cd "$(dirname "$0")/../.."
PGVERSION=${PGVERSION:-15}
BIN=/usr/lib/postgresql/$PGVERSION/bin
work=$(mktemp -d /tmp/dunning-crash.XXXXXX)
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
fail() { echo "FAIL: $*" >&2; tail -5 "$work/server.log" >&2; exit 1; }
start() {
    runas "$BIN/pg_ctl -D $work/data -l $work/server.log -w -t 120 -o \"-p $port -k $work -c listen_addresses=''\" start >/dev/null"
}
runas "$BIN/initdb -D $work/data -A trust -U postgres >/dev/null"
start
db=dunning_crash
P="psql -X -q -At -v ON_ERROR_STOP=1 -h $work -p $port -U postgres -d $db"
runas "$BIN/createdb -h $work -p $port -U postgres $db"
/usr/bin/python3 test/delivery/sink.py "$smtp" "$work/mail" > "$work/sink.log" 2>&1 &
sink=$!
for _ in $(seq 1 50); do grep -q listening "$work/sink.log" 2>/dev/null && break; sleep 0.1; done

# a ledger large enough that lettering and issuing take a while
$P -c "CREATE EXTENSION dunning"
$P -v customers=12000 -f bench/generate.sql >/dev/null
$P -c "INSERT INTO dunning.company (company_id, name, email) VALUES ('ACME', 'Acme', 'relances@acme.example')" \
   -c "UPDATE dunning.customer SET email = lower(customer_id) || '@customers.example'" \
   -c "LOAD 'dunning'" -c "ALTER DATABASE $db SET dunning.smtp_url = 'smtp://127.0.0.1:$smtp'"
asof=$($P -c "SELECT max(doc_date) FROM dunning.entry")

invariants() {
    local bad
    bad=$($P -F ': ' -f test/soak/check.sql | grep -v ': 0$' || true)
    [ -z "$bad" ] || fail "after $1: $bad"
}
count() { $P -c "SELECT (SELECT count(*) FROM dunning.lettering) || ' ' || (SELECT count(*) FROM dunning.reminder)"; }
# crash HOW SQL WHAT: run SQL, crash the server HOW once it is at work
crash() {
    local how=$1 sql=$2 what=$3 pid=
    $P -c "$sql" >/dev/null 2>&1 &
    local client=$!
    for _ in $(seq 1 200); do
        pid=$($P -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND state = 'active'
                        AND query LIKE '%$what%' AND pid <> pg_backend_pid() LIMIT 1")
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] || fail "$what never started"
    sleep 0.2
    if [ "$how" = kill ]; then
        kill -KILL "$pid"
    else
        runas "$BIN/pg_ctl -D $work/data -m immediate stop >/dev/null"
    fi
    wait "$client" && fail "$what finished before the crash: make the ledger larger"
    [ "$how" = immediate ] && start
    for _ in $(seq 1 100); do $P -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
}

for how in kill immediate; do
    # the whole ledger lettered: all of that run's groups or none
    before=$(count)
    crash $how "SELECT count(*) FROM dunning.auto_letter(strategies => '{reference,exact,fifo}')" auto_letter
    [ "$(count)" = "$before" ] || fail "after a crash in auto_letter: groups and reminders $(count), before $before"
    invariants "a crash ($how) in auto_letter"
    echo "ok - $how in the middle of auto_letter of the whole ledger: no group of it, every invariant holds"

    # every customer issued: all of that run or none
    before=$(count)
    crash $how "SELECT count(*) FROM dunning.issue_reminders('$asof')" issue_reminders
    [ "$(count)" = "$before" ] || fail "after a crash in issue_reminders: groups and reminders $(count), before $before"
    invariants "a crash ($how) in issue_reminders"
    echo "ok - $how in the middle of issue_reminders for every customer: no reminder of it, every invariant holds"
done

# send_outbox between the server's 250 and the commit: a trigger of the
# test holds the status update
$P -c "SELECT count(*) FROM dunning.issue_reminders('$asof', customers => (SELECT array_agg(customer_id) FROM (SELECT customer_id FROM dunning.customer ORDER BY 1 LIMIT 50) c))" >/dev/null
queued=$($P -c "SELECT count(*) FROM dunning.reminder WHERE status = 'queued'")
[ "$queued" -gt 0 ] || fail "no email queued to send"
$P -c "CREATE FUNCTION public.hold_sent() RETURNS trigger LANGUAGE plpgsql AS
       \$\$ BEGIN IF NEW.status = 'sent' THEN PERFORM pg_sleep(30); END IF; RETURN NEW; END \$\$" \
   -c "CREATE TRIGGER hold_sent BEFORE UPDATE ON dunning.reminder FOR EACH ROW EXECUTE FUNCTION public.hold_sent()"
for how in kill immediate; do
    crash $how "CALL dunning.send_outbox(1)" send_outbox
    invariants "a crash ($how) in send_outbox"
    [ "$($P -c "SELECT count(*) FROM dunning.reminder WHERE status = 'sent'")" = 0 ] || fail "an email marked sent across the crash"
    [ "$($P -c "SELECT count(*) FROM dunning.reminder WHERE status = 'queued'")" = "$queued" ] || fail "an email lost in the crash"
    echo "ok - $how between the SMTP server's reply and the commit: the email is still queued, none lost"
done
$P -c "DROP TRIGGER hold_sent ON dunning.reminder"
$P -c "SET client_min_messages = warning" -c "CALL dunning.send_outbox()"
received=$(ls "$work/mail" | grep -c '\.eml$')
distinct=$(cat "$work"/mail/*.eml | grep -i '^Message-ID:' | sort -u | wc -l)
sent=$($P -c "SELECT count(*) FROM dunning.reminder WHERE status = 'sent'")
[ "$sent" = "$queued" ] && [ "$distinct" = "$queued" ] && [ "$received" = $((queued + 2)) ] \
    || fail "sent $sent of $queued, the server got $received emails with $distinct Message-IDs"
echo "ok - sent again after the crashes: all $queued marked sent; the server got $received emails, the two sent across a crash twice with the same Message-ID ($distinct distinct)"
