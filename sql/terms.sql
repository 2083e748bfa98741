-- Payment terms: the due date of a document.
CREATE EXTENSION dunning;
SET datestyle = ISO;

-- The worked examples: an invoice of 2025-03-10.
SELECT terms, dunning.due_date('2025-03-10', terms) AS due_date
  FROM unnest(ARRAY['30d', '60d', '45d+eom', 'eom+45d', 'eom+10d', '0d', 'eom',
                    '1m', '2m+eom', ' 30 d + EOM ', '30D+Eom+10d']) AS terms;

-- Months keep the day, or take the last day of a shorter month.
SELECT doc, dunning.due_date(doc, '1m') AS one_month, dunning.due_date(doc, '12m') AS one_year
  FROM unnest(ARRAY['2025-01-31', '2024-01-31', '2025-03-31', '2024-02-29', '2025-12-15']::date[]) doc;

-- Next business day: Saturday 2025-05-10 and Sunday 2025-05-11 move to Monday.
SELECT doc, to_char(doc, 'Dy') AS day, dunning.due_date(doc, 'nbd') AS nbd,
       to_char(dunning.due_date(doc, 'nbd'), 'Dy') AS nbd_day
  FROM unnest(ARRAY['2025-05-09', '2025-05-10', '2025-05-11', '2025-05-12']::date[]) doc;

-- A calendar of holidays: 2025-05-01 (Thu) and 2025-05-08 (Thu) are holidays in
-- France, 2025-05-09 is made a bridge day in calendar 'FR-bridge'.
INSERT INTO dunning.holiday (calendar, day, name) VALUES
    ('FR', '2025-01-01', 'Jour de l''an'),
    ('FR', '2025-05-01', 'Fête du travail'),
    ('FR', '2025-05-08', 'Victoire 1945'),
    ('FR', '2025-12-25', 'Noël'),
    ('FR-bridge', '2025-05-08', 'Victoire 1945'),
    ('FR-bridge', '2025-05-09', 'pont');
SELECT doc, terms, dunning.due_date(doc, terms) AS weekends_only,
       dunning.due_date(doc, terms, 'FR') AS fr,
       dunning.due_date(doc, terms, 'FR-bridge') AS fr_bridge
  FROM (VALUES ('2025-04-01'::date, '30d+nbd'), ('2025-04-08', '30d+nbd'),
               ('2025-03-31', '1m+nbd'), ('2025-11-30', 'eom+25d+nbd'),
               ('2024-12-01', 'eom+nbd')) AS t(doc, terms);

-- One call computes a whole ledger's due dates, calendar looked up once.
SELECT count(*), min(d), max(d)
  FROM (SELECT dunning.due_date(day::date, '45d+eom+nbd', 'FR') AS d
          FROM generate_series('2025-01-01'::date, '2025-12-31', '1 day') day) s;

-- Null document date gives null; an infinite one stays infinite.
SELECT dunning.due_date(NULL, '30d') IS NULL AS no_date,
       dunning.due_date('infinity', '30d') AS inf;

-- Bad terms, bad calendars, nulls where a value is needed.
SELECT dunning.due_date('2025-03-10', '30x');
SELECT dunning.due_date('2025-03-10', '30');
SELECT dunning.due_date('2025-03-10', 'd');
SELECT dunning.due_date('2025-03-10', '30d+');
SELECT dunning.due_date('2025-03-10', '30d++eom');
SELECT dunning.due_date('2025-03-10', '');
SELECT dunning.due_date('2025-03-10', 'net 30');
SELECT dunning.due_date('2025-03-10', '-5d');
SELECT dunning.due_date('2025-03-10', '99999d');
SELECT dunning.due_date('2025-03-10', '2000m');
SELECT dunning.due_date('2025-03-10', '1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d+1d');
SELECT dunning.due_date('5874897-12-01', '1m');
SELECT dunning.due_date('2025-03-10', NULL);
SELECT dunning.due_date('2025-03-10', '30d', 'XX');
SELECT dunning.due_date('2025-03-10', '30d', '');

-- A calendar of holidays only cannot give a business day.
INSERT INTO dunning.holiday (calendar, day)
  SELECT 'closed', d FROM generate_series('2025-01-01'::date, '2026-12-31', '1 day') d;
SELECT dunning.due_date('2025-03-10', 'nbd', 'closed');

DROP EXTENSION dunning;
