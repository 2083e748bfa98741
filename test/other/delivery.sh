#!/bin/bash
# Delivery with real tools and a real SMTP server (README "Delivery"):
# letters read back by poppler (pdftotext, pdfinfo), qpdf --check and, for
# the EPC QR code, pdftoppm + zbarimg; emails sent by send_outbox to the
# SMTP server of test/delivery/sink.py (Debian's python3-aiosmtpd) on a free
# loopback port, and read back with Python's email parser: every outcome
# (sent, 550, 451, no server, no address), the server vanishing in the
# middle of a batch (none lost, none sent twice).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dunning_delivery
work=$(mktemp -d)
sink_pid=
cleanup() {
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
# grep that reads all its input (grep -q under pipefail fails its writer)
has() { grep "$@" >/dev/null; }

dropdb --if-exists $db >/dev/null 2>&1
createdb $db
P="psql -X -q -At -v ON_ERROR_STOP=1 -d $db"
$P -c "CREATE EXTENSION dunning"
$P -v logo="$(od -An -tx1 -v examples/data/logo.png | tr -d ' \n')" -f test/delivery/fixture.sql

# --- letters -----------------------------------------------------------------
$P -c "SELECT count(*) FROM dunning.issue_reminders('2025-03-10')" >/dev/null
pdf() {  # pdf FILE SQL: the bytea of SQL into FILE
    $P -c "SELECT encode(($2), 'base64')" | base64 -d > "$1"
}
rid() { $P -c "SELECT reminder_id FROM dunning.reminder WHERE customer_id = '$1' ORDER BY reminder_id DESC LIMIT 1"; }
for c in MUELLER LODZ ECLUSES NOMAIL; do
    pdf "$work/$c.pdf" "dunning.letter_pdf('$c', $(rid $c))"
    qpdf --check "$work/$c.pdf" >/dev/null || fail "qpdf --check refuses the letter of $c"
    pdftotext -layout "$work/$c.pdf" "$work/$c.txt"
done
ok "qpdf --check passes the four letters"

grep -q 'Müller & Söhne GmbH' "$work/MUELLER.txt" || fail "the German name is not in the letter"
grep -q 'Königstraße 12' "$work/MUELLER.txt" || fail "the German street is not in the letter"
for r in RE-2025-1 RE-2025-2 RE-2025-3; do grep -q "$r" "$work/MUELLER.txt" || fail "item $r missing"; done
grep -q '306,00 EUR' "$work/MUELLER.txt" || fail "the total 306,00 EUR is not printed"
grep -q 'Seite 1/1' "$work/MUELLER.txt" || fail "no German page label"
grep -q 'Acme Fournitures SAS' "$work/MUELLER.txt" || fail "the letterhead of ACME is missing"
grep -q 'Przedsiębiorstwo Żółć Sp. z o.o.' "$work/LODZ.txt" || fail "the Polish name is not printed"
grep -q 'Łódź' "$work/LODZ.txt" || fail "the Polish city is not printed"
grep -q 'strona 1/1' "$work/LODZ.txt" || fail "no Polish page label"
grep -q 'Nordhandel GmbH' "$work/LODZ.txt" || fail "LODZ's letter is not on the letterhead of NORD"
grep -q 'Acme' "$work/LODZ.txt" && fail "LODZ's letter names the other company"
grep -q 'Société Générale des Écluses' "$work/ECLUSES.txt" || fail "the French name is not printed"
ok "names, streets, items, totals and letterheads in German, Polish and French"

pages=$(pdfinfo "$work/ECLUSES.pdf" | awk '/^Pages:/ {print $2}')
[ "$pages" -ge 5 ] || fail "300 items fit on $pages pages"
for p in $(seq 1 "$pages"); do
    pdftotext -f "$p" -l "$p" -layout "$work/ECLUSES.pdf" - | has "page $p/$pages" \
        || fail "page $p does not say page $p/$pages"
    pdftotext -f "$p" -l "$p" -layout "$work/ECLUSES.pdf" - | has 'Pièce.*Échéance.*Montant dû' \
        || [ "$p" = "$pages" ] || fail "page $p has no table header"
done
missing=$(for g in $(seq 1 300); do printf 'F-%05d\n' "$g"; done \
          | { grep -vxFf <(grep -oE 'F-[0-9]{5}' "$work/ECLUSES.txt") || true; } | wc -l)
[ "$missing" = 0 ] || fail "$missing of the 300 items are not in the letter"
ok "300 items on $pages pages, each page 'page N/$pages' with the table header"

pdf "$work/again.pdf" "dunning.letter_pdf('ECLUSES', $(rid ECLUSES))"
cmp -s "$work/ECLUSES.pdf" "$work/again.pdf" || fail "the same reminder gave other bytes"
ok "the same reminder gives the same bytes"

# the EPC QR code, decoded from the rendered first page
pdftoppm -r 150 -f 1 -l 1 -png "$work/MUELLER.pdf" "$work/page"
zbarimg -q --raw "$work"/page-1.png 2>/dev/null > "$work/qr.txt" || fail "zbarimg finds no QR code"
$P -c "SELECT dunning._letter_doc('MUELLER', $(rid MUELLER)) ->> 'qr'" > "$work/qr.expected"
diff <(sed '/^$/d' "$work/qr.txt") <(sed '/^$/d' "$work/qr.expected") >/dev/null \
    || { diff "$work/qr.txt" "$work/qr.expected" >&2; fail "the QR code is not the EPC payload"; }
grep -qx 'FR7630006000011234567890189' "$work/qr.txt" || fail "the QR code has no IBAN"
grep -qx 'EUR306.00' "$work/qr.txt" || fail "the QR code has not the amount"
grep -qE '^RF[0-9]{2}MUELLERR[0-9]+$' "$work/qr.txt" || fail "the QR code has no RF reference"
ok "zbarimg reads the EPC payload: IBAN, EUR306.00, the RF reference"

# a run for the printer: each letter on a new sheet, customer by customer
pdf "$work/run.pdf" "dunning.run_pdf(1)"
qpdf --check "$work/run.pdf" >/dev/null || fail "qpdf --check refuses run_pdf"
run_pages=$(pdfinfo "$work/run.pdf" | awk '/^Pages:/ {print $2}')
[ "$run_pages" = $((pages + 3)) ] || fail "run_pdf has $run_pages pages, not $((pages + 3))"
pdftotext -f $((pages + 1)) -l $((pages + 1)) "$work/run.pdf" - | has 'Przedsiębiorstwo' \
    || fail "the letter after ECLUSES's does not start on a new sheet"
pdftotext -f $((pages + 3)) -l $((pages + 3)) "$work/run.pdf" - | has 'Sans Adresse SARL' \
    || fail "the last sheet is not NOMAIL's letter"
ok "run_pdf: $run_pages pages, each letter from a new sheet"

# --- emails ------------------------------------------------------------------
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_sink() {  # start_sink [N]: a server on a free port, in $port
    port=$(free_port)
    /usr/bin/python3 test/delivery/sink.py "$port" "$work/mail" ${1:-} > "$work/sink.log" 2>&1 &
    sink_pid=$!
    for _ in $(seq 1 50); do grep -q listening "$work/sink.log" 2>/dev/null && return; sleep 0.1; done
    fail "the SMTP sink did not start: $(cat "$work/sink.log")"
}
stop_sink() { kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; sink_pid=; }
send() {  # send URL [SQL...]: send_outbox through URL
    local url=$1; shift
    $P -c "SET client_min_messages = warning" -c "SET dunning.smtp_url = '$url'" \
       -c "SET dunning.smtp_max_attempts = 2" "$@" \
       -c "CALL dunning.send_outbox()"
}

# invoice PDFs the ERP stored for MUELLER's items, and the level 2 emails
$P -c "INSERT INTO dunning.document (customer_id, entry_id, filename, content)
       SELECT e.customer_id, e.entry_id, 'Rechnung ' || e.ref || '.pdf',
              dunning.letter_pdf('MUELLER', $(rid MUELLER))
         FROM dunning.entry e WHERE e.customer_id = 'MUELLER'"
$P -c "UPDATE dunning.customer SET email = 'nobody.unknown@zolc.example' WHERE customer_id = 'LODZ'"
$P -c "UPDATE dunning.customer SET email = 'busy@ecluses.example' WHERE customer_id = 'ECLUSES'"
n=$($P -c "SELECT count(*) FROM dunning.issue_reminders('2025-03-25') WHERE channel = 'email' AND status = 'queued'")
[ "$n" = 4 ] || fail "level 2 queued $n emails, not 4"

start_sink
send "smtp://127.0.0.1:$port"
st() { $P -c "SELECT status || ' ' || channel || ' ' || attempts || ' ' || coalesce(last_error, '-')
                FROM dunning.reminder WHERE customer_id = '$1' AND level = 2"; }
[[ "$(st MUELLER)" == "sent email 1 -" ]] || fail "MUELLER: $(st MUELLER)"
[[ "$(st LODZ)" == "failed email 1 550 5.1.1"* ]] || fail "LODZ (550): $(st LODZ)"
[[ "$(st ECLUSES)" == "queued email 1 451 4.3.0"* ]] || fail "ECLUSES (451): $(st ECLUSES)"
[[ "$(st NOMAIL)" == "issued letter 0 no email address"* ]] || fail "NOMAIL (no address): $(st NOMAIL)"
$P -c "SELECT 1 FROM dunning.activity WHERE customer_id = 'NOMAIL' AND summary LIKE '%next print batch%'" | has 1 \
    || fail "no history line for the email that became a letter"
$P -c "SELECT 1 FROM dunning.outbox WHERE customer_id = 'ECLUSES' AND attempts = 1 AND last_error LIKE '451%'
         AND next_attempt_at IS NOT NULL" | has 1 || fail "the outbox does not show ECLUSES's attempt"
ok "sent, 550 failed at once, 451 queued again with its attempt, no address to the print batch"

# the email as the server received it
/usr/bin/python3 - "$work/mail" "$($P -c "SELECT smtp_message_id FROM dunning.reminder WHERE customer_id = 'MUELLER' AND level = 2")" <<'PY' || fail "the email of MUELLER is not as sent"
import email, email.policy, glob, sys
directory, message_id = sys.argv[1], sys.argv[2]
files = glob.glob(directory + '/*.eml')
assert len(files) == 1, files
m = email.message_from_bytes(open(files[0], 'rb').read(), policy=email.policy.default)
env = open(files[0][:-4] + '.env').read().split('\n')
assert 'to hans@mueller.example' in env and 'to buchhaltung@mueller.example' in env, env
assert m['To'] == 'hans@mueller.example' and m['Cc'] == 'buchhaltung@mueller.example', (m['To'], m['Cc'])
assert m['Message-ID'] == message_id, (m['Message-ID'], message_id)
assert 'Acme Fournitures SAS' in m['From'] and 'relances@acme.example' in m['From'], m['From']
body = m.get_body(('plain',)).get_content()
assert 'RE-2025-1' in body and 'Sehr geehrte Damen und Herren' in body, body
atts = [(a.get_filename(), a.get_content_type(), a.get_content()) for a in m.iter_attachments()]
names = sorted(a[0] for a in atts)
assert len(atts) == 4 and names[0].startswith('Rechnung RE-2025-') and 'reminder-' in names[3], names
assert all(a[1] == 'application/pdf' and a[2][:5] == b'%PDF-' for a in atts), [a[:2] for a in atts]
print('ok - the email: To, Cc, Message-ID, the text, the letter and 3 invoices attached')
PY

# the 451 customer: its next attempt is due later (5 minutes, then 10 ...);
# when it is due, the second attempt is the last (smtp_max_attempts = 2)
send "smtp://127.0.0.1:$port"
[[ "$(st ECLUSES)" == "queued email 1 451"* ]] || fail "ECLUSES was tried again before its time"
$P -c "UPDATE dunning.reminder SET next_attempt_at = now() WHERE customer_id = 'ECLUSES' AND level = 2"
send "smtp://127.0.0.1:$port"
[[ "$(st ECLUSES)" == "failed email 2 451"* ]] || fail "ECLUSES after its last attempt: $(st ECLUSES)"
ok "after dunning.smtp_max_attempts the email is failed"

# no server listening: a temporary failure, the batch stops
stop_sink
$P -c "INSERT INTO dunning.message (customer_id, kind, subject, body)
       SELECT 'MUELLER', 'note', 'Kontoauszug ' || g, 'Text ' || g FROM generate_series(1, 5) g"
send "smtp://127.0.0.1:$(free_port)"
m_st() { $P -c "SELECT string_agg(status || ':' || attempts, ' ' ORDER BY message_id) FROM dunning.message WHERE kind = 'note'"; }
[ "$(m_st)" = "queued:1 queued:0 queued:0 queued:0 queued:0" ] || fail "with no server: $(m_st)"
$P -c "SELECT last_error FROM dunning.message WHERE kind = 'note' AND attempts = 1" | has "connect" \
    || fail "the error of the unreachable server is not recorded"
ok "no server listening: one attempt recorded, the batch stops, the rest stay queued"

# the server vanishes after two emails: none lost, none sent twice
rm -f "$work"/mail/*
start_sink 2
send "smtp://127.0.0.1:$port" || true
wait "$sink_pid" 2>/dev/null || true; sink_pid=
sent=$($P -c "SELECT count(*) FROM dunning.message WHERE kind = 'note' AND status = 'sent'")
[ "$sent" = 2 ] || fail "$sent emails marked sent while the server took 2"
[ "$(ls "$work"/mail/*.eml | wc -l)" = 2 ] || fail "the server got $(ls "$work"/mail/*.eml | wc -l) emails"
start_sink
$P -c "UPDATE dunning.message SET next_attempt_at = now() WHERE kind = 'note' AND next_attempt_at IS NOT NULL"
send "smtp://127.0.0.1:$port"
stop_sink
[ "$(m_st)" = "sent:1 sent:1 sent:2 sent:1 sent:1" ] || [ "$($P -c "SELECT count(*) FROM dunning.message WHERE kind = 'note' AND status = 'sent'")" = 5 ] \
    || fail "after the server came back: $(m_st)"
ids=$(grep -h '^Message-ID:' "$work"/mail/*.eml | sort | uniq | wc -l)
[ "$(ls "$work"/mail/*.eml | wc -l)" = 5 ] && [ "$ids" = 5 ] || fail "the server got $(ls "$work"/mail/*.eml | wc -l) emails, $ids distinct"
ok "the server vanished after 2 emails: 2 marked sent, 3 kept queued, all 5 delivered once"

# a message: the confirmation of a payment plan
$P -c "SET dunning.as_of = '2025-03-10'" -c "SELECT dunning.create_payment_plan('LODZ', (SELECT array_agg(entry_id) FROM dunning.entry WHERE customer_id = 'LODZ'),
                                          '{2025-04-01,2025-05-01}', '{1234.5,1234.5}')" >/dev/null
mid=$($P -c "SELECT max(message_id) FROM dunning.message WHERE customer_id = 'LODZ'")
pdf "$work/message.pdf" "dunning.message_pdf('LODZ', $mid)"
qpdf --check "$work/message.pdf" >/dev/null || fail "qpdf --check refuses message_pdf"
subject=$($P -c "SELECT subject FROM dunning.message WHERE customer_id = 'LODZ' AND message_id = $mid")
pdftotext "$work/message.pdf" - | has -F "$subject" || fail "the message's subject is not printed"
ok "message_pdf prints the payment plan's confirmation"

# bad settings and requests
err() { $P -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null | head -2 | tr '\n' ' '; }
[[ "$(err "LOAD 'dunning'; SET dunning.smtp_url = 'http://mail.example.com'")" == *"22023"*"invalid value"*"DETAIL:"*"smtp://"* ]] \
    || fail "a malformed dunning.smtp_url is accepted"
[[ "$(err "CALL dunning.send_outbox()")" == *"dunning.smtp_url is not set"* ]] || fail "send_outbox without a server"
ok "a malformed smtp_url is refused with a detail; send_outbox without one says so"
echo "delivery: all checks passed"
