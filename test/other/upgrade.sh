#!/bin/bash
# ALTER EXTENSION UPDATE from every released version gives the objects a new
# install gives: the same functions (with their bodies and privileges),
# tables, columns, constraints, indexes, triggers, views (and options),
# policies, row security and shipped rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
P="psql -X -q -At -v ON_ERROR_STOP=1"
released="0.1.0 0.2.0 0.3.0 0.4.0"
dropdb --if-exists dunning_installed >/dev/null 2>&1; createdb dunning_installed
$P -d dunning_installed -c "CREATE EXTENSION dunning"
catalog() {
    $P -d "$1" <<'SQL'
SELECT 'version ' || extversion FROM pg_extension WHERE extname = 'dunning';
SELECT 'function ' || p.oid::regprocedure || ' ' || p.provolatile::text || p.proparallel::text || p.prosecdef::text
       || ' ' || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || md5(p.prosrc)
       || ' ' || coalesce(p.proacl::text, 'default') || ' rows ' || p.prorows || ' ' || p.prosupport::regproc::text
  FROM pg_proc p WHERE p.pronamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = 'dunning'::regnamespace ORDER BY 1;
SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'dunning'::regnamespace AND NOT t.tgisinternal ORDER BY 1;
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
exit $status
