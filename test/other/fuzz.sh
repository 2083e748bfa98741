#!/bin/bash
# Random input for the C input functions: 100,000 aging intervals (text),
# 100,000 payment terms, 50,000 letter codes, 100,000 templates for render
# (braces, sections, filters, names, text), the escalation over odd days,
# levels and dates, late interest over odd amounts and periods.  Errors are
# expected, each of a documented class; any other error fails the test, and
# the server must stay up and answer after each batch.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dunning_fuzz
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
P="psql -X -q -At -v ON_ERROR_STOP=1 -d $db"
# FUZZ_DIVISOR=n runs 1/n of each long loop (test/memcheck uses 10: under
# valgrind the whole fuzz takes hours)
div=${FUZZ_DIVISOR:-1}
[[ $div =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_DIVISOR must be a positive integer" >&2; exit 2; }
scaled() { sed -E "s/FOR (i) IN 1 \.\. ([0-9]{4,}) LOOP/FOR \1 IN 1 .. \2 \/ $div LOOP/" | $P "$@"; }
$P -c "CREATE EXTENSION dunning" \
   -c "INSERT INTO dunning.policy (policy_id, name, currency, allow_skip, repeat_last, grace_days) VALUES
         ('a', 'a', 'EUR', false, false, 0), ('b', 'b', 'EUR', true, true, 3)" \
   -c "INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days) VALUES
         ('a', 1, 1, 0), ('a', 2, 15, 10), ('b', 1, -5, 0), ('b', 3, 30, 7), ('b', 7, 90, 30)"
out=$(scaled <<'SQL'
SELECT setseed(0.77);
-- dunning.aging's input: pieces of every form it takes, and junk
DO $$
DECLARE
    pieces text[] := ARRAY['1', '30', '-', '..', '.', '+', '[', ']', '(', ')', ',', ' ', '0', '-30',
                           '2147483646', '2147483647', '-2147483647', '-2147483648', '99999999999',
                           'a', '121', '1..30', '[1,30]', '(0,31)', E'\t', '', '007', '1e3', 'é'];
    t text;
    parsed int := 0;
    refused int := 0;
BEGIN
    FOR i IN 1 .. 100000 LOOP
        t := '';
        FOR j IN 1 .. (random() * 6)::int LOOP
            t := t || pieces[1 + (random() * (array_length(pieces, 1) - 1))::int];
        END LOOP;
        BEGIN
            -- the value read back gives itself again
            IF t::dunning.aging::text::dunning.aging OPERATOR(dunning.<>) t::dunning.aging THEN
                RAISE EXCEPTION 'aging % does not read back', t;
            END IF;
            parsed := parsed + 1;
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'aging: % parsed, % refused', parsed, refused;
END
$$;
-- payment terms: steps (valid and not) joined by '+' (or not), on odd dates
INSERT INTO dunning.holiday (calendar, day) SELECT 'FR', d::date
  FROM generate_series('2024-01-01'::date, '2026-12-31', '1 day') d WHERE extract(dow FROM d) = 3;
DO $$
DECLARE
    steps text[] := ARRAY['30d', '45d', '2m', 'eom', 'nbd', '0d', '36600d', 'EOM', 'NBD', ' 30D ', '1200m',
                          '36601d', '1201m', '99999999999d', '30', 'd', 'm', 'x', '-1d', '.', 'é', ''];
    joins text[] := ARRAY['+', '+', '+', ' + ', '++', '', '-'];
    t text;
    computed int := 0;
    refused int := 0;
BEGIN
    FOR i IN 1 .. 100000 LOOP
        t := steps[1 + (random() * 10)::int];
        FOR j IN 1 .. (random() * (CASE WHEN random() < 0.9 THEN 4 ELSE 18 END))::int LOOP
            t := t || joins[1 + (random() * 6)::int] || steps[1 + (random() * (CASE WHEN random() < 0.8 THEN 10 ELSE 21 END))::int];
        END LOOP;
        BEGIN
            PERFORM dunning.due_date((ARRAY['2025-01-31', '2024-02-29', '2025-12-31', '2026-05-08', '2025-03-10',
                                            '4713-01-01 BC', '5874897-12-01'])[1 + (random() * 6)::int]::date,
                                     t, (ARRAY[NULL, NULL, 'FR', 'FR', 'XX'])[1 + (random() * 4)::int]);
            computed := computed + 1;
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range OR program_limit_exceeded
                       OR datetime_field_overflow OR invalid_parameter_value THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'payment terms: % computed, % refused', computed, refused;
END
$$;
-- letter codes: the next code of random strings
DO $$
DECLARE
    letters text[] := ARRAY['A', 'B', 'M', 'Y', 'Z', 'Z', 'Z', 'a', 'z', 'z', '1', ' ', 'é', '-'];
    t text;
    n text;
    computed int := 0;
    refused int := 0;
BEGIN
    FOR i IN 1 .. 50000 LOOP
        t := '';
        FOR j IN 1 .. (random() * 14)::int LOOP
            -- mostly upper-case letters, sometimes another character
            t := t || letters[1 + (random() * (CASE WHEN random() < 0.97 THEN 6 ELSE 13 END))::int];
        END LOOP;
        IF random() < 0.3 THEN
            t := lower(t);
        END IF;
        BEGIN
            n := dunning.next_letter_code(t);
            -- the next code is later in the order of codes (longer, or greater)
            IF NOT (length(n) > length(t) OR (length(n) = length(t) AND n COLLATE "C" > t COLLATE "C")) THEN
                RAISE EXCEPTION 'next_letter_code(%) = % goes back', t, n;
            END IF;
            computed := computed + 1;
        EXCEPTION WHEN invalid_text_representation OR program_limit_exceeded THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'letter codes: % computed, % refused', computed, refused;
END
$$;
DO $$
DECLARE
    pieces text[] := ARRAY['{{', '}}', '{', '}', '#', '^', '/', '!', '|', 'a', 'b', '.', 'money', 'date',
                           ' ', 'items', 'x', '{{#items}}', '{{/items}}', '{{.}}', '{{a.b}}', '{{^a}}',
                           '{{/a}}', '{{x|date}}', '{{a.b|money}}', 'é', E'\n', '{{{', '}}}', '{{#a}}'];
    ctx jsonb := '{"a": {"b": 1.5}, "items": [1, "2025-01-01", {"a": null}, [2, 3]], "x": "2025-02-30",
                   "money": -12.345, "date": "2025-03-01", "language": "fr"}';
    t text;
    rendered int := 0;
    refused int := 0;
BEGIN
    FOR i IN 1 .. 100000 LOOP
        t := '';
        FOR j IN 1 .. (random() * 14)::int LOOP
            t := t || pieces[1 + (random() * (array_length(pieces, 1) - 1))::int];
        END LOOP;
        BEGIN
            PERFORM dunning.render(t, ctx);
            rendered := rendered + 1;
        EXCEPTION WHEN data_exception OR syntax_error OR program_limit_exceeded
                       OR invalid_parameter_value THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'render: % rendered, % refused', rendered, refused;
END
$$;
SELECT 'escalation: ' || count(*) || ' verdicts'
  FROM (SELECT dunning._escalate(p, d, l, CASE WHEN l > 0 THEN '2025-06-01'::date - (random() * 400)::int END,
                                 '2025-06-01'),
               dunning._escalate_note(p, d, l, '2025-05-01', '2025-06-01')
          FROM unnest('{a,b,nope}'::text[]) p, generate_series(-3000, 3000, 7) d, generate_series(-2, 9) l) x;
DO $$
DECLARE
    computed int := 0;
    refused int := 0;
BEGIN
    FOR i IN 1 .. 20000 LOOP
        BEGIN
            PERFORM dunning.late_interest(round((random() * 2e6 - 1e5)::numeric, 2),
                                          '2016-01-01'::date + (random() * 4000)::int,
                                          '2016-01-01'::date + (random() * 4000)::int,
                                          (ARRAY['fr','eu','be','de','de_b2c','fixed','x'])[1 + (random() * 6)::int],
                                          (ARRAY['act/365','act/360','30/360','?'])[1 + (random() * 3)::int]);
            computed := computed + 1;
        EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'late interest: % computed, % refused', computed, refused;
END
$$;
SELECT 'server up: ' || (SELECT count(*) FROM dunning.template);
SQL
) 2>&1
echo "$out" | sed 's/^psql:[^ ]* NOTICE:  //'
echo "$out" | grep -q "server up: 27" || exit 1

# Where user text meets the PDF and the MIME writer: names, addresses,
# subjects and bodies made of line breaks, form feeds, tabs, right-to-left
# text, combining marks, emoji, quotes, header-like text and encoded-word
# markers, up to 10,000-character lines.  Every letter must print (and
# qpdf --check the PDFs), and no email header may gain a line of its own.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$P -c "INSERT INTO dunning.company (company_id, name, address, city, email, iban)
         VALUES ('F', E'Fuzz\nCo \u202eevil', E'1 rue\r\n\fBcc: x@y.example', 'Paris', 'f@fuzz.example', 'DE89370400440532013000')" \
   -c "INSERT INTO dunning.level (policy_id, level, min_days, channel, attach_letter) VALUES ('a', 3, 60, 'email', true)" \
   -c "INSERT INTO dunning.level_amount (policy_id, level, currency) SELECT 'a', level, 'USD' FROM dunning.level WHERE policy_id = 'a'"
out=$(scaled 2>&1 <<'SQL'
SELECT setseed(0.31);
DO $$
DECLARE
    pieces text[] := ARRAY[E'\n', E'\r\n', E'\r', E'\f', E'\t', ' ', 'Bcc: victim@example.com', '=?UTF-8?B?',
                           '?=', '"', '\\', '<', '>', 'Zażółć gęślą jaźń', 'Größe', 'Ça été', 'שלום עולם',
                           'مرحبا بالعالم', E'\u202e', E'\u200d', 'e' || E'\u0301', '👩‍💼', '%s', '{{x}}',
                           repeat('W', 10000), repeat('mot ', 2500), '.', E'\n.\n', 'Subject: x', ';', ','];
    t text;
    n int := 0;
    i int;
BEGIN
    FOR i IN 1 .. 120 LOOP
        t := '';
        FOR j IN 1 .. 1 + (random() * 5)::int LOOP
            t := t || pieces[1 + (random() * (array_length(pieces, 1) - 1))::int];
        END LOOP;
        INSERT INTO dunning.customer (customer_id, name, policy_id, language, email, address, postal_code, city, company_id)
        VALUES ('Z' || i, t, 'a', (ARRAY['en','fr','de','pl','ar'])[1 + (random() * 4)::int],
                'z' || i || '@fuzz.example', reverse(t), left(t, 12), right(t, 40), 'F');
        INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
        VALUES ('Z' || i, 'invoice', left(t, 60), '2025-01-01', '2025-01-31', 1 + (random() * 1e6)::int / 100.0,
                (ARRAY['EUR','EUR','USD'])[1 + (random() * 2)::int]);
    END LOOP;
    PERFORM count(*) FROM dunning.issue_reminders('2025-04-15', customers => (SELECT array_agg(customer_id) FROM dunning.customer WHERE customer_id LIKE 'Z%'));
    -- subjects and bodies as a user's template or an ERP could leave them
    UPDATE dunning.reminder r SET subject = c.name || ' ' || reverse(c.name), body = repeat(c.name, 3)
      FROM dunning.customer c WHERE c.customer_id = r.customer_id AND r.customer_id LIKE 'Z%';
END
$$;
DO $$
DECLARE
    r record;
    m text;
    l text;
    printed int := 0;
    mailed int := 0;
BEGIN
    FOR r IN SELECT customer_id, reminder_id FROM dunning.reminder WHERE customer_id LIKE 'Z%' LOOP
        IF substr(dunning.letter_pdf(r.customer_id, r.reminder_id), 1, 5) <> '%PDF-'::bytea THEN
            RAISE EXCEPTION 'letter % is not a PDF', r.reminder_id;
        END IF;
        printed := printed + 1;
        m := (dunning._email('reminder', r.customer_id, r.reminder_id)).mime;
        FOREACH l IN ARRAY string_to_array(split_part(m, E'\r\n\r\n', 1), E'\r\n') LOOP
            IF l !~ '^(Date|From|To|Cc|Subject|Message-ID|Content-Language|MIME-Version|Content-Type|Content-Transfer-Encoding): [ -~]*$'
               AND l !~ '^ [ -~]+$' THEN
                RAISE EXCEPTION 'email of reminder % has the header line %', r.reminder_id, left(l, 80);
            END IF;
        END LOOP;
        IF split_part(m, E'\r\n\r\n', 1) ~ E'[\r\n](?!\n)' AND replace(split_part(m, E'\r\n\r\n', 1), E'\r\n', '') ~ E'[\r\n]' THEN
            RAISE EXCEPTION 'email of reminder % has a bare line break in its header', r.reminder_id;
        END IF;
        mailed := mailed + 1;
    END LOOP;
    RAISE NOTICE 'delivery: % letters printed, % emails written, no header injected', printed, mailed;
END
$$;
-- the SMTP server's URL and the day's strategies: random text is taken
-- only in the documented forms, else refused with 22023
DO $$
DECLARE
    pieces text[] := ARRAY['smtp://', 'smtps://', 'http://', 'mail.example.com', '127.0.0.1', '[::1]', '[zz]',
                           ':', '25', '465', '999999', '/', '/x', ' ', '@', 'é', E'\n', '', 'a-b.c_d'];
    names text[] := ARRAY['reference', 'exact', 'subset', 'fifo', 'magic', ' ', ',', '', 'FIFO', 'fifo;'];
    t text;
    taken int := 0;
    refused int := 0;
BEGIN
    PERFORM dunning.as_of();    -- the library, and its checks
    FOR i IN 1 .. 20000 LOOP
        t := '';
        FOR j IN 1 .. (random() * 5)::int LOOP
            t := t || pieces[1 + (random() * (array_length(pieces, 1) - 1))::int];
        END LOOP;
        BEGIN
            PERFORM set_config('dunning.smtp_url', t, true);
            IF t <> '' AND t !~ '^smtps?://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]*\])(:[0-9]{1,5})?/?$' THEN
                RAISE EXCEPTION 'dunning.smtp_url took %', t;
            END IF;
            taken := taken + 1;
        EXCEPTION WHEN invalid_parameter_value THEN
            refused := refused + 1;
        END;
        t := '';
        FOR j IN 1 .. (random() * 4)::int LOOP
            t := t || names[1 + (random() * (array_length(names, 1) - 1))::int] || CASE WHEN random() < 0.7 THEN ',' ELSE '' END;
        END LOOP;
        BEGIN
            PERFORM set_config('dunning.daily_strategies', t, true);
            PERFORM dunning._daily_strategies();
            taken := taken + 1;
        EXCEPTION WHEN invalid_parameter_value THEN
            refused := refused + 1;
        END;
    END LOOP;
    RAISE NOTICE 'settings: % taken, % refused', taken, refused;
END
$$;
SQL
) 2>&1
echo "$out" | sed 's/^psql:[^ ]* NOTICE:  //'
echo "$out" | grep -q "delivery: 120 letters printed, 120 emails written" || exit 1
for id in $($P -c "SELECT customer_id || ':' || reminder_id FROM dunning.reminder WHERE customer_id LIKE 'Z%' ORDER BY random() LIMIT 15"); do
    $P -c "SELECT encode(dunning.letter_pdf('${id%%:*}', ${id##*:}), 'base64')" | base64 -d > "$work/l.pdf"
    qpdf --check "$work/l.pdf" >/dev/null || { echo "qpdf --check refuses the letter $id"; exit 1; }
    pdftotext "$work/l.pdf" /dev/null || { echo "pdftotext cannot read the letter $id"; exit 1; }
done
$P -c "SELECT encode(dunning.run_pdf(max(run_id)), 'base64') FROM dunning.run" | base64 -d > "$work/run.pdf"
qpdf --check "$work/run.pdf" >/dev/null || { echo "qpdf --check refuses the fuzzed run"; exit 1; }
echo "delivery: qpdf --check and pdftotext pass 15 fuzzed letters and the run of 120"
