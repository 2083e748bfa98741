#!/usr/bin/python3
"""Every view and function twin of dunning read through psycopg2 (Debian's
python3-psycopg2), as Superset or an ERP script reads them, against psql's
text of the same rows (test/other/drivers.sh):

- each column's type in the driver's metadata (cursor.description) is the
  column's type in the catalog;
- each value, as psycopg2 returns it (Decimal, date, datetime, list, str,
  the raw jsonb text), is psql's text of it;
- a bucket compared with a text literal through its text form, and the
  bucket's label and bounds, work with the search path of a BI tool
  (public only).

Then LISTEN dunning_outbox: one notification per queued email, with the
documented payload, for reminders, messages and the managers' summaries.

Usage: read_all.py DBNAME DIR   the reads; psql's text of each relation is
                                left in DIR for ReadAll.java
       read_all.py DBNAME --listen  the notifications (it issues reminders)
(PGHOST etc. from the environment)
"""
import datetime
import decimal
import json
import os
import select
import subprocess
import sys

import psycopg2
import psycopg2.extras

DB = sys.argv[1]
SETTINGS = {'TimeZone': 'UTC', 'DateStyle': 'ISO', 'dunning.as_of': '2013-06-28',
            'search_path': 'public', 'extra_float_digits': '1'}
FS, RS, NULL = '\x1f', '\x1e', '\x1dNULL\x1d'
failures = []


def psql_text(sql):
    """psql's text of the rows of a query, with the same settings"""
    env = dict(os.environ)
    env['PGOPTIONS'] = ' '.join('-c %s=%s' % (k, v) for k, v in SETTINGS.items())
    out = subprocess.run(['psql', '-X', '-q', '-A', '-t', '-F', FS, '-R', RS, '-P', 'null=' + NULL,
                          '-v', 'ON_ERROR_STOP=1', '-d', DB, '-c', sql],
                         env=env, check=True, capture_output=True).stdout.decode()
    return out


def psql_rows(out):
    if out.endswith('\n'):
        out = out[:-1]
    rows = out.split(RS)
    if rows and rows[-1] in ('', '\n'):
        rows.pop()
    return [[None if f == NULL else f for f in r.split(FS)] for r in rows]


def array_text(v):
    def elem(x):
        if x is None:
            return 'NULL'
        s = as_text(x)
        if s == '' or any(c in s for c in '{},"\\ ') or s.upper() == 'NULL':
            return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'
        return s
    return '{' + ','.join(elem(x) for x in v) + '}'


def as_text(v):
    """a driver's value written as PostgreSQL writes it"""
    if isinstance(v, bool):
        return 't' if v else 'f'
    if isinstance(v, (int, decimal.Decimal, str)):
        return str(v)
    if isinstance(v, datetime.datetime):
        s = v.strftime('%Y-%m-%d %H:%M:%S')
        if v.microsecond:
            s += ('.%06d' % v.microsecond).rstrip('0')
        if v.tzinfo is not None:
            off = int(v.utcoffset().total_seconds() // 60)
            s += '%s%02d' % ('-' if off < 0 else '+', abs(off) // 60)
            if off % 60:
                s += ':%02d' % (abs(off) % 60)
        return s
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, list):
        return array_text(v)
    if isinstance(v, float):
        return repr(v)
    return repr(v)


def relations(cur):
    """the views, and the twins called with a date (as of the same day)"""
    cur.execute("""SELECT viewname FROM pg_views WHERE schemaname = 'dunning' ORDER BY 1""")
    out = [('view', v, 'dunning.%s' % v) for (v,) in cur.fetchall()]
    cur.execute("""SELECT p.proname FROM pg_proc p
                    WHERE p.pronamespace = 'dunning'::regnamespace AND p.proretset
                      AND p.pronargs = 1 AND p.proargtypes[0] = 'date'::regtype
                      AND p.proname !~ '^_' ORDER BY 1""")
    out += [('twin', f, "dunning.%s('2013-06-28')" % f) for (f,) in cur.fetchall()]
    return out


def catalog_types(cur, kind, name):
    if kind == 'view':
        cur.execute("""SELECT a.atttypid FROM pg_attribute a
                        WHERE a.attrelid = ('dunning.' || %s)::regclass AND a.attnum > 0 AND NOT a.attisdropped
                        ORDER BY a.attnum""", (name,))
        return [t for (t,) in cur.fetchall()]
    cur.execute("""SELECT t FROM pg_proc p, unnest(p.proallargtypes, p.proargmodes) WITH ORDINALITY x(t, m, i)
                    WHERE p.pronamespace = 'dunning'::regnamespace AND p.proname = %s
                      AND p.pronargs = 1 AND p.proargtypes[0] = 'date'::regtype AND m = 't' ORDER BY i""", (name,))
    return [t for (t,) in cur.fetchall()]


def connect():
    conn = psycopg2.connect(dbname=DB, options=' '.join('-c %s=%s' % (k, v) for k, v in SETTINGS.items()))
    conn.autocommit = True
    psycopg2.extras.register_default_jsonb(conn, loads=lambda s: s)   # the jsonb text itself
    return conn


def reads(directory):
    conn = connect()
    cur = conn.cursor()
    values = rels = 0
    listing = []
    for kind, name, source in relations(cur):
        sql = 'SELECT * FROM %s t ORDER BY t::text' % source
        cur.execute(sql)
        got = cur.fetchall()
        desc = cur.description
        types = [d.type_code for d in desc]
        want_types = catalog_types(cur, kind, name)
        if types != want_types:
            failures.append('%s %s: driver types %s, catalog %s' % (kind, name, types, want_types))
        text = psql_text(sql)
        want = psql_rows(text)
        with open(os.path.join(directory, kind + '_' + name), 'w') as f:
            f.write(text)
        cur.execute("""SELECT string_agg(y.typname, ',' ORDER BY x.i)
                         FROM unnest(%s::oid[]) WITH ORDINALITY x(t, i) JOIN pg_type y ON y.oid = x.t""",
                    (want_types,))
        listing.append('%s_%s\t%s\t%s\n' % (kind, name, source, cur.fetchone()[0]))
        if len(got) != len(want):
            failures.append('%s %s: %d rows by psycopg2, %d by psql' % (kind, name, len(got), len(want)))
            continue
        for r, (g, w) in enumerate(zip(got, want)):
            for c, (gv, wv) in enumerate(zip(g, w)):
                t = None if gv is None else as_text(gv)
                if t != wv:
                    failures.append('%s %s row %d column %s: psycopg2 %r (%s), psql %r'
                                    % (kind, name, r, desc[c].name, gv, t, wv))
                    break
                values += 1
        rels += 1
    with open(os.path.join(directory, 'relations'), 'w') as f:
        f.writelines(listing)
    print('ok - psycopg2: %d views and twins, %d values equal to psql\'s text, every column of the catalog\'s type'
          % (rels, values) if not failures else 'not ok - psycopg2 reads')

    # with a BI tool's search path (public only): the bucket through its text
    # form, its label and its bounds; min and max named with their schema
    cur.execute("""SELECT count(*) FILTER (WHERE bucket::text = '1..30'),
                          count(*) FILTER (WHERE bucket_from = 1 AND bucket_to = 30),
                          count(*) FILTER (WHERE bucket_label = '1-30 days'),
                          dunning.min(bucket)::text, dunning.max(bucket)::text
                     FROM dunning.open_items""")
    a, b, c, lo, hi = cur.fetchone()
    if not (a == b == c and a > 0 and lo == '..0'):
        failures.append('buckets from a BI search path: %s %s %s %s %s' % (a, b, c, lo, hi))
    else:
        print('ok - bucket::text = \'1..30\', bucket_from/bucket_to and bucket_label agree (%d items); min %s, max %s'
              % (a, lo, hi))



def listen():
    conn = connect()
    cur = conn.cursor()
    # LISTEN dunning_outbox: one notification per queued email
    listener = psycopg2.connect(dbname=DB)
    listener.autocommit = True
    lc = listener.cursor()
    lc.execute('LISTEN dunning_outbox')
    cur.execute("SELECT count(*) FROM dunning.issue_reminders('2013-06-28') WHERE status = 'queued'")
    emails = cur.fetchone()[0]
    cur.execute("""SELECT dunning.create_payment_plan(customer_id, array_agg(entry_id ORDER BY entry_id),
                                                      '{2013-07-31}', ARRAY[sum(open_amount)])
                     FROM dunning.entry
                    WHERE customer_id = (SELECT max(e.customer_id) FROM dunning.entry e
                                          WHERE e.ref LIKE 'OPEN-%%')
                      AND ref LIKE 'OPEN-%%'
                    GROUP BY customer_id""")
    cur.execute("UPDATE dunning.credit_manager SET email = manager_id || '@example.com'")
    cur.execute("CALL dunning.daily_run('2013-06-28')")
    got = []
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=10)
    while datetime.datetime.now() < deadline:
        if select.select([listener], [], [], 0.5) == ([], [], []):
            if got:
                break
            continue
        listener.poll()
        while listener.notifies:
            got.append(json.loads(listener.notifies.pop(0).payload))
    reminders = [p for p in got if set(p) == {'customer_id', 'reminder_id'}]
    messages = [p for p in got if set(p) == {'customer_id', 'message_id'}]
    digests = [p for p in got if set(p) == {'manager_id', 'digest_id'}]
    cur.execute("SELECT count(*) FROM dunning.digest")
    n_digests = cur.fetchone()[0]
    if len(reminders) != emails or len(messages) != 1 or len(digests) != n_digests or \
            len(got) != emails + 1 + n_digests:
        failures.append('LISTEN dunning_outbox: %d reminders (want %d), %d messages (want 1), %d digests (want %d), %d in all'
                        % (len(reminders), emails, len(messages), len(digests), n_digests, len(got)))
    else:
        print('ok - LISTEN dunning_outbox: %d reminder emails {customer_id, reminder_id}, 1 message {customer_id, message_id}, '
              '%d summaries {manager_id, digest_id}' % (emails, n_digests))


def finish():
    for f in failures[:20]:
        print('FAIL:', f, file=sys.stderr)
    sys.exit(1 if failures else 0)


if sys.argv[2] == '--listen':
    listen()
else:
    reads(sys.argv[2])
finish()
