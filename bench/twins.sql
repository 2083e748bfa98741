-- bench/twins.sql: are the view twins still inlined, and how long does each
-- view take?  psql -v runs=N -f bench/twins.sql in a database with a ledger
-- (bench/generate.sql), as of its last day.  For each view: whether its plan
-- reads the tables (the twin inlined) or calls the function (Function
-- Scan), and the median of N runs of count(*) over the view.
\set ON_ERROR_STOP 1
\pset footer off
SELECT set_config('dunning.as_of', (SELECT max(doc_date)::text FROM dunning.entry), false);
CREATE TEMP TABLE twin_times (view text, pos int, run int, ms numeric);
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; p text := '';
BEGIN
    FOR l IN EXECUTE 'EXPLAIN ' || q LOOP p := p || l || E'\n'; END LOOP;
    RETURN p;
END $$;
DO $$
DECLARE
    views constant text[] := ARRAY['floor', 'open_items', 'dashboard', 'item_status', 'reminder_proposal_item',
                                 'reminder_proposal', 'overdue_by_level', 'followup_schedule'];
    v text;
    p int;
    i int;
    t0 timestamptz;
BEGIN
    FOR i IN 1 .. coalesce(current_setting('bench.runs', true), '3')::int LOOP
        FOR p IN 1 .. cardinality(views) LOOP
            v := views[p];
            t0 := clock_timestamp();
            IF v = 'floor' THEN
                PERFORM count(*) FROM (SELECT customer_id, sum(open_amount) FROM dunning.entry GROUP BY 1) s;
            ELSE
                EXECUTE format('SELECT count(*) FROM dunning.%I', v);
            END IF;
            INSERT INTO twin_times VALUES (v, p, i, extract(epoch FROM clock_timestamp() - t0) * 1000);
        END LOOP;
    END LOOP;
END $$;
SELECT t.view,
       CASE WHEN t.view = 'floor' THEN ''
            WHEN pg_temp.plan_of(format('SELECT * FROM dunning.%I', t.view)) ~ ('Function Scan on ' || t.view || ' ')
            THEN 'function scan' ELSE 'inlined' END AS plan,
       round(percentile_disc(0.5) WITHIN GROUP (ORDER BY t.ms), 0) AS median_ms
  FROM twin_times t GROUP BY t.view ORDER BY min(t.pos);
