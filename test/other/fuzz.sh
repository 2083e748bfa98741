#!/bin/bash
# Random input for the C functions of 0.2.0: 100,000 templates for render
# (braces, sections, filters, names, text), the escalation over odd days,
# levels and dates, late interest over odd amounts and periods.  Errors are
# expected; the server must stay up and answer after each batch.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dunning_fuzz
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
P="psql -X -q -At -v ON_ERROR_STOP=1 -d $db"
$P -c "CREATE EXTENSION dunning" \
   -c "INSERT INTO dunning.policy (policy_id, name, currency, allow_skip, repeat_last, grace_days) VALUES
         ('a', 'a', 'EUR', false, false, 0), ('b', 'b', 'EUR', true, true, 3)" \
   -c "INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days) VALUES
         ('a', 1, 1, 0), ('a', 2, 15, 10), ('b', 1, -5, 0), ('b', 3, 30, 7), ('b', 7, 90, 30)"
out=$($P <<'SQL'
SELECT setseed(0.77);
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
echo "$out" | grep -q "server up: 18" || exit 1
