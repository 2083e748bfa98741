
-------------------------------------------------------------------------------
-- The unattended day (README "A dunning day that runs itself"): daily_run
-- letters the ledger, issues the reminders of automatic levels (level.auto),
-- leaves the others in the proposal for review, and queues each credit
-- manager's summary of the day (digest), which send_outbox sends with the
-- reminders.  pg_cron schedules it.
--
-- One customer's error does not stop the day.  Issuing is tried for all
-- customers at once, in a subtransaction; when it fails, the customers are
-- split in two halves and each half is tried again, down to the customer
-- that fails alone, which is recorded (daily_run_error) and left out.  A
-- day without errors costs one pass; each failing customer a few more.
-------------------------------------------------------------------------------

-- private: the strategies of dunning.daily_strategies, each checked
CREATE FUNCTION @extschema@._daily_strategies()
RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_list text[] := regexp_split_to_array(trim(coalesce(current_setting('dunning.daily_strategies', true), '')), '\s*,\s*');
    v_name text;
BEGIN
    IF v_list = '{""}' THEN
        RAISE EXCEPTION 'dunning.daily_strategies is empty'
            USING ERRCODE = '22023',
                  DETAIL = 'daily_run letters the ledger with these strategies of auto_letter, in order: reference, exact, subset, fifo.';
    END IF;
    FOREACH v_name IN ARRAY v_list LOOP
        IF v_name <> ALL ('{reference,exact,subset,fifo}'::text[]) THEN
            RAISE EXCEPTION 'unknown lettering strategy "%" in dunning.daily_strategies', v_name
                USING ERRCODE = '22023',
                      DETAIL = 'The strategies are reference, exact, subset and fifo, comma-separated, in the order they are tried.';
        END IF;
    END LOOP;
    RETURN v_list;
END
$$;

-- private: a customer (or a step) the day could not do
CREATE FUNCTION @extschema@._daily_error(daily_run_id bigint, customer_id text, step text,
                                         sqlstate text, message text, detail text)
RETURNS void
-- PL/pgSQL, not SQL: Citus plans no SQL function's parameters in a write
-- of a reference table (daily_run is one on a distributed ledger)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO @extschema@.daily_run_error (daily_run_id, customer_id, step, sqlstate, message, detail)
    VALUES ($1, $2, $3, $4, $5, nullif($6, ''));
    UPDATE @extschema@.daily_run r SET errors = r.errors + 1 WHERE r.daily_run_id = $1;
END
$$;

-- daily_run, step 0: the day checked and the run recorded
CREATE FUNCTION @extschema@._daily_start(as_of date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last date;
    v_id bigint;
    v_strategies text[];
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'as_of must not be null'
            USING ERRCODE = '22004', DETAIL = 'Leave it out for today.';
    END IF;
    IF NOT isfinite($1) THEN
        RAISE EXCEPTION 'as_of must be a day, not %', $1
            USING ERRCODE = '22008', DETAIL = 'A dunning day is a calendar day.';
    END IF;
    IF $1 > @extschema@._today() THEN
        RAISE EXCEPTION 'daily_run as of % is a day to come', $1
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Today is %s (dunning.time_zone): a day is run on it or after it.', @extschema@._today());
    END IF;
    SELECT max(r.as_of) INTO v_last FROM @extschema@.daily_run r WHERE r.status = 'done';
    IF $1 < v_last THEN
        RAISE EXCEPTION 'daily_run as of % is before the last run, as of %', $1, v_last
            USING ERRCODE = '55000',
                  DETAIL = 'Dunning days run in date order; a later day has already been run.',
                  HINT = pg_catalog.format('Run %s or a later day, or call the steps by hand.', v_last);
    END IF;
    v_strategies := @extschema@._daily_strategies();
    INSERT INTO @extschema@.daily_run (as_of, strategies) VALUES ($1, v_strategies)
    RETURNING daily_run_id INTO v_id;
    RETURN v_id;
END
$$;

-- daily_run, step 1: the ledger lettered; when auto_letter fails on the
-- whole ledger, customer by customer, the failing ones recorded
CREATE FUNCTION @extschema@._daily_letter(daily_run_id bigint)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_groups bigint := 0;
    v_lines bigint := 0;
    v_failed integer := 0;
    g bigint;
    l bigint;
    c text;
    v_state text;
    v_msg text;
    v_detail text;
    v_strategies text[];
BEGIN
    SELECT r.strategies INTO v_strategies FROM @extschema@.daily_run r WHERE r.daily_run_id = $1;
    BEGIN
        SELECT count(DISTINCT (a.customer_id, a.letter_code)), count(*) INTO v_groups, v_lines
          FROM @extschema@.auto_letter(strategies => v_strategies) a;
        RETURN jsonb_build_object('groups', v_groups, 'lines', v_lines, 'failed', 0);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    FOR c IN SELECT DISTINCT e.customer_id FROM @extschema@.entry e
              WHERE e.open_amount < 0 ORDER BY 1 LOOP
        BEGIN
            SELECT count(DISTINCT a.letter_code), count(*) INTO g, l
              FROM @extschema@.auto_letter(c, strategies => v_strategies) a;
            v_groups := v_groups + g;
            v_lines := v_lines + l;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
            PERFORM @extschema@._daily_error($1, c, 'lettering', v_state, v_msg, v_detail);
            v_failed := v_failed + 1;
        END;
    END LOOP;
    RETURN jsonb_build_object('groups', v_groups, 'lines', v_lines, 'failed', v_failed);
END
$$;

-- daily_run, step 2: one batch of customers issued (NULL: all of them),
-- the letters of levels for review set aside in dunning_daily_review; a
-- failing batch is split in two and each half tried again.  Returns the
-- number of reminders issued.
CREATE FUNCTION @extschema@._daily_issue(daily_run_id bigint, as_of date, customers text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- as issue_reminders: compiling the proposal's expressions costs more than it saves
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    d date := $2;
    v_customers text[] := $3;
    v_run bigint;
    v_issued integer;
    v_half integer;
    v_state text;
    v_msg text;
    v_detail text;
BEGIN
    BEGIN
        PERFORM @extschema@._issue_check(d, v_customers, NULL, NULL, NULL, false, NULL, false);
        INSERT INTO @extschema@.run (as_of, options)
        VALUES (d, jsonb_strip_nulls(jsonb_build_object('daily_run_id', $1,
                                                         'customers', cardinality(v_customers))))
        RETURNING run_id INTO v_run;
        PERFORM @extschema@._issue_letters(d, v_customers, NULL, NULL, NULL, false, NULL, false);
        -- the letters of levels for review stay in the proposal
        INSERT INTO pg_temp.dunning_daily_review
        SELECT l.customer_id, l.currency, l.letter_level, l.channel, l.total, l.manager_id
          FROM pg_temp.dunning_issue_letters l
          JOIN @extschema@.level lv ON lv.policy_id = l.policy_id AND lv.level = l.letter_level
         WHERE NOT lv.auto;
        DELETE FROM pg_temp.dunning_issue_letters l
         USING @extschema@.level lv
         WHERE lv.policy_id = l.policy_id AND lv.level = l.letter_level AND NOT lv.auto;
        PERFORM @extschema@._issue_lock();
        ANALYZE pg_temp.dunning_issue_letters;
        SELECT count(*) INTO v_issued FROM @extschema@._issue_render(v_run, false);
        PERFORM @extschema@._issue_post(v_run, d);
        RETURN v_issued;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    END;
    IF v_customers IS NULL THEN
        -- every customer with something overdue on the day, to split
        SELECT array_agg(DISTINCT o.customer_id ORDER BY o.customer_id) INTO v_customers
          FROM @extschema@.open_items(d) o WHERE o.days_overdue > 0;
        IF cardinality(v_customers) IS NULL THEN
            PERFORM @extschema@._daily_error($1, NULL, 'issue', v_state, v_msg, v_detail);
            RETURN 0;
        END IF;
    END IF;
    IF cardinality(v_customers) = 1 THEN
        PERFORM @extschema@._daily_error($1, v_customers[1], 'issue', v_state, v_msg, v_detail);
        RETURN 0;
    END IF;
    v_half := cardinality(v_customers) / 2;
    RETURN @extschema@._daily_issue($1, d, v_customers[1:v_half])
         + @extschema@._daily_issue($1, d, v_customers[v_half + 1:]);
END
$$;

-- private: the words of the day's summary, by language (English when the
-- language has none)
CREATE FUNCTION @extschema@._daily_label(key text, language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT coalesce(t.labels -> left($2, 2) ->> $1, t.labels -> 'en' ->> $1, $1)
  FROM (SELECT '{
    "en": {"subject": "Dunning day of %s: %s letters sent, %s waiting for your review",
           "title": "Dunning day of %s (daily run %s)",
           "sent": "Letters sent", "review": "Waiting for your review (dunning.reminder_proposal, then issue_reminders)",
           "due": "Promises and installments due today", "late": "Promises and installments past due, not yet checked",
           "insurer": "Credit insurer deadlines (today, past and within 7 days)",
           "errors": "Customers the day could not do (dunning.daily_run_log)", "none": "none",
           "more": "and %s more", "level": "level"},
    "fr": {"subject": "Relances du %s : %s courriers envoyés, %s à valider",
           "title": "Journée de relance du %s (passage %s)",
           "sent": "Courriers envoyés", "review": "À valider (dunning.reminder_proposal, puis issue_reminders)",
           "due": "Promesses et échéances du jour", "late": "Promesses et échéances dépassées, non vérifiées",
           "insurer": "Échéances de l''assureur-crédit (aujourd''hui, dépassées et sous 7 jours)",
           "errors": "Clients non traités (dunning.daily_run_log)", "none": "aucun",
           "more": "et %s de plus", "level": "niveau"},
    "de": {"subject": "Mahnlauf vom %s: %s Mahnungen versandt, %s zur Prüfung",
           "title": "Mahnlauf vom %s (Lauf %s)",
           "sent": "Versandte Mahnungen", "review": "Zur Prüfung (dunning.reminder_proposal, dann issue_reminders)",
           "due": "Heute fällige Zahlungszusagen und Raten", "late": "Überfällige Zahlungszusagen und Raten, noch nicht geprüft",
           "insurer": "Fristen des Kreditversicherers (heute, überfällig und in 7 Tagen)",
           "errors": "Nicht bearbeitete Kunden (dunning.daily_run_log)", "none": "keine",
           "more": "und %s weitere", "level": "Stufe"}
  }'::jsonb AS labels) t;
END;

-- private: one section of a summary: a title with its count, then up to 50
-- lines
CREATE FUNCTION @extschema@._daily_section(title text, lines text[], language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT $1 || CASE WHEN left($3, 2) = 'fr' THEN ' : ' ELSE ': ' END || coalesce(cardinality($2), 0) || E'\n'
       || coalesce((SELECT string_agg('  ' || l, E'\n') FROM unnest($2[1:50]) l) || E'\n', '')
       || CASE WHEN cardinality($2) > 50
               THEN '  ' || format(@extschema@._daily_label('more', $3), cardinality($2) - 50) || E'\n'
               ELSE '' END;
END;

-- daily_run, step 3: each credit manager's summary of the day, queued once
-- a day (a second run leaves it as it is)
CREATE FUNCTION @extschema@._daily_digests(daily_run_id bigint, as_of date)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    d date := $2;
    v_queued integer;
    v_managers integer;
BEGIN
    CREATE TEMP TABLE dunning_daily_schedule ON COMMIT DROP AS
    SELECT * FROM @extschema@.followup_schedule(d) s
     WHERE s.kind = ANY ('{promise_check,installment_check,insurer_notice}'::text[])
       AND s.due_on <= d + 7;
    WITH lines AS (
        SELECT c.manager_id, 'sent' AS section, c.customer_id AS k,
               format('%s %s: %s %s %s, %s %s', c.customer_id, c.name, @extschema@._daily_label('level', m.language),
                      r.level, r.channel,
                      @extschema@.render('{{a|money}}', jsonb_build_object('language', m.language,
                          'a', r.total_overdue + r.fees + r.interest + r.compensation)), r.currency) AS line
          FROM @extschema@.reminder r
          JOIN @extschema@.run u ON u.run_id = r.run_id
          JOIN @extschema@.customer c ON c.customer_id = r.customer_id
          JOIN @extschema@.credit_manager m ON m.manager_id = c.manager_id
         WHERE (u.options ->> 'daily_run_id')::bigint IN (SELECT x.daily_run_id FROM @extschema@.daily_run x
                                                           WHERE x.as_of = d)
           AND r.status <> 'cancelled'
        UNION ALL
        SELECT v.manager_id, 'review', v.customer_id,
               format('%s %s: %s %s %s, %s %s', v.customer_id, c.name, @extschema@._daily_label('level', m.language),
                      v.level, v.channel,
                      @extschema@.render('{{a|money}}', jsonb_build_object('language', m.language, 'a', v.total)),
                      v.currency)
          FROM pg_temp.dunning_daily_review v
          JOIN @extschema@.customer c ON c.customer_id = v.customer_id
          JOIN @extschema@.credit_manager m ON m.manager_id = v.manager_id
        UNION ALL
        SELECT s.owner,
               CASE WHEN s.kind = 'insurer_notice' THEN 'insurer'
                    WHEN s.state = 'today' THEN 'due' ELSE 'late' END,
               s.customer_id,
               format('%s %s: %s%s (%s)', s.customer_id, s.name, s.title,
                      CASE WHEN s.amount IS NOT NULL
                           THEN ', ' || @extschema@.render('{{a|money}}', jsonb_build_object('language', m.language, 'a', s.amount))
                                || ' ' || s.currency ELSE '' END,
                      @extschema@.render('{{d|date}}', jsonb_build_object('language', m.language, 'd', s.due_on)))
          FROM pg_temp.dunning_daily_schedule s
          JOIN @extschema@.credit_manager m ON m.manager_id = s.owner
         WHERE s.kind = 'insurer_notice' OR s.state IN ('today', 'late')
        UNION ALL
        SELECT c.manager_id, 'errors', e.customer_id,
               format('%s %s: %s (%s, %s)', e.customer_id, c.name, e.message, e.step, e.sqlstate)
          FROM @extschema@.daily_run_error e
          JOIN @extschema@.customer c ON c.customer_id = e.customer_id
         WHERE e.daily_run_id = $1
    ), per_manager AS (
        SELECT m.manager_id, m.email, m.language,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'sent') AS sent,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'review') AS review,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'due') AS due,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'late') AS late,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'insurer') AS insurer,
               array_agg(l.line ORDER BY l.k, l.line) FILTER (WHERE l.section = 'errors') AS errors
          FROM @extschema@.credit_manager m
          LEFT JOIN lines l ON l.manager_id = m.manager_id
         WHERE m.email IS NOT NULL
         GROUP BY m.manager_id, m.email, m.language
    ), ins AS (
        INSERT INTO @extschema@.digest (manager_id, as_of, daily_run_id, language, subject, body)
        SELECT p.manager_id, d, $1, p.language,
               format(@extschema@._daily_label('subject', p.language),
                      @extschema@.render('{{d|date}}', jsonb_build_object('language', p.language, 'd', d)),
                      coalesce(cardinality(p.sent), 0), coalesce(cardinality(p.review), 0)),
               format(@extschema@._daily_label('title', p.language),
                      @extschema@.render('{{d|date}}', jsonb_build_object('language', p.language, 'd', d)), $1)
               || E'\n\n' || @extschema@._daily_section(@extschema@._daily_label('sent', p.language), p.sent, p.language)
               || E'\n' || @extschema@._daily_section(@extschema@._daily_label('review', p.language), p.review, p.language)
               || E'\n' || @extschema@._daily_section(@extschema@._daily_label('due', p.language), p.due, p.language)
               || E'\n' || @extschema@._daily_section(@extschema@._daily_label('late', p.language), p.late, p.language)
               || E'\n' || @extschema@._daily_section(@extschema@._daily_label('insurer', p.language), p.insurer, p.language)
               || CASE WHEN p.errors IS NOT NULL
                       THEN E'\n' || @extschema@._daily_section(@extschema@._daily_label('errors', p.language), p.errors, p.language)
                       ELSE '' END
          FROM per_manager p
        ON CONFLICT ON CONSTRAINT digest_manager_id_as_of_key DO NOTHING
        RETURNING manager_id, digest_id
    )
    -- the mailer listens: one notification per queued email, as for reminders
    SELECT count(pg_notify('dunning_outbox',
                           jsonb_build_object('manager_id', i.manager_id, 'digest_id', i.digest_id)::text))
      INTO v_queued FROM ins i;
    SELECT count(*) INTO v_managers FROM @extschema@.credit_manager m WHERE m.email IS NOT NULL;
    IF to_regclass('pg_temp.dunning_daily_review') IS NOT NULL THEN
        DROP TABLE pg_temp.dunning_daily_review;
    END IF;
    RETURN jsonb_build_object('queued', v_queued, 'managers_with_email', v_managers);
END
$$;

-- daily_run, step 2 as a whole: the letters of levels for review set
-- aside in dunning_daily_review, every customer issued; what it did
CREATE FUNCTION @extschema@._daily_issue_all(daily_run_id bigint, as_of date)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_issued integer;
    v_step jsonb;
    v_review bigint;
    v_review_amount numeric;
    v_runs jsonb;
BEGIN
    IF to_regclass('pg_temp.dunning_daily_review') IS NOT NULL THEN
        DROP TABLE pg_temp.dunning_daily_review;
    END IF;
    CREATE TEMP TABLE dunning_daily_review (customer_id text, currency text, level integer,
                                            channel text, total numeric, manager_id text);
    v_issued := @extschema@._daily_issue($1, $2, NULL);
    -- the review and the runs first, then the reminders' sums: Citus takes
    -- no subquery beside the aggregates of a distributed table
    SELECT count(*), coalesce(sum(v.total), 0) INTO v_review, v_review_amount
      FROM pg_temp.dunning_daily_review v;
    SELECT coalesce(jsonb_agg(u.run_id ORDER BY u.run_id), '[]') INTO v_runs
      FROM @extschema@.run u
     WHERE u.options ->> 'daily_run_id' = $1::text;
    SELECT jsonb_build_object(
               'reminders', v_issued,
               'amount', coalesce(sum(m.total_overdue + m.fees + m.interest + m.compensation), 0),
               'emails', count(*) FILTER (WHERE m.status = 'queued'),
               'letters', count(*) FILTER (WHERE m.status = 'issued'),
               'review', v_review,
               'review_amount', v_review_amount,
               'runs', v_runs)
      INTO v_step
      FROM @extschema@.reminder m
      JOIN @extschema@.run u ON u.run_id = m.run_id
     WHERE u.options ->> 'daily_run_id' = $1::text;
    RETURN v_step;
END
$$;

-- private: what a step did, with its seconds, on the run; the last step
-- closes it
CREATE FUNCTION @extschema@._daily_step(daily_run_id bigint, step text, did jsonb,
                                        started timestamptz, last boolean DEFAULT false)
RETURNS void
-- PL/pgSQL, not SQL: as _daily_error; and the clock read before the
-- UPDATE (Citus takes no volatile function in an UPDATE of its tables)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();
BEGIN
    UPDATE @extschema@.daily_run r
       SET steps = jsonb_set(r.steps, ARRAY[$2],
                             $3 || jsonb_build_object('seconds',
                                       round(extract(epoch FROM v_now - $4), 3))),
           status = CASE WHEN $5 THEN 'done' ELSE r.status END,
           finished_at = CASE WHEN $5 THEN v_now END
     WHERE r.daily_run_id = $1;
END
$$;

-- The day: lettering, issuing the automatic levels, the summaries; each
-- step committed and recorded on the run.  No SET clause: a procedure that
-- commits cannot have one (the steps have theirs).
CREATE PROCEDURE @extschema@.daily_run(as_of date DEFAULT @extschema@._today())
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint;
    v_t timestamptz;
BEGIN
    PERFORM @extschema@._one_connection_per_node();
    v_id := @extschema@._daily_start(as_of);
    COMMIT;
    PERFORM @extschema@._one_connection_per_node();
    v_t := pg_catalog.clock_timestamp();
    PERFORM @extschema@._daily_step(v_id, 'lettering', @extschema@._daily_letter(v_id), v_t);
    COMMIT;
    PERFORM @extschema@._one_connection_per_node();
    v_t := pg_catalog.clock_timestamp();
    PERFORM @extschema@._daily_step(v_id, 'issue', @extschema@._daily_issue_all(v_id, as_of), v_t);
    COMMIT;
    PERFORM @extschema@._one_connection_per_node();
    v_t := pg_catalog.clock_timestamp();
    PERFORM @extschema@._daily_step(v_id, 'summaries', @extschema@._daily_digests(v_id, as_of), v_t, true);
    COMMIT;
END
$$;
COMMENT ON PROCEDURE @extschema@.daily_run(date) IS
    'the unattended dunning day: letters the ledger, issues the reminders of automatic levels, queues each credit manager''s summary';

-- The last runs, with what they could not do.
CREATE VIEW @extschema@.daily_run_log WITH (security_invoker = true) AS
SELECT r.daily_run_id, r.as_of, r.status, r.started_at, r.finished_at, r.started_by,
       r.errors, r.steps, e.customer_id, e.step, e.sqlstate, e.message, e.detail
  FROM @extschema@.daily_run r
  LEFT JOIN @extschema@.daily_run_error e ON e.daily_run_id OPERATOR(pg_catalog.=) r.daily_run_id
 ORDER BY r.daily_run_id DESC, e.error_id;
COMMENT ON VIEW @extschema@.daily_run_log IS
    'the daily runs, newest first: their steps (counts, amounts, seconds) and each customer they could not do';
