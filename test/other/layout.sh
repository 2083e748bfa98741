#!/bin/bash
# The source layout of README "Layout": every object of the install script
# is created in exactly one file of src/, no file drops or alters an object
# another file created, and each C function an SQL file declares is defined
# in the C file of the same name when there is one.
set -euo pipefail
cd "$(dirname "$0")/../.."
/usr/bin/python3 - <<'PY'
import re, sys, glob
sources = re.search(r'SQL_SOURCES = (.*?)\nDATA', open('Makefile').read(), re.S).group(1).replace('\\', ' ').split()
bad = []
created = {}
kinds = r'(TABLE|VIEW|FUNCTION|AGGREGATE|TYPE|OPERATOR CLASS|OPERATOR|TRIGGER|POLICY|INDEX|CAST|DOMAIN)'
for f in sources:
    s = open(f).read()
    body = re.sub(r'\$(\w*)\$.*?\$\1\$', '', s, flags=re.S)     # quoted bodies
    body = re.sub(r'--[^\n]*', '', body)
    for m in re.finditer(r'\bCREATE (?:OR REPLACE )?' + kinds + r'\s+(@extschema@\.)?("?[\w.<>=@&|!~-]+"?)(\s*\([^)]*\))?(\s+ON\s+@extschema@\.\w+)?', body):
        kind, name, args, on = m.group(1), m.group(3), m.group(4) or '', m.group(5) or ''
        if kind == 'TYPE' and body[m.end():m.end() + 1] == ';':
            continue                                   # a shell type, completed below
        key = (kind, name + re.sub(r'\s+', '', args if kind in ('FUNCTION', 'AGGREGATE', 'OPERATOR', 'CAST') else '') + on)
        created.setdefault(key, []).append(f)
    for m in re.finditer(r'\b(DROP|ALTER)\s+(TABLE|VIEW|FUNCTION|AGGREGATE|TYPE)\s+(?:IF EXISTS\s+)?@extschema@\.(\w+)', body):
        owner = [g for (k, n), g in created.items() if n.split('(')[0] == m.group(3) and k == m.group(2)]
        if not owner or owner[0][0] != f:
            bad.append('%s: %s %s %s, created elsewhere' % (f, m.group(1), m.group(2), m.group(3)))
    base = f[:-4]
    for m in re.finditer(r"AS '(?:MODULE_PATHNAME|\$libdir/dunning_delivery)'(?:,\s*'(\w+)')?", s):
        sym = m.group(1)
        if sym is None:
            sym = re.findall(r'CREATE FUNCTION @extschema@\.(\w+)', s[:m.start()])[-1]
        owner = [c for c in glob.glob('src/*.c') if re.search(r'PG_FUNCTION_INFO_V1\(%s\)' % sym, open(c).read())]
        if len(owner) != 1:
            bad.append('%s: C function %s defined in %s' % (f, sym, owner or 'no C file'))
        elif glob.glob(base + '.c') and owner[0] != base + '.c':
            bad.append('%s: C function %s is in %s, not in %s.c' % (f, sym, owner[0], base))
for (kind, name), files in sorted(created.items()):
    if len(files) > 1:
        bad.append('%s %s created in %s' % (kind, name, ', '.join(files)))
for b in bad:
    print(b, file=sys.stderr)
print('%d objects in %d source files, each created once%s' % (len(created), len(sources), '' if not bad else ': NO'))
sys.exit(1 if bad else 0)
PY
