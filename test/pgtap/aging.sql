-- pgTAP: the aging type's catalog facts and error codes.
\i test/pgtap/setup.psql
SET LOCAL search_path = public, dunning;
SELECT plan(87);

-- the type is complete
SELECT has_type('dunning', 'aging', 'type dunning.aging exists');
SELECT is((SELECT typlen::int FROM pg_type WHERE oid = 'dunning.aging'::regtype), 8, 'aging has a fixed 8-byte form');
SELECT isnt((SELECT typreceive::text FROM pg_type WHERE oid = 'dunning.aging'::regtype), '-', 'aging has binary receive');
SELECT isnt((SELECT typsend::text FROM pg_type WHERE oid = 'dunning.aging'::regtype), '-', 'aging has binary send');
SELECT ok(EXISTS (SELECT 1 FROM pg_opclass WHERE opcname = 'aging_ops' AND opcdefault
                   AND opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')), 'default btree opclass');
SELECT ok(EXISTS (SELECT 1 FROM pg_opclass WHERE opcname = 'aging_hash_ops' AND opcdefault
                   AND opcmethod = (SELECT oid FROM pg_am WHERE amname = 'hash')), 'default hash opclass');
SELECT is((SELECT count(*)::int FROM pg_operator WHERE oprnamespace = 'dunning'::regnamespace
            AND oprname IN ('=', '<>', '<', '<=', '>', '>=') AND oprleft = 'dunning.aging'::regtype
            AND oprcom <> 0 AND oprnegate <> 0 AND oprrest <> 0 AND oprjoin <> 0), 6,
          'comparison operators have commutator, negator and estimators');
SELECT ok(oprcanhash AND oprcanmerge, '= hashes and merges')
  FROM pg_operator WHERE oprnamespace = 'dunning'::regnamespace AND oprname = '='
   AND oprleft = 'dunning.aging'::regtype;
SELECT is((SELECT count(*)::int FROM pg_operator WHERE oprnamespace = 'dunning'::regnamespace
            AND oprname IN ('@>', '<@', '&&')), 5, 'containment and overlap operators');
SELECT is((SELECT castcontext::text FROM pg_cast WHERE castsource = 'dunning.aging'::regtype
            AND casttarget = 'int4range'::regtype), 'e', 'cast to int4range is explicit');
SELECT is((SELECT castcontext::text FROM pg_cast WHERE castsource = 'int4range'::regtype
            AND casttarget = 'dunning.aging'::regtype), 'e', 'cast from int4range is explicit');

-- every function is marked deliberately
SELECT volatility_is('dunning', 'bucket', ARRAY['integer', 'aging[]'], 'immutable');
SELECT volatility_is('dunning', 'label', ARRAY['aging', 'text'], 'immutable');
SELECT volatility_is('dunning', 'default_scheme', ARRAY[]::text[], 'immutable');
SELECT volatility_is('dunning', 'days_overdue', ARRAY['date', 'date'], 'immutable');
SELECT volatility_is('dunning', 'due_date', ARRAY['date', 'text', 'text'], 'stable');
SELECT volatility_is('dunning', 'as_of', ARRAY[]::text[], 'stable');
SELECT volatility_is('dunning', 'aged_balance', ARRAY['date'], 'stable');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'dunning'::regnamespace
            AND provolatile IN ('i', 's') AND proparallel <> 's'), 0,
          'every IMMUTABLE or STABLE function is PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'dunning'::regnamespace
            AND provolatile = 'v' AND proparallel <> 'u' AND prorettype <> 'trigger'::regtype
            -- VOLATILE only to keep a subquery, they read and change nothing
            AND oid <> 'dunning._judge'::regproc AND oid <> 'dunning._letter_item'::regproc), 0,
          'every function that writes is PARALLEL UNSAFE');
-- but _judge, VOLATILE only so that _judged's subquery is kept (it writes
-- nothing), runs on the parallel workers
SELECT is((SELECT (provolatile, proparallel)::text FROM pg_proc WHERE oid = 'dunning._judge'::regproc),
          '(v,s)', '_judge is VOLATILE and PARALLEL SAFE');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'dunning'::regnamespace
            AND prosecdef), 0, 'no SECURITY DEFINER function');

-- text input: error codes, table-driven
SELECT throws_ok(format('SELECT %L::dunning.aging', t.input), t.code, NULL, 'aging ' || quote_literal(t.input) || ' raises ' || t.code)
  FROM (VALUES ('abc', '22P02'), ('1..30x', '22P02'), ('31-', '22P02'), ('[1,30', '22P02'),
               ('', '22P02'), ('1...30', '22P02'), ('1,30', '22P02'), ('--1', '22P02'),
               ('60..31', '22P02'), ('(5,5)', '22P02'), ('[5,5)', '22P02'),
               ('1..2147483647', '22003'), ('-2147483648..', '22003'),
               ('99999999999999999999999', '22003'), ('(2147483646,]', '22003'),
               ('[,-2147483647)', '22003')) AS t(input, code);

-- good input round-trips through its canonical form
SELECT is(t.input::dunning.aging::text, t.canonical, 'aging ' || quote_literal(t.input))
  FROM (VALUES ('1..30', '1..30'), ('31-60', '31..60'), ('121+', '121..'), ('..0', '..0'),
               ('-30..-1', '-30..-1'), ('[31,60]', '31..60'), ('(30,60)', '31..59'),
               (' 1 .. 30 ', '1..30'), ('..', '..'), ('7', '7..7'),
               ('-2147483647..2147483646', '-2147483647..2147483646')) AS t(input, canonical);
SELECT is(t.input::dunning.aging::text::dunning.aging, t.input::dunning.aging, 'canonical text of ' || t.input || ' reads back equal')
  FROM unnest(ARRAY['1..30', '121..', '..0', '..', '-30..-1']) AS t(input);

-- functions
SELECT throws_ok($$SELECT dunning.bucket(1, '{1..30,40..60}')$$, '22023', 'aging scheme has a gap', 'gap in scheme');
SELECT throws_ok($$SELECT dunning.bucket(1, '{1..30,30..60}')$$, '22023', 'aging scheme has overlapping buckets', 'overlap in scheme');
SELECT throws_ok($$SELECT dunning.bucket(1, '{}')$$, '22023', NULL, 'empty scheme');
SELECT throws_ok($$SELECT dunning.bucket(1, '{1..30,NULL}')$$, '22004', NULL, 'NULL bucket in scheme');
SELECT throws_ok($$SELECT dunning.bucket(1, NULL)$$, '22004', NULL, 'NULL scheme');
SELECT throws_ok($$SELECT dunning.label('1..30', 'xx')$$, '22023', NULL, 'unknown language');
SELECT throws_ok($$SELECT dunning.label('1..30', NULL)$$, '22004', NULL, 'NULL language');
SELECT throws_ok($$SELECT dunning.aging(5, 1)$$, '22000', NULL, 'constructor lower > upper');
SELECT throws_ok($$SELECT 'empty'::int4range::dunning.aging$$, '22000', NULL, 'empty range');
SELECT is(dunning.bucket(NULL::integer), NULL, 'NULL day has no bucket');
SELECT is(dunning.bucket(d)::text, b, 'day ' || d || ' in ' || b)
  FROM (VALUES (-1000, '..0'), (0, '..0'), (1, '1..30'), (30, '1..30'), (31, '31..60'),
               (60, '31..60'), (61, '61..90'), (90, '61..90'), (91, '91..120'),
               (120, '91..120'), (121, '121..'), (2147483646, '121..')) AS t(d, b);
SELECT is(dunning.label(dunning.bucket(d), l), lab, d || ' days in ' || l)
  FROM (VALUES (0, 'en', 'not due'), (15, 'en', '1-30 days'), (200, 'en', 'over 120 days'),
               (0, 'fr', 'non échu'), (15, 'fr', '1 à 30 jours'), (200, 'fr', 'plus de 120 jours')) AS t(d, l, lab);

-- every day falls in the bucket that contains it, for many days
SELECT is((SELECT count(*)::int FROM generate_series(-500, 500) d
            WHERE NOT (dunning.bucket(d) @> d)), 0, 'bucket(d) @> d for 1001 days');
SELECT is((SELECT count(*)::int FROM generate_series(-500, 500) d,
                 unnest(dunning.default_scheme()) b
            WHERE (b @> d) <> (d <@ b) OR (b @> d) <> (b::int4range @> d)), 0,
          '@>, <@ and int4range containment agree');
SELECT is((SELECT count(*)::int FROM unnest(dunning.default_scheme()) a, unnest(dunning.default_scheme()) b
            WHERE (a && b) <> (a::int4range && b::int4range)), 0, '&& agrees with int4range');
SELECT is((SELECT count(*)::int FROM unnest(dunning.default_scheme()) a, unnest(dunning.default_scheme()) b
            WHERE (a < b) <> (dunning.aging_cmp(a, b) < 0) OR (a = b) <> (a::text = b::text)), 0,
          'operators agree with the btree support function');
SELECT is((SELECT count(DISTINCT dunning.aging_hash(a))::int FROM unnest(dunning.default_scheme()) a), 6,
          'hash separates the default buckets');

SELECT * FROM finish();
ROLLBACK;
