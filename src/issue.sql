
-------------------------------------------------------------------------------
-- Issuing, cancelling and sending reminders
-------------------------------------------------------------------------------

-- private: a line of a customer's history (table activity), its id returned;
-- every history line but issue_reminders' (one per letter, in one INSERT)
CREATE FUNCTION @extschema@._history(customer_id text, kind text, summary text,
                                     refs jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, $2, $3, $4)
    RETURNING activity_id;
END;

-- private: the error of a letter with no template
CREATE FUNCTION @extschema@._no_template(key text, language text, channel text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'no template "%" for language % and channel %', key, language, channel
        USING ERRCODE = '22023',
              DETAIL = 'A letter uses the template of its level (level.template, else level_1, level_2, level_3 or final) in the customer''s language, else in English; on its channel, else the letter one.',
              HINT = 'Add a row to dunning.template.';
END
$$;

-- private: the template of a key in a language (else its first two
-- letters, else English) and a channel (else the letter's); no row if none
CREATE FUNCTION @extschema@._template(key text, language text, channel text)
RETURNS TABLE (subject text, body text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT t.subject, t.body
  FROM @extschema@.template t
 WHERE t.key = $1
   AND t.language = ANY (ARRAY[$2, left($2, 2), 'en'])
   AND t.channel = ANY (ARRAY[$3, 'letter'])
 ORDER BY t.language = $2 DESC,
          t.language = left($2, 2) DESC,
          t.channel = $3 DESC
 LIMIT 1;
END;

-- private: an array argument is NULL (all), or holds values and no NULL
CREATE FUNCTION @extschema@._check_array(value anyarray, name text, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.cardinality(value) = 0 THEN
        RAISE EXCEPTION '% is empty', name
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Pass NULL for all, or at least one element: %s.', what);
    END IF;
    IF pg_catalog.array_position(value, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '% holds a NULL', name
            USING ERRCODE = '22004', DETAIL = pg_catalog.format('Every element is %s.', what);
    END IF;
END
$$;

-- issue_reminders, step 1: the arguments, checked before anything is written
CREATE FUNCTION @extschema@._issue_check(d date, v_customers text[], v_methods text[],
                                         v_min numeric, v_level integer, v_reissue boolean,
                                         v_manager text, v_dry boolean)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_bad       text;
    v_date      date;
    v_found     text[];
BEGIN
    IF d IS NULL OR v_reissue IS NULL OR v_dry IS NULL THEN
        RAISE EXCEPTION 'as_of, reissue and dry_run must not be null'
            USING ERRCODE = '22004',
                  DETAIL = 'Leave them out for their defaults: dunning.as_of(), false, false.';
    END IF;
    IF d > @extschema@._today() THEN
        RAISE EXCEPTION 'cannot issue reminders as of %, a day to come', d
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Reminders are issued as of today (%s) or a day before.',
                                             @extschema@._today());
    END IF;
    IF v_customers IS NOT NULL THEN
        PERFORM @extschema@._check_array(v_customers, 'customers', 'a customer_id');
        IF NOT @extschema@._distributed() THEN
            SELECT u INTO v_bad
              FROM pg_catalog.unnest(v_customers) u
             WHERE NOT EXISTS (SELECT 1 FROM @extschema@.customer c
                                WHERE c.customer_id = u)
             LIMIT 1;
        ELSE
            -- Citus refuses that correlated subquery beside unnest(): the
            -- customers that exist are read by key, those given and not
            -- found are a set difference (hashed), and the first of them in
            -- the order given is named
            v_found := ARRAY(SELECT c.customer_id FROM @extschema@.customer c
                              WHERE c.customer_id = ANY (v_customers));
            v_found := ARRAY(SELECT pg_catalog.unnest(v_customers)
                             EXCEPT SELECT pg_catalog.unnest(v_found));
            SELECT u.c INTO v_bad
              FROM pg_catalog.unnest(v_customers) WITH ORDINALITY u(c, n)
             WHERE u.c = ANY (v_found)
             ORDER BY u.n
             LIMIT 1;
        END IF;
        IF FOUND THEN
            RAISE EXCEPTION 'unknown customer "%"', v_bad
                USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
        END IF;
    END IF;
    IF v_methods IS NOT NULL THEN
        PERFORM @extschema@._check_array(v_methods, 'payment_methods', 'a payment method such as ''transfer''');
    END IF;
    IF v_min < 0 OR v_min = 'NaN'::numeric THEN
        RAISE EXCEPTION 'min_amount must be 0 or more'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('min_amount is %s; letters whose overdue total is under it are not issued.', v_min);
    END IF;
    IF v_level < 1 THEN
        RAISE EXCEPTION 'level must be 1 or more'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('level is %s; levels are numbered from 1.', v_level);
    END IF;
    IF v_manager IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM @extschema@.credit_manager m
             WHERE m.manager_id = v_manager) THEN
        RAISE EXCEPTION 'unknown credit manager "%"', v_manager
            USING ERRCODE = '22023', DETAIL = 'Table dunning.credit_manager has no such manager_id.';
    END IF;
    IF v_level IS NOT NULL THEN
        SELECT c.policy_id INTO v_bad
          FROM @extschema@.customer c
         WHERE (v_customers IS NULL OR c.customer_id = ANY (v_customers))
           AND (v_manager IS NULL OR c.manager_id = v_manager)
           AND c.policy_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM @extschema@.level l
                            WHERE l.policy_id = c.policy_id
                              AND l.level = v_level)
         ORDER BY c.policy_id
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'policy % has no level %', v_bad, v_level
                USING ERRCODE = '22023',
                      DETAIL = 'A forced level must exist in the policy of every customer in scope.';
        END IF;
    END IF;
    -- never back-dated behind a customer's last reminder
    SELECT c.customer_id, c.last_reminded_on INTO v_bad, v_date
      FROM @extschema@.customer c
     WHERE (v_customers IS NULL OR c.customer_id = ANY (v_customers))
       AND (v_manager IS NULL OR c.manager_id = v_manager)
       AND c.last_reminded_on > d
     ORDER BY c.customer_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'customer % was reminded on %, after %', v_bad, v_date, d
            USING ERRCODE = '55000',
                  DETAIL = 'Reminders are issued in date order: a run as of a day cannot come after one as of a later day.',
                  HINT = 'Issue as of that day or later, or leave the customer out.';
    END IF;
END
$$;

-- issue_reminders, step 2: the letter items and one row per letter, in the
-- temporary tables dunning_issue_items and dunning_issue_letters
CREATE FUNCTION @extschema@._issue_letters(d date, v_customers text[], v_methods text[],
                                           v_min numeric, v_level integer, v_reissue boolean,
                                           v_manager text, v_dry boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- The letter items, computed once.  Temporary tables (analyzed) rather
    -- than one statement of CTEs: the planner then knows how many letters
    -- and items there are, and joins them by hash.
    -- (left by an earlier call in this transaction)
    IF pg_catalog.to_regclass('pg_temp.dunning_issue_items') IS NOT NULL THEN
        DROP TABLE pg_temp.dunning_issue_items;
    END IF;
    IF pg_catalog.to_regclass('pg_temp.dunning_issue_letters') IS NOT NULL THEN
        DROP TABLE pg_temp.dunning_issue_letters;
    END IF;
    IF pg_catalog.to_regclass('pg_temp.dunning_issue_locked') IS NOT NULL THEN
        DROP TABLE pg_temp.dunning_issue_locked;
    END IF;
    CREATE TEMP TABLE dunning_issue_items ON COMMIT DROP AS
    SELECT li.*
      FROM @extschema@._letter_items(d, v_level, v_reissue, v_methods) li
     WHERE (v_customers IS NULL OR li.customer_id = ANY (v_customers))
       AND (v_manager IS NULL OR li.manager_id = v_manager)
       AND (v_min IS NULL OR li.overdue_total >= v_min);
    ANALYZE pg_temp.dunning_issue_items;

    -- one row per letter, with the ids it takes
    CREATE TEMP TABLE dunning_issue_letters ON COMMIT DROP AS
    SELECT li.*, lv.channel, lv.final,
           @extschema@._level_template(lv.template, lv.final, li.letter_level) AS template,
           li.overdue_total + li.fees + li.letter_interest
               + li.letter_compensation AS total,
           CASE WHEN v_dry THEN NULL
                ELSE pg_catalog.nextval('dunning.reminder_reminder_id_seq') END AS rid,
           CASE WHEN NOT v_dry AND li.post_charges AND li.fees > 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS fee_entry,
           CASE WHEN NOT v_dry AND li.post_charges AND li.letter_interest > 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS interest_entry,
           CASE WHEN NOT v_dry AND li.post_charges AND li.letter_compensation > 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS compensation_entry
      FROM pg_temp.dunning_issue_items li
      JOIN @extschema@.level lv ON lv.policy_id = li.policy_id
                               AND lv.level = li.letter_level
     WHERE li.letter_row = 1;
END
$$;

-- issue_reminders, step 3: the letters' customers locked; the letters of
-- customers reminded by another session meanwhile are dropped
CREATE FUNCTION @extschema@._issue_lock()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    -- Lock the customers, in order.  A customer whose counters moved
    -- since the letters were computed was reminded by another session
    -- meanwhile: it is left out (READ COMMITTED re-reads the locked row
    -- and the condition no longer holds).
    IF NOT @extschema@._distributed() THEN
        CREATE TEMP TABLE dunning_issue_locked ON COMMIT DROP AS
        SELECT x.customer_id
          FROM (SELECT c.customer_id
                  FROM @extschema@.customer c
                  JOIN (SELECT DISTINCT l.customer_id, l.customer_reminders, l.customer_last,
                                        l.customer_level
                          FROM pg_temp.dunning_issue_letters l) s
                    ON s.customer_id = c.customer_id
                 WHERE c.reminder_count = s.customer_reminders
                   AND (c.last_reminded_on IS NULL) = (s.customer_last IS NULL)
                   AND coalesce(c.last_reminded_on = s.customer_last, true)
                   AND c.level = s.customer_level
                 ORDER BY c.customer_id
                   FOR UPDATE OF c) x;
    ELSE
        -- Citus locks no rows with FOR UPDATE across shards: an UPDATE
        -- that changes nothing locks them, on each shard, with the same
        -- re-read of a row another session changed meanwhile.  (Its order
        -- is the shards', not the customers': two runs at once over the
        -- same customers can deadlock, and Citus then cancels one.)
        CREATE TEMP TABLE dunning_issue_locked (customer_id text) ON COMMIT DROP;
        WITH u AS (
            UPDATE @extschema@.customer c
               SET level = c.level
              FROM (SELECT DISTINCT l.customer_id, l.customer_reminders, l.customer_last,
                                    l.customer_level
                      FROM pg_temp.dunning_issue_letters l) s
             WHERE s.customer_id = c.customer_id
               AND c.reminder_count = s.customer_reminders
               AND (c.last_reminded_on IS NULL) = (s.customer_last IS NULL)
               AND coalesce(c.last_reminded_on = s.customer_last, true)
               AND c.level = s.customer_level
            RETURNING c.customer_id)
        INSERT INTO pg_temp.dunning_issue_locked SELECT u.customer_id FROM u;
    END IF;
    DELETE FROM pg_temp.dunning_issue_letters l
     WHERE NOT EXISTS (SELECT 1 FROM pg_temp.dunning_issue_locked k
                        WHERE k.customer_id = l.customer_id);
END
$$;

-- issue_reminders, step 4: the reminders rendered in the customer's
-- language, inserted unless dry_run, and returned
CREATE FUNCTION @extschema@._issue_render(v_run bigint, v_dry boolean)
RETURNS SETOF @extschema@.reminder
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH item_lists AS (
        SELECT i.customer_id, i.currency,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'entry_id', i.entry_id, 'kind', i.kind, 'ref', i.ref,
                   'doc_date', i.doc_date, 'due_date', i.due_date,
                   'days_overdue', i.days_overdue, 'amount', i.amount,
                   'open_amount', i.open_amount, 'level', i.new_level,
                   'dunned', i.dunned, 'interest', i.interest,
                   'compensation', i.compensation)
                   ORDER BY i.due_date, i.entry_id) AS items
          FROM pg_temp.dunning_issue_items i
         GROUP BY i.customer_id, i.currency
    ), rendered AS (
        SELECT l.*, pg_catalog.jsonb_build_object(
                   'language', l.language, 'pdf', false,
                   'customer', pg_catalog.jsonb_build_object(
                       'id', l.customer_id, 'name', l.name, 'email', c.email, 'phone', c.phone),
                   'manager', pg_catalog.jsonb_build_object(
                       'id', m.manager_id, 'name', m.name, 'email', m.email),
                   'reminder', pg_catalog.jsonb_build_object(
                       'date', l.as_of, 'level', l.letter_level, 'channel', l.channel,
                       'final', l.final, 'currency', l.currency,
                       'total_overdue', l.overdue_total, 'fees', l.fees,
                       'interest', l.letter_interest, 'compensation', l.letter_compensation,
                       'total', l.total, 'items', l.letter_items),
                   'items', il.items) AS context,
               coalesce(t.subject, @extschema@._no_template(l.template, l.language, l.channel)) AS subject_tpl,
               t.body AS body_tpl
          FROM pg_temp.dunning_issue_letters l
          JOIN @extschema@.customer c ON c.customer_id = l.customer_id
          JOIN item_lists il ON il.customer_id = l.customer_id
                            AND il.currency = l.currency
          LEFT JOIN @extschema@.credit_manager m ON m.manager_id = l.manager_id
          LEFT JOIN LATERAL @extschema@._template(l.template, l.language, l.channel) t ON true
    ), out_rows AS (
        SELECT r.customer_id, r.rid AS reminder_id, v_run AS run_id, r.as_of,
               r.letter_level AS level, r.channel, r.currency, r.language,
               r.overdue_total AS total_overdue, r.fees, r.letter_interest AS interest,
               r.letter_compensation AS compensation,
               CASE WHEN r.channel = 'email' THEN 'queued' ELSE 'issued' END AS status,
               @extschema@.render(r.subject_tpl, r.context) AS subject,
               @extschema@.render(r.body_tpl, r.context) AS body,
               NULL::timestamptz AS sent_at, pg_catalog.now() AS created_at,
               CURRENT_USER::text AS created_by,
               pg_catalog.array_remove(ARRAY[r.fee_entry, r.interest_entry, r.compensation_entry],
                                       NULL::bigint) AS charge_entry_ids,
               0 AS attempts, NULL::text AS last_error, NULL::timestamptz AS next_attempt_at,
               NULL::text AS smtp_reply, NULL::text AS smtp_message_id
          FROM rendered r
    ), ins_reminders AS (
        INSERT INTO @extschema@.reminder
        SELECT f.* FROM out_rows f WHERE NOT v_dry
        RETURNING *
    )
    SELECT r.* FROM ins_reminders r
    UNION ALL
    SELECT f.* FROM out_rows f WHERE v_dry
    ORDER BY 1, 7;
END
$$;

-- private: the rows of a query (its columns those of the table named in
-- columns, in that order) inserted into a table.  On one server, one INSERT ...
-- SELECT.  On a distributed ledger, multi-row INSERTs of their values, a
-- thousand rows a statement: Citus writes an INSERT ... SELECT of the
-- coordinator's rows to the shards with COPY, which PostgreSQL refuses
-- under row security ("COPY FROM not supported with row-level security"),
-- while an INSERT of values goes to each shard as an INSERT, its policy
-- checked there.
CREATE FUNCTION @extschema@._insert_values(target regclass, columns text[], query text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cols text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY n)
                      FROM pg_catalog.unnest(columns) WITH ORDINALITY u(c, n));
    v_row text;
    v_stmt text;
BEGIN
    IF NOT @extschema@._distributed() THEN
        EXECUTE pg_catalog.format('INSERT INTO %s (%s) %s', target, v_cols, query);
        RETURN;
    END IF;
    -- each row as the text of its values: (quote_nullable(q.c1::text), ...)
    SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.quote_nullable(q.%I::text)', c),
                                 ' OPERATOR(pg_catalog.||) '','' OPERATOR(pg_catalog.||) ' ORDER BY n)
      INTO v_row
      FROM pg_catalog.unnest(columns) WITH ORDINALITY u(c, n);
    FOR v_stmt IN EXECUTE pg_catalog.format(
            'SELECT %L OPERATOR(pg_catalog.||) pg_catalog.string_agg(''('' OPERATOR(pg_catalog.||) %s OPERATOR(pg_catalog.||) '')'', '', '') '
            'FROM (SELECT q.*, (pg_catalog.row_number() OVER () OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 1000 AS dunning_chunk '
            'FROM (%s) q(%s)) q GROUP BY q.dunning_chunk',
            pg_catalog.format('INSERT INTO %s (%s) VALUES ', target, v_cols), v_row, query, v_cols) LOOP
        EXECUTE v_stmt;
    END LOOP;
END
$$;

-- issue_reminders, step 5: the reminders' lines (their triggers move the
-- counters), the posted charges, the history, the run's count and the
-- mailer's notifications
CREATE FUNCTION @extschema@._issue_post(v_run bigint, d date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_count     integer;
BEGIN
    -- the lines: their triggers move the items' counters
    PERFORM @extschema@._insert_values('@extschema@.reminder_line',
        '{customer_id,reminder_id,entry_id,level,days_overdue,open_amount,interest,compensation,dunned}', $q$
        SELECT i.customer_id, l.rid, i.entry_id, i.new_level, coalesce(i.days_overdue, 0),
               i.open_amount, i.interest, i.compensation, i.dunned
          FROM pg_temp.dunning_issue_items i
          JOIN pg_temp.dunning_issue_letters l
            ON l.customer_id = i.customer_id
           AND l.currency = i.currency$q$);

    -- with post_charges, fees, interest and compensation on the account
    PERFORM @extschema@._insert_values('@extschema@.entry',
        '{customer_id,entry_id,kind,ref,doc_date,due_date,amount,currency,source}', pg_catalog.format($q$
        SELECT l.customer_id, x.entry_id, x.kind,
               pg_catalog.format('reminder %%s %%s', l.rid, x.what), %1$L::date, %1$L::date, x.amount,
               l.currency, 'dunning'
          FROM pg_temp.dunning_issue_letters l,
               LATERAL (VALUES (l.fee_entry, 'fee', 'fee', l.fees),
                               (l.interest_entry, 'interest', 'interest', l.letter_interest),
                               (l.compensation_entry, 'fee', 'compensation', l.letter_compensation)
                       ) x(entry_id, kind, what, amount)
         WHERE x.entry_id IS NOT NULL$q$, d));

    -- the history
    PERFORM @extschema@._insert_values('@extschema@.activity', '{customer_id,kind,summary,refs}',
        pg_catalog.format($q$
        SELECT l.customer_id, 'reminder',
               pg_catalog.format('level %%s reminder (%%s): %%s %%s overdue', l.letter_level, l.channel,
                                 pg_catalog.round(l.overdue_total, 2), l.currency),
               pg_catalog.jsonb_build_object('reminder_id', l.rid, 'run_id', %1$s::bigint,
                                             'level', l.letter_level, 'as_of', l.as_of)
          FROM pg_temp.dunning_issue_letters l$q$, v_run));

    SELECT pg_catalog.count(*)::integer INTO v_count FROM pg_temp.dunning_issue_letters;
    UPDATE @extschema@.run SET reminders = v_count WHERE run_id = v_run;

    -- the mailer listens: one notification per queued email
    PERFORM pg_catalog.pg_notify('dunning_outbox',
                pg_catalog.jsonb_build_object('customer_id', l.customer_id,
                                              'reminder_id', l.rid)::text)
       FROM pg_temp.dunning_issue_letters l
      WHERE l.channel = 'email'
      ORDER BY l.customer_id, l.rid;
END
$$;

CREATE FUNCTION @extschema@.issue_reminders(
    -- dunning.as_of(): current_date, or the day the proposal was read as of
    as_of           date DEFAULT @extschema@.as_of(),
    customers       text[] DEFAULT NULL,
    payment_methods text[] DEFAULT NULL,
    min_amount      numeric DEFAULT NULL,
    level           integer DEFAULT NULL,
    reissue         boolean DEFAULT false,
    manager_id      text DEFAULT NULL,
    dry_run         boolean DEFAULT false)
RETURNS SETOF @extschema@.reminder
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
-- compiling the proposal's expressions costs more than it saves (bench/)
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_run       bigint;
BEGIN
    PERFORM @extschema@._one_connection_per_node();
    PERFORM @extschema@._issue_check($1, $2, $3, $4, $5, $6, $7, $8);
    IF NOT $8 THEN
        INSERT INTO @extschema@.run (as_of, options, dry_run)
        VALUES ($1, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                    'customers', $2, 'payment_methods', $3, 'min_amount', $4, 'level', $5,
                    'reissue', $6, 'manager_id', $7)),
                false)
        RETURNING run_id INTO v_run;
    END IF;
    PERFORM @extschema@._issue_letters($1, $2, $3, $4, $5, $6, $7, $8);
    IF NOT $8 THEN
        PERFORM @extschema@._issue_lock();
    END IF;
    ANALYZE pg_temp.dunning_issue_letters;
    RETURN QUERY SELECT * FROM @extschema@._issue_render(v_run, $8);
    IF NOT $8 THEN
        PERFORM @extschema@._issue_post(v_run, $1);
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.issue_reminders(date, text[], text[], numeric, integer, boolean, text, boolean) IS
    'turns the proposal of a day into reminders with rendered subject and body; emails are queued and announced on channel dunning_outbox';

CREATE FUNCTION @extschema@._reminder_for_update(customer_id text, reminder_id bigint)
RETURNS @extschema@.reminder
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reminder;
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and reminder_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'A reminder is named by its customer and its id.';
    END IF;
    SELECT * INTO r FROM @extschema@.reminder x
     WHERE x.customer_id = $1
       AND x.reminder_id = $2
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no reminder %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.reminder has no such row.';
    END IF;
    IF r.status = 'cancelled' THEN
        RAISE EXCEPTION 'reminder % of customer % is cancelled', $2, $1
            USING ERRCODE = '55000', DETAIL = 'A cancelled reminder cannot be cancelled or sent.';
    END IF;
    RETURN r;
END
$$;

CREATE FUNCTION @extschema@.cancel_reminder(customer_id text, reminder_id bigint)
RETURNS @extschema@.reminder
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reminder := @extschema@._reminder_for_update($1, $2);
    v_ref text;
BEGIN
    -- the fees and interest it posted go with it, unless already lettered
    SELECT e.ref INTO v_ref FROM @extschema@.entry e
     WHERE e.customer_id = $1
       AND e.entry_id = ANY (r.charge_entry_ids)
       AND e.open_amount <> e.amount
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot cancel reminder % of customer %: its charge "%" is lettered', $2, $1, v_ref
            USING ERRCODE = '55000',
                  DETAIL = 'The fee and interest entries a reminder posted are deleted with it.',
                  HINT = 'Unletter the charge first.';
    END IF;
    DELETE FROM @extschema@.entry e
     WHERE e.customer_id = $1
       AND e.entry_id = ANY (r.charge_entry_ids);
    UPDATE @extschema@.reminder x SET status = 'cancelled'
     WHERE x.customer_id = $1
       AND x.reminder_id = $2
    RETURNING * INTO r;
    PERFORM @extschema@._history($1, 'reminder_cancelled',
                                 pg_catalog.format('level %s reminder of %s cancelled', r.level, r.as_of),
                                 pg_catalog.jsonb_build_object('reminder_id', $2));
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.cancel_reminder(text, bigint) IS
    'cancels a reminder: the counters of its items and customer go back, its posted charges are deleted';

CREATE FUNCTION @extschema@.mark_sent(customer_id text, reminder_id bigint,
                                      sent_at timestamptz DEFAULT pg_catalog.now())
RETURNS @extschema@.reminder
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r @extschema@.reminder := @extschema@._reminder_for_update($1, $2);
BEGIN
    IF $3 IS NULL THEN
        RAISE EXCEPTION 'sent_at must not be null'
            USING ERRCODE = '22004', DETAIL = 'Leave it out for now().';
    END IF;
    IF r.status = ANY ('{sent,printed}'::text[]) THEN
        RAISE EXCEPTION 'reminder % of customer % was already sent at %', $2, $1, r.sent_at
            USING ERRCODE = '55000', DETAIL = 'A reminder leaves the outbox once.';
    END IF;
    UPDATE @extschema@.reminder x
       SET status = CASE WHEN x.channel = ANY ('{letter,legal}'::text[])
                         THEN 'printed' ELSE 'sent' END,
           sent_at = $3
     WHERE x.customer_id = $1
       AND x.reminder_id = $2
    RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_sent(text, bigint, timestamptz) IS
    'takes a reminder out of the outbox: sent (email, phone) or printed (letter, legal)';
