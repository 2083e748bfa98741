#!/bin/bash
# ALTER EXTENSION UPDATE from every released version gives the objects a new
# install gives: the same functions (with their bodies, BEGIN ATOMIC ones
# included, and privileges), tables, columns (in order), constraints,
# indexes, triggers, views (and options), policies, row security and shipped
# rows.  Then a user's view on the aged balance and a grant to a role made
# on 0.5.0 survive the update to the current version.
set -euo pipefail
cd "$(dirname "$0")/../.."
P="psql -X -q -At -v ON_ERROR_STOP=1"
released="0.1.0 0.2.0 0.3.0 0.4.0 0.5.0"
dropdb --if-exists dunning_installed >/dev/null 2>&1; createdb dunning_installed
$P -d dunning_installed -c "CREATE EXTENSION dunning"
catalog() {
    $P -d "$1" <<'SQL'
SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'dunning';
SELECT 'function ' || p.oid::regprocedure || ' ' || p.provolatile::text || p.proparallel::text || p.prosecdef::text
       || ' ' || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || md5(p.prosrc)
       || ' ' || coalesce(p.proacl::text, 'default') || ' rows ' || p.prorows || ' ' || p.prosupport::regproc::text
       || ' ' || md5(CASE WHEN p.prokind = 'a' THEN '' ELSE pg_get_functiondef(p.oid) END)
  FROM pg_proc p WHERE p.pronamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' #' || rank() OVER (PARTITION BY c.oid ORDER BY a.attnum)
       || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'dunning'::regnamespace AND NOT t.tgisinternal ORDER BY 1;
SELECT 'constraint triggers ' || k.conname || ' ' || string_agg(t.tgenabled::text, '' ORDER BY t.tgenabled)
  FROM pg_trigger t JOIN pg_constraint k ON k.oid = t.tgconstraint
 WHERE k.connamespace = 'dunning'::regnamespace GROUP BY k.conname ORDER BY 1;
SELECT 'view ' || c.relname || ' ' || md5(pg_get_viewdef(c.oid)) FROM pg_class c
 WHERE c.relnamespace = 'dunning'::regnamespace AND c.relkind = 'v' ORDER BY 1;
SELECT 'options ' || c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), '')
       || ' rls ' || c.relrowsecurity || c.relforcerowsecurity || ' ' || coalesce(c.relacl::text, 'default')
  FROM pg_class c
 WHERE c.relnamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || md5(qual || with_check)
  FROM pg_policies WHERE schemaname = 'dunning' ORDER BY 1;
SELECT 'dump ' || unnest(extconfig)::regclass || ' ' || unnest(extcondition) FROM pg_extension WHERE extname = 'dunning' ORDER BY 1;
SELECT 'templates ' || count(*) || ' ' || md5(string_agg(key || language || channel || subject || body, ',' ORDER BY key, language, channel))
  FROM dunning.template;
SELECT 'rates ' || count(*) || ' ' || md5(string_agg(series || valid_from || rate, ',' ORDER BY series, valid_from))
  FROM dunning.reference_rate;
SQL
}
catalog dunning_installed > /tmp/dunning_installed.txt
status=0
for v in $released; do
    dropdb --if-exists dunning_upgraded >/dev/null 2>&1; createdb dunning_upgraded
    $P -d dunning_upgraded -c "CREATE EXTENSION dunning VERSION '$v'" -c "ALTER EXTENSION dunning UPDATE"
    catalog dunning_upgraded > /tmp/dunning_upgraded.txt
    if ! diff -u /tmp/dunning_installed.txt /tmp/dunning_upgraded.txt; then
        echo "$v + ALTER EXTENSION UPDATE differs from a new install" >&2
        status=1
    else
        echo "upgrade $v -> $(head -1 /tmp/dunning_installed.txt | cut -d' ' -f2): $(wc -l < /tmp/dunning_installed.txt) catalog facts equal"
    fi
done

# a user's objects on 0.5.0: a view on the aged balance, a view on the
# proposal, grants to a role on them and on a function
role=dunning_upgrade_reader
psql -X -q -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
dropdb --if-exists dunning_upgraded >/dev/null 2>&1; createdb dunning_upgraded
$P -d dunning_upgraded <<SQL
CREATE ROLE $role;
CREATE EXTENSION dunning VERSION '0.5.0';
CREATE VIEW public.late_customers AS
    SELECT customer_id, name, overdue FROM dunning.aged_balance WHERE overdue > 0;
CREATE VIEW public.letters_to_send AS
    SELECT customer_id, level, total FROM dunning.reminder_proposal;
CREATE VIEW public.money AS SELECT currency, overdue FROM dunning.dashboard;
GRANT USAGE ON SCHEMA dunning TO $role;
GRANT SELECT ON dunning.aged_balance, dunning.reminder_proposal, dunning.customer,
                dunning.entry, dunning.allocation, dunning.row_security, dunning.credit_manager TO $role;
GRANT SELECT ON public.late_customers, dunning.dashboard TO $role;
GRANT EXECUTE ON FUNCTION dunning.enable_row_security() TO $role;
INSERT INTO dunning.policy (policy_id, name, currency) VALUES ('std', 'Standard', 'EUR');
INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('C1', 'Client', 'std');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
    VALUES ('C1', 'invoice', 'F1', '2025-01-01', '2025-01-31', 100, 'EUR');
-- counters as 0.5.0 could leave them (a subtransaction rolled back in the
-- middle of a statement): a hand-made reminder whose line was not counted;
-- the line charged the compensation (1.0.0's entry.compensated, counted by
-- the update)
INSERT INTO dunning.customer (customer_id, name, policy_id) VALUES ('C2', 'Other', 'std');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
    VALUES ('C2', 'invoice', 'F2', '2025-01-01', '2025-01-31', 50, 'EUR');
INSERT INTO dunning.reminder (customer_id, as_of, level, channel, currency)
    VALUES ('C2', '2025-03-01', 2, 'letter', 'EUR');
INSERT INTO dunning.reminder_line (customer_id, reminder_id, entry_id, level, days_overdue, open_amount,
                                   compensation)
    SELECT 'C2', r.reminder_id, e.entry_id, 2, 29, 50, 40
      FROM dunning.reminder r, dunning.entry e WHERE r.customer_id = 'C2' AND e.customer_id = 'C2';
ALTER TABLE dunning.entry DISABLE TRIGGER entry_open_amount;
ALTER TABLE dunning.customer DISABLE TRIGGER customer_counters;
UPDATE dunning.entry SET reminder_count = 0, last_reminded_on = NULL, level = 0 WHERE customer_id = 'C2';
UPDATE dunning.customer SET reminder_count = 3, level = 1 WHERE customer_id = 'C1';
ALTER TABLE dunning.entry ENABLE TRIGGER entry_open_amount;
ALTER TABLE dunning.customer ENABLE TRIGGER customer_counters;
SQL
$P -d dunning_upgraded -c "ALTER EXTENSION dunning UPDATE"
facts=$($P -d dunning_upgraded <<SQL
SELECT extversion FROM pg_extension WHERE extname = 'dunning';
SELECT count(*) FROM public.late_customers WHERE customer_id = 'C1';
SELECT string_agg(e.customer_id || ':' || e.reminder_count || ':' || coalesce(e.last_reminded_on::text, '-') || ':' || e.level
                  || ':' || e.compensated, ' ' ORDER BY e.customer_id)
  FROM dunning.entry e;
SELECT string_agg(c.customer_id || ':' || c.reminder_count || ':' || c.level, ' ' ORDER BY c.customer_id)
  FROM dunning.customer c;
SELECT count(*) FROM public.money, dunning.dashboard d WHERE d.customers_on_hold = 0;
SELECT has_table_privilege('$role', 'dunning.aged_balance', 'SELECT'),
       has_table_privilege('$role', 'public.late_customers', 'SELECT'),
       has_table_privilege('$role', 'dunning.dashboard', 'SELECT'),
       has_function_privilege('$role', 'dunning.enable_row_security()', 'EXECUTE');
SET ROLE $role;
SET dunning.as_of = '2025-06-30';
SELECT overdue FROM public.late_customers WHERE customer_id = 'C1';
SELECT count(*) FROM dunning.aged_balance WHERE customer_id = 'C1';
RESET ROLE;
SQL
)
dropdb dunning_upgraded
psql -X -q -c "DROP ROLE $role" >/dev/null
expected="$(head -1 /tmp/dunning_installed.txt | cut -d' ' -f2)
1
C1:0:-:0:false C2:1:2025-03-01:2:true
C1:0:0 C2:1:2
1
t|t|t|t
100
1"
if [ "$facts" != "$expected" ]; then
    echo "a user's views and grants on 0.5.0 did not survive ALTER EXTENSION UPDATE:" >&2
    diff <(echo "$expected") <(echo "$facts") >&2 || true
    status=1
else
    echo "user views and grants made on 0.5.0 survive the update: the view on aged_balance reads 100 overdue, the dashboard gains its credit columns under a user's view, the role keeps its grants; counters left wrong by 0.5.0 are counted again, entry.compensated with them"
fi
exit $status
