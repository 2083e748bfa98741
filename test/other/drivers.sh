#!/bin/bash
# Every view and twin read through the real drivers BI tools and ERP code
# use, from Debian's packages: psycopg2 (python3-psycopg2) and pgjdbc
# (libpostgresql-jdbc-java, with default-jdk-headless) in text and in
# binary transfer; their metadata and values against psql's text; LISTEN
# dunning_outbox's payloads (test/drivers/, README "Reading dunning from BI
# tools and ERP code").
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dunning_drivers
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CREATE EXTENSION dunning" -f test/drivers/fixture.sql >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
/usr/bin/python3 test/drivers/read_all.py $db "$work" || status=1
# pgjdbc, compiled here; the types ReadAll compares are those psql's side wrote
javac -d "$work" -cp /usr/share/java/postgresql.jar test/drivers/ReadAll.java
java -Duser.timezone=UTC -cp "$work:/usr/share/java/postgresql.jar" ReadAll $db "$work" || status=1
/usr/bin/python3 test/drivers/read_all.py $db --listen || status=1
exit $status
