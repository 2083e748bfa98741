-- pgTAP: the business day (README "The as-of date").  With dunning.time_zone
-- set, dunning.as_of() is today in that zone whatever the session's
-- TimeZone; without it, the session's current_date.  Kiritimati (UTC+14)
-- and Pago Pago (UTC-11) are 25 hours apart: their dates always differ.
\i test/pgtap/setup.psql
SELECT plan(12);

SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::date AS kiritimati,
       (now() AT TIME ZONE 'Pacific/Pago_Pago')::date AS pago,
       (now() AT TIME ZONE 'Europe/Paris')::date AS paris \gset

-- without a business time zone: the session's day
SET TimeZone = 'Pacific/Kiritimati';
SELECT is(dunning.as_of(), :'kiritimati'::date, 'no dunning.time_zone: a session in Kiritimati reads its own day');
SET TimeZone = 'Pacific/Pago_Pago';
SELECT is(dunning.as_of(), :'pago'::date, 'and a session in Pago Pago its own, the day before');

-- with one: the same day for every session
SET dunning.time_zone = 'Europe/Paris';
SELECT is(dunning.as_of(), :'paris'::date, 'dunning.time_zone Europe/Paris: the day in Paris, from Pago Pago');
SET TimeZone = 'Pacific/Kiritimati';
SELECT is(dunning.as_of(), :'paris'::date, 'the same day from Kiritimati');
SET TimeZone = 'America/Los_Angeles';
SELECT is(dunning.as_of(), :'paris'::date, 'and from Los Angeles');
SET dunning.time_zone = 'Pacific/Kiritimati';
SET TimeZone = 'Pacific/Pago_Pago';
SELECT is(dunning.as_of(), :'kiritimati'::date, 'a business zone ahead of the session: its day, the session''s tomorrow');
SELECT is(dunning._today(), :'kiritimati'::date, '_today() is that day too');

-- issuing as of the business day is not "a day to come" for a session behind it
SELECT lives_ok($$SELECT count(*) FROM dunning.issue_reminders()$$,
                'issue_reminders() as of the business day, from a session a day behind');
SELECT is(pg_temp.error_of(format($$SELECT count(*) FROM dunning.issue_reminders(%L::date + 1)$$, :'kiritimati')),
          '22023 with a detail', 'the day after the business day is a day to come');

-- dunning.as_of still wins
SET dunning.as_of = '2025-06-30';
SELECT is(dunning.as_of(), '2025-06-30'::date, 'dunning.as_of overrides the business day');
RESET dunning.as_of;

-- a zone the server does not know is refused, and the setting stays
SELECT is(pg_temp.error_of($$SET dunning.time_zone = 'Mars/Olympus_Mons'$$), '22023 with a detail',
          'an unknown time zone: 22023 with a detail');
SELECT is(current_setting('dunning.time_zone'), 'Pacific/Kiritimati', 'the setting is unchanged');

RESET dunning.time_zone;
RESET TimeZone;
SELECT * FROM finish();
ROLLBACK;
