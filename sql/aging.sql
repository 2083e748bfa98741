-- The aging interval type: buckets of days relative to the due date.
CREATE EXTENSION dunning;
SET datestyle = ISO;
-- the operators live in schema dunning, as a user would have it:
SET search_path = public, dunning;

-- Every accepted spelling, and its canonical form.
SELECT input, input::dunning.aging AS aging
  FROM unnest(ARRAY['1..30', '31-60', '121+', '..0', '-30..-1', '[31,60]',
                    ' 61 .. 90 ', '(30,61)', '[,0]', '[121,]', '..', '7',
                    '-5 - 5', '0..0', '..-31']) AS input;

-- Bad text: junk, overflow, lower above upper, empty.
SELECT 'abc'::dunning.aging;
SELECT '1..30 days'::dunning.aging;
SELECT '31-'::dunning.aging;
SELECT '[1,30'::dunning.aging;
SELECT '1..2147483647'::dunning.aging;
SELECT '-2147483648..0'::dunning.aging;
SELECT '99999999999999999999+'::dunning.aging;
SELECT '60..31'::dunning.aging;
SELECT '(5,5)'::dunning.aging;
SELECT ''::dunning.aging;
SELECT '   '::dunning.aging;

-- Order: by lower bound, then upper bound; unbounded ends sort first / last.
SELECT a FROM unnest('{121..,31..60,..0,1..30,..,1..60,-30..-1,..-31}'::dunning.aging[]) a
 ORDER BY a;
SELECT '1..30'::dunning.aging = '[1,30]' AS eq, '1..30'::dunning.aging <> '1..31' AS ne,
       '1..30'::dunning.aging < '1..31' AS lt, '..0'::dunning.aging < '-30..-1' AS unbounded_first,
       '121..'::dunning.aging > '121..200' AS unbounded_last,
       '31..60'::dunning.aging >= '31..60' AS ge, '31..60'::dunning.aging <= '1..30' AS le;

-- Containment and overlap.
SELECT '1..30'::dunning.aging @> 30 AS has_30, '1..30'::dunning.aging @> 31 AS has_31,
       45 <@ '31..60'::dunning.aging AS in_31_60, '121..'::dunning.aging @> 100000 AS far,
       '..0'::dunning.aging @> -400 AS before,
       '1..60'::dunning.aging @> '31..60'::dunning.aging AS contains,
       '31..60'::dunning.aging <@ '1..60'::dunning.aging AS contained,
       '1..30'::dunning.aging && '30..60' AS touches, '1..30'::dunning.aging && '31..60' AS apart;

-- Bounds, constructor and casts to and from int4range.
SELECT dunning.lower(a), dunning.upper(a), a::int4range AS range
  FROM unnest('{1..30,121..,..0,..}'::dunning.aging[]) a;
SELECT dunning.aging(31, 60), dunning.aging(121, NULL), dunning.aging(NULL, 0);
SELECT dunning.aging(60, 31);
SELECT '[1,31)'::int4range::dunning.aging, '(0,30]'::int4range::dunning.aging,
       '[121,)'::int4range::dunning.aging, '(,1)'::int4range::dunning.aging;
SELECT 'empty'::int4range::dunning.aging;
SELECT '[-2147483648,0]'::int4range::dunning.aging;

-- Indexes and hashing: the btree and hash operator classes.
CREATE TABLE buckets (b dunning.aging PRIMARY KEY, label text);
INSERT INTO buckets
  SELECT a, dunning.label(a) FROM unnest(dunning.default_scheme()) a;
INSERT INTO buckets VALUES ('[1,30]', 'again');
CREATE INDEX buckets_hash ON buckets USING hash (b);
SET enable_seqscan = off;
SELECT label FROM buckets WHERE b = '31-60';
RESET enable_seqscan;
SELECT b, count(*) FROM (SELECT dunning.bucket(d) AS b FROM generate_series(-10, 200) d) s
 GROUP BY b ORDER BY b;
DROP TABLE buckets;

-- bucket() with the default scheme and with a scheme of one's own.
SELECT dunning.default_scheme();
SELECT d, dunning.bucket(d) AS bucket, dunning.label(dunning.bucket(d)) AS en,
       dunning.label(dunning.bucket(d), 'fr') AS fr
  FROM unnest(ARRAY[-45, -1, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 3650]) d;
SELECT d, dunning.bucket(d, '{..-31,-30..-1,0..0,1..15,16..45,46..}') AS bucket
  FROM unnest(ARRAY[-60, -30, -1, 0, 1, 15, 16, 45, 46]) d;
-- the scheme is validated whatever its order; a day it does not cover gives NULL
SELECT dunning.bucket(40, '{31..60,1..30}'), dunning.bucket(90, '{31..60,1..30}'),
       dunning.bucket(NULL, '{1..30}');
SELECT dunning.bucket(35, '{1..30,40..60}');
SELECT dunning.bucket(35, '{1..30,36..60}');
SELECT dunning.bucket(35, '{1..30,20..60}');
SELECT dunning.bucket(35, '{1..30,1..30}');
SELECT dunning.bucket(35, '{}');
SELECT dunning.bucket(35, '{1..30,NULL}');
SELECT dunning.bucket(35, NULL);
-- a scheme that changes from row to row
SELECT s, dunning.bucket(10, s::dunning.aging[]) FROM unnest(ARRAY['{1..9,10..}', '{..10,11..}', '{1..9,10..}']::text[]) s;

-- Labels in English and French, for every shape of interval.
SELECT a, dunning.label(a) AS en, dunning.label(a, 'fr') AS fr
  FROM unnest('{..0,1..30,31..60,121..,1..,1..1,2..2,..,-30..-1,..-31,-7..0,0..0,-1..-1,..30,-5..5,0..}'::dunning.aging[]) a;
SELECT dunning.label('1..30', 'fr_BE'), dunning.label('1..30', 'en-GB'), dunning.label('1..30', 'FR');
SELECT dunning.label('1..30', 'de');
SELECT dunning.label('1..30', NULL);
SELECT dunning.label(NULL, 'fr');

-- days_overdue: negative before the due date.
SELECT dunning.days_overdue('2025-03-31', '2025-03-01') AS before,
       dunning.days_overdue('2025-03-31', '2025-03-31') AS on_due,
       dunning.days_overdue('2025-03-31', '2025-06-30') AS after;

-- Binary send / receive round trip (COPY BINARY).
CREATE TABLE rt (a dunning.aging);
INSERT INTO rt SELECT unnest('{1..30,121..,..0,..,-30..-1}'::dunning.aging[]);
COPY rt TO '/tmp/dunning_aging.bin' WITH (FORMAT binary);
CREATE TABLE rt2 (a dunning.aging);
COPY rt2 FROM '/tmp/dunning_aging.bin' WITH (FORMAT binary);
SELECT (SELECT array_agg(a ORDER BY a) FROM rt) = (SELECT array_agg(a ORDER BY a) FROM rt2) AS same;
DROP TABLE rt, rt2;

RESET search_path;
DROP EXTENSION dunning;
