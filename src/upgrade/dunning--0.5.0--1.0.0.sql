\echo Use "ALTER EXTENSION dunning UPDATE TO '1.0.0'" to load this file. \quit
-------------------------------------------------------------------------------
-- 0.5.0 -> 1.0.0, written by hand
--
-- 1.0.0 builds its install script from one source file per concept; the
-- objects it shares with 0.5.0 are the same.  What it changes in objects
-- that are already members of the extension is changed here in place with
-- CREATE OR REPLACE, so users' views on them and their grants stay as they
-- are (test/other/upgrade.sh checks both, and that every released version
-- updated to 1.0.0 has the catalog of a new 1.0.0).
--
-- New in 1.0.0: delivery (pdf.sql, smtp.sql) and the unattended day
-- (daily.sql), at the end of this script;
-- credit control (credit.sql): four columns, an index,
-- credit_status and can_ship, and two columns at the end of the dashboard.
-- The counters 0.5.0 may have left wrong are counted again.
--
-- New private helpers: the template rule of a level (_level_template); the
-- verdict codes of _escalate named in C (_verdict_reason,
-- _verdict_at_level); item_status's explanation in C (_item_note); a
-- history line (_history); items a promise or plan held opened again
-- (_reopen); complete_action's two state machines (_settle_promise,
-- _check_installment); issue_reminders in named steps (_issue_check,
-- _issue_letters, _issue_lock, _issue_render, _issue_post).
--
-- Replaced: the view twins and the SQL functions they inline, now
-- BEGIN ATOMIC bodies (bound when created: no OPERATOR(pg_catalog.x)); the
-- PL/pgSQL functions that pin search_path = pg_catalog, pg_temp, without
-- OPERATOR(pg_catalog.x); the functions that now call the helpers.
-------------------------------------------------------------------------------

-- private: the template a level's letters use: the level's own, else
-- 'final' for a final level, else 'level_1' to 'level_3' (levels above 3
-- take 'level_3'); issuing, the printed letter and the proposal's final
-- function (src/escalation.c) all ask it
CREATE FUNCTION @extschema@._level_template(template text, final boolean, level integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT coalesce($1, CASE WHEN $2 THEN 'final' ELSE 'level_' || least($3, 3)::text END);
END;

CREATE FUNCTION @extschema@._verdict_reason(verdict integer)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_verdict_reason'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@._verdict_at_level(verdict integer)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_verdict_at_level'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@._item_note(policy_id text, days integer, level integer,
                                       last_reminded_on date, as_of date, reason text,
                                       hold text, status text, source text,
                                       payment_method text, dun_level integer,
                                       customer_last date)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_item_note'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@._history(customer_id text, kind text, summary text,
                                     refs jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, $2, $3, $4)
    RETURNING activity_id;
END;

CREATE FUNCTION @extschema@._reopen(customer_id text, entry_ids bigint[], held text)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    UPDATE @extschema@.entry e SET status = 'open', status_note = NULL
     WHERE e.customer_id = $1
       AND e.entry_id = ANY ($2)
       AND e.status = $3;
END;

CREATE FUNCTION @extschema@._today() RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_today'
    LANGUAGE C STABLE PARALLEL SAFE;

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

CREATE FUNCTION @extschema@._settle_promise(customer_id text, promise_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    p       @extschema@.promise;
    v_paid  numeric;
BEGIN
    SELECT * INTO p FROM @extschema@.promise x
     WHERE x.customer_id = $1 AND x.promise_id = $2
       FOR UPDATE;
    IF p.status IS DISTINCT FROM 'open' THEN
        RETURN;
    END IF;
    SELECT coalesce(pg_catalog.sum(al.amount), 0) INTO v_paid
      FROM @extschema@.allocation al
     WHERE al.customer_id = $1
       AND al.debit_id = ANY (p.entry_ids)
       AND al.allocated_on <= p.promised_on
       AND al.allocated_on >= p.made_on;
    UPDATE @extschema@.promise x
       SET status = CASE WHEN v_paid >= p.amount THEN 'kept' ELSE 'broken' END
     WHERE x.customer_id = $1 AND x.promise_id = p.promise_id;
    PERFORM @extschema@._reopen($1, p.entry_ids, 'promise');
    PERFORM @extschema@._history($1, 'promise',
               pg_catalog.format('promise of %s %s for %s %s: %s paid by then', p.amount, p.currency,
                                 p.promised_on,
                                 CASE WHEN v_paid >= p.amount THEN 'kept' ELSE 'broken' END,
                                 v_paid),
               pg_catalog.jsonb_build_object('promise_id', p.promise_id, 'paid', v_paid));
END
$$;

CREATE FUNCTION @extschema@._check_installment(customer_id text, plan_id bigint, owner text, as_of date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    d       date := $4;
    pl      @extschema@.payment_plan;
    inst    @extschema@.installment;
    nxt     @extschema@.installment;
    v_paid  numeric;
    v_due   numeric;
    v_count bigint;
BEGIN
    SELECT * INTO pl FROM @extschema@.payment_plan x
     WHERE x.customer_id = $1 AND x.plan_id = $2
       FOR UPDATE;
    SELECT * INTO inst FROM @extschema@.installment i
     WHERE i.customer_id = $1 AND i.plan_id = pl.plan_id
       AND i.paid_on IS NULL
     ORDER BY i.seq LIMIT 1;
    IF pl.status IS DISTINCT FROM 'active' OR inst.seq IS NULL THEN
        RETURN;
    END IF;
    SELECT coalesce(pg_catalog.sum(al.amount), 0) INTO v_paid
      FROM @extschema@.allocation al
     WHERE al.customer_id = $1
       AND al.debit_id = ANY (pl.entry_ids)
       AND al.allocated_on >= pl.agreed_on
       AND al.allocated_on <= d;
    SELECT pg_catalog.sum(i.amount) INTO v_due FROM @extschema@.installment i
     WHERE i.customer_id = $1 AND i.plan_id = pl.plan_id
       AND i.seq <= inst.seq;
    IF v_paid < v_due AND d < inst.due_on THEN
        -- not paid yet, but not due yet either: nothing is missed before the day
        RAISE EXCEPTION 'installment % of plan % is due on %: its check cannot be completed on %',
                        inst.seq, pl.plan_id, inst.due_on, d
            USING ERRCODE = '55000',
                  DETAIL = pg_catalog.format('%s of %s due so far is paid; the plan is broken only when the day has come without it.',
                                             v_paid, v_due),
                  HINT = pg_catalog.format('Complete the check on %s or later.', inst.due_on);
    END IF;
    IF v_paid < v_due THEN
        UPDATE @extschema@.payment_plan x SET status = 'broken'
         WHERE x.customer_id = $1 AND x.plan_id = pl.plan_id;
        PERFORM @extschema@._reopen($1, pl.entry_ids, 'payment_plan');
        PERFORM @extschema@._history($1, 'installment',
                   pg_catalog.format('installment %s of plan %s missed (%s of %s due so far): plan broken',
                                     inst.seq, pl.plan_id, v_paid, v_due),
                   pg_catalog.jsonb_build_object('plan_id', pl.plan_id, 'seq', inst.seq));
        RETURN;
    END IF;
    UPDATE @extschema@.installment i SET paid_on = d
     WHERE i.customer_id = $1 AND i.plan_id = pl.plan_id
       AND i.seq = inst.seq;
    SELECT * INTO nxt FROM @extschema@.installment i
     WHERE i.customer_id = $1 AND i.plan_id = pl.plan_id
       AND i.seq > inst.seq
     ORDER BY i.seq LIMIT 1;
    IF nxt.seq IS NOT NULL THEN
        -- the plan's installments counted first: Citus takes no subquery
        -- in an INSERT's VALUES
        SELECT pg_catalog.count(*) INTO v_count FROM @extschema@.installment i
         WHERE i.customer_id = $1
           AND i.plan_id = pl.plan_id;
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, plan_id)
        VALUES ($1, 'installment_check', pl.entry_ids, nxt.due_on, $3,
                pg_catalog.format('installment %s of %s: %s %s', nxt.seq, v_count,
                                  nxt.amount, pl.currency),
                pl.plan_id);
    ELSE
        UPDATE @extschema@.payment_plan x SET status = 'completed'
         WHERE x.customer_id = $1 AND x.plan_id = pl.plan_id;
        PERFORM @extschema@._reopen($1, pl.entry_ids, 'payment_plan');
    END IF;
    PERFORM @extschema@._history($1, 'installment',
               pg_catalog.format('installment %s of plan %s paid (%s of %s due so far)',
                                 inst.seq, pl.plan_id, v_paid, v_due),
               pg_catalog.jsonb_build_object('plan_id', pl.plan_id, 'seq', inst.seq));
END
$$;

-- private: what the allocations dated after a day took from each entry
-- (a debit's amount back, a credit's back as a negative amount)
CREATE FUNCTION @extschema@._taken_back(as_of date)
RETURNS TABLE (customer_id text, entry_id bigint, back numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- one read of the allocations, each giving its debit and its credit: a
-- UNION of two reads would be gathered on the coordinator of a distributed
-- ledger, where this is read on each shard
SELECT a.customer_id, x.entry_id, sum(x.back)
  FROM @extschema@.allocation a
 CROSS JOIN LATERAL (VALUES (a.debit_id, a.amount), (a.credit_id, - a.amount)) x(entry_id, back)
 WHERE a.allocated_on > $1
 GROUP BY a.customer_id, x.entry_id;
END;

CREATE OR REPLACE FUNCTION @extschema@.open_items(as_of date)
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    bucket              @extschema@.aging,
    status              text,
    disputed_amount     numeric,
    excluded            boolean,
    payment_method      text,
    source              text,
    letter_code         text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- (SELECT _as_of_arg($1)) is an init plan: the date is checked and computed
-- once per query, not once per row
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date,
       coalesce(e.due_date, e.doc_date),
       e.currency, e.amount,
       CASE WHEN l.back IS NULL THEN e.open_amount ELSE e.open_amount + l.back END,
       CASE WHEN e.amount > 0
            THEN (SELECT @extschema@._as_of_arg($1)) - coalesce(e.due_date, e.doc_date) END,
       CASE WHEN e.amount > 0
            THEN @extschema@.bucket((SELECT @extschema@._as_of_arg($1)) -
                                    coalesce(e.due_date, e.doc_date)) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source,
       e.letter_code, e.level, e.reminder_count, e.last_reminded_on, (SELECT @extschema@._as_of_arg($1))
  FROM @extschema@.entry e
  -- allocations dated after the day are taken back
  LEFT JOIN @extschema@._taken_back($1) l
    ON l.customer_id = e.customer_id
   AND l.entry_id = e.entry_id
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL    -- checked even on an empty ledger
   AND e.doc_date <= (SELECT @extschema@._as_of_arg($1))
   AND (e.open_amount <> 0 OR l.entry_id IS NOT NULL);
END;
COMMENT ON FUNCTION @extschema@.open_items(date) IS
    'open entries of the ledger as it stood on a day, with days overdue and bucket';

CREATE OR REPLACE FUNCTION @extschema@.aged_buckets(as_of date,
        scheme @extschema@.aging[] DEFAULT @extschema@.default_scheme(),
        language text DEFAULT 'en')
RETURNS TABLE (
    customer_id         text,
    currency            text,
    bucket              @extschema@.aging,
    label               text,
    amount              numeric,
    items               bigint,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT b.customer_id, b.currency, b.bucket,
       @extschema@.label(b.bucket, $3), b.amount, b.items, $1
  FROM (SELECT o.customer_id, o.currency,
               @extschema@.bucket(o.days_overdue, $2) AS bucket,
               sum(o.open_amount) AS amount,
               count(*) AS items
          FROM @extschema@.open_items($1) o
         WHERE o.days_overdue IS NOT NULL
         GROUP BY 1, 2, 3) b;
END;
COMMENT ON FUNCTION @extschema@.aged_buckets(date, @extschema@.aging[], text) IS
    'open debits per customer, currency and bucket of any scheme, one row per bucket, labelled';

-- entry.compensated: a reminder not cancelled charged the invoice the flat
-- compensation, a counter the triggers keep (src/counters.c) and the
-- proposal reads; filled where the counters are counted again, below.
ALTER TABLE @extschema@.entry
    ADD COLUMN compensated boolean NOT NULL DEFAULT false;
COMMENT ON TABLE @extschema@.entry IS 'a line on a customer account; open_amount, letter_code, lettered_on, level, reminder_count, last_reminded_on and compensated are maintained';
COMMENT ON COLUMN @extschema@.entry.compensated IS
    'a reminder not cancelled charged this invoice the flat compensation (policy.compensation), which is charged once; kept by triggers on reminder and reminder_line';

-- private: the open entries on a day, for the proposal: open_items'
-- columns that the judgement reads, and whether a letter charged the
-- compensation.  It replaces 0.5.0's _open_entries (dropped below, once
-- nothing reads it), which had no such column.
CREATE FUNCTION @extschema@._open_entries_on(as_of date)
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    status              text,
    disputed_amount     numeric,
    excluded            boolean,
    payment_method      text,
    source              text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    as_of               date,
    compensated         boolean
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- One read of the ledger: the entries open on the day, each with what the
-- allocations dated after the day take back (nothing, nearly always).  A
-- UNION of the open entries and of the closed ones those allocations
-- reopen read 10 % faster on a mature ledger (closed entries dropped at
-- the scan), but Citus gathers a UNION's rows on the coordinator.  No
-- common table expression and no init plan (the day is checked by
-- _as_of_arg in each row, 80 ns): either would keep the query off the
-- parallel workers (bench/README.md, "The first run and the server's
-- defaults").
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date, coalesce(e.due_date, e.doc_date),
       e.currency, e.amount,
       -- nothing taken back: the open amount as it is, with no numeric
       -- addition; a closed entry reopened: what is taken back
       CASE WHEN l.back IS NULL THEN e.open_amount
            WHEN e.open_amount = 0 THEN l.back
            ELSE e.open_amount + l.back END,
       CASE WHEN e.amount > 0
            THEN @extschema@._as_of_arg($1) - coalesce(e.due_date, e.doc_date) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source, e.level,
       e.reminder_count, e.last_reminded_on, @extschema@._as_of_arg($1), e.compensated
  FROM @extschema@.entry e
  LEFT JOIN @extschema@._taken_back($1) l
    ON l.customer_id = e.customer_id
   AND l.entry_id = e.entry_id
 WHERE e.doc_date <= @extschema@._as_of_arg($1)
   -- open, or reopened: "l.entry_id = e.entry_id" is "a row of l", which
   -- the planner prices as the few rows it is (IS NOT NULL on a column
   -- with no statistics it takes for nearly every row, and it then joined
   -- every closed entry of a mature ledger to its customer before this
   -- filter: the proposal 3 times slower)
   AND (e.open_amount <> 0 OR l.entry_id = e.entry_id)
   AND (l.back IS NULL OR e.open_amount + l.back <> 0);
END;

-- private: the items held on a day by an open promise not yet due
CREATE FUNCTION @extschema@._promise_holds(as_of date)
RETURNS TABLE (customer_id text, entry_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT pr.customer_id, u.entry_id
  FROM @extschema@.promise pr
 CROSS JOIN LATERAL unnest(pr.entry_ids) u(entry_id)
 WHERE pr.status = 'open'
   AND pr.made_on <= $1
   AND pr.promised_on >= $1
 GROUP BY pr.customer_id, u.entry_id;
END;

-- private: the items held on a day by an active plan that has missed no
-- installment.  A plan has missed one when an installment's day has passed
-- and the payments lettered to the plan's items since it was agreed do not
-- cover the installments due so far: as the amounts are above zero, the
-- installments up to the last one whose day has passed.  Joins by customer
-- and plain sums, not a function per plan, a correlated subquery nor a
-- window: the same query runs on each shard of a distributed ledger, and
-- on the parallel workers here under the proposal's partial sums (a window
-- kept this join, and the sums after it, in the leader: bench/README.md).
CREATE FUNCTION @extschema@._plan_holds(as_of date)
RETURNS TABLE (customer_id text, entry_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT pp.customer_id, u.entry_id
  FROM @extschema@.payment_plan pp
 CROSS JOIN LATERAL unnest(pp.entry_ids) u(entry_id)
  LEFT JOIN (SELECT d.customer_id, d.plan_id, sum(i.amount) AS due_so_far
               FROM (SELECT n.customer_id, n.plan_id, max(n.seq) AS last_seq
                       FROM @extschema@.installment n
                      WHERE n.due_on < $1
                      GROUP BY n.customer_id, n.plan_id) d
               JOIN @extschema@.installment i
                 ON i.customer_id = d.customer_id
                AND i.plan_id = d.plan_id
                AND i.seq <= d.last_seq
              GROUP BY d.customer_id, d.plan_id) k
    ON k.customer_id = pp.customer_id
   AND k.plan_id = pp.plan_id
  LEFT JOIN (SELECT pd.customer_id, pd.plan_id, sum(a.amount) AS paid
               FROM @extschema@.payment_plan pd
               JOIN @extschema@.allocation a
                 ON a.customer_id = pd.customer_id
                AND a.debit_id = ANY (pd.entry_ids)
                AND a.allocated_on >= pd.agreed_on
                AND a.allocated_on <= $1
              WHERE pd.status = 'active'
              GROUP BY pd.customer_id, pd.plan_id) p
    ON p.customer_id = pp.customer_id
   AND p.plan_id = pp.plan_id
 WHERE pp.status = 'active'
   AND pp.agreed_on <= $1
   AND (k.plan_id IS NULL OR k.due_so_far <= coalesce(p.paid, 0))
 GROUP BY pp.customer_id, u.entry_id;
END;

-- private: every open entry on a day with what its judgement reads: its
-- customer, the customer's policy, the promise or plan that holds it, and
-- whether a letter not cancelled charged it the compensation already (the
-- entry's counter: a join of the letters' lines, which each parallel
-- worker hashed on its own, cost a month after a run 1.2 s of the
-- backlog's 3.8 s proposal, bench/README.md).
CREATE FUNCTION @extschema@._item_inputs(as_of date)
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    status              text,
    disputed_amount     numeric,
    excluded            boolean,
    payment_method      text,
    source              text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    as_of               date,
    policy_id           text,
    manager_id          text,
    name                text,
    language            text,
    is_consumer         boolean,
    customer_reminders  integer,
    customer_last       date,
    customer_level      integer,
    blocked_until       date,
    statement           text,
    min_balance         numeric,
    policy_currency     text,
    interest_regime     text,
    interest_rate       numeric,
    day_count           text,
    compensation        numeric,
    post_charges        boolean,
    plan_hold           text,
    compensated         boolean
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT o.customer_id, o.entry_id, o.kind, o.ref, o.doc_date, o.due_date, o.currency,
       o.amount, o.open_amount, o.days_overdue, o.status, o.disputed_amount, o.excluded,
       o.payment_method, o.source, o.level, o.reminder_count, o.last_reminded_on, o.as_of,
       c.policy_id, c.manager_id, c.name, c.language,
       c.is_consumer, c.reminder_count, c.last_reminded_on, c.level, c.blocked_until,
       p.statement, p.min_balance, p.currency, p.interest_regime, p.interest_rate,
       p.day_count, p.compensation, p.post_charges,
       CASE WHEN hp.entry_id IS NOT NULL THEN 'promise'
            WHEN hl.entry_id IS NOT NULL THEN 'payment_plan' END,
       o.compensated
  FROM @extschema@._open_entries_on($1) o
  JOIN @extschema@.customer c
    ON c.customer_id = o.customer_id
  LEFT JOIN @extschema@.policy p
    ON p.policy_id = c.policy_id
  -- a promise is named first
  LEFT JOIN @extschema@._promise_holds($1) hp
    ON hp.customer_id = o.customer_id
   AND hp.entry_id = o.entry_id
  LEFT JOIN @extschema@._plan_holds($1) hl
    ON hl.customer_id = o.customer_id
   AND hl.entry_id = o.entry_id;
END;

-- private: one open entry judged (src/proposal.c): the hold of an item
-- exclusion, the escalation verdict, the customer's block and interval, the
-- level it would be dunned at and the part of it a letter may claim
CREATE TYPE @extschema@._judgement AS (
    hold                text,
    esc                 integer,
    customer_blocked    boolean,
    customer_interval   boolean,
    dun_level           integer,
    claimable           numeric
);
CREATE FUNCTION @extschema@._judge(
        policy_id text, amount numeric, open_amount numeric, days_overdue integer,
        level integer, last_reminded_on date, as_of date, excluded boolean, source text,
        payment_method text, status text, disputed_amount numeric, plan_hold text,
        blocked_until date, customer_last date, force_level integer, reissue boolean,
        methods text[])
    RETURNS @extschema@._judgement
    AS 'MODULE_PATHNAME', 'dunning_judge'
    -- VOLATILE only to keep _judged's subquery a subquery (below); it reads
    -- the policies and changes nothing
    LANGUAGE C VOLATILE PARALLEL SAFE;

-- private: every open entry on a day, judged on its own: the hold of an
-- item exclusion, the escalation (src/escalation.c), the level it would be
-- dunned at and the part of it a letter may claim.  force_level, reissue
-- and methods are issue_reminders' options (NULL, false, NULL for the
-- views).
CREATE OR REPLACE FUNCTION @extschema@._judged(as_of date, force_level integer, reissue boolean,
                                    methods text[])
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    status              text,
    disputed_amount     numeric,
    payment_method      text,
    source              text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    policy_id           text,
    manager_id          text,
    statement           text,
    min_balance         numeric,
    name                text,
    language            text,
    is_consumer         boolean,
    policy_currency     text,
    interest_regime     text,
    interest_rate       numeric,
    day_count           text,
    compensation        numeric,
    post_charges        boolean,
    customer_reminders  integer,
    customer_last       date,
    customer_level      integer,
    hold                text,
    esc                 integer,
    customer_blocked    boolean,
    customer_interval   boolean,
    as_of               date,
    dun_level           integer,
    claimable           numeric,
    force               boolean
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT x.customer_id, x.entry_id, x.kind, x.ref, x.doc_date, x.due_date,
       x.currency, x.amount, x.open_amount, x.days_overdue, x.status,
       x.disputed_amount, x.payment_method, x.source, x.level,
       x.reminder_count, x.last_reminded_on,
       x.policy_id, x.manager_id, x.statement, x.min_balance,
       x.name, x.language, x.is_consumer, x.policy_currency,
       x.interest_regime, x.interest_rate, x.day_count, x.compensation,
       x.post_charges, x.customer_reminders, x.customer_last, x.customer_level,
       (x.j).hold, (x.j).esc, (x.j).customer_blocked, (x.j).customer_interval, x.as_of,
       (x.j).dun_level, (x.j).claimable, $2 IS NOT NULL
  -- The judgement of the item (src/proposal.c), one call per item, in a
  -- subquery that the planner keeps (a VOLATILE function in its target list)
  -- rather than copying the call into every column that reads it.  A filter
  -- on the customer still reaches the ledger's index, and the subquery runs
  -- on the parallel workers, its call too (0.5.0 called it lateral, OFFSET
  -- 0, in the leader).
  FROM (SELECT i.*,
               @extschema@._judge(
                   i.policy_id, i.amount, i.open_amount, i.days_overdue, i.level,
                   i.last_reminded_on, i.as_of, i.excluded, i.source, i.payment_method,
                   i.status, i.disputed_amount, i.plan_hold, i.blocked_until,
                   i.customer_last, $2, $3, $4) AS j
          FROM @extschema@._item_inputs($1) i) x;
END;

CREATE OR REPLACE FUNCTION @extschema@._items(as_of date, force_level integer, reissue boolean,
                                   methods text[])
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    status              text,
    disputed_amount     numeric,
    payment_method      text,
    source              text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    policy_id           text,
    manager_id          text,
    statement           text,
    hold                text,
    esc                 integer,
    dun_level           integer,
    claimable           numeric,
    letter_level        integer,
    overdue_total       numeric,
    min_balance         numeric,
    customer_blocked    boolean,
    customer_interval   boolean,
    on_letter           boolean,
    reason              text,
    customer_reminders  integer,
    customer_last       date,
    customer_level      integer,
    as_of               date,
    name                text,
    language            text,
    is_consumer         boolean,
    policy_currency     text,
    interest_regime     text,
    interest_rate       numeric,
    day_count           text,
    compensation        numeric,
    post_charges        boolean
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT w.customer_id, w.entry_id, w.kind, w.ref, w.doc_date, w.due_date, w.currency,
       w.amount, w.open_amount, w.days_overdue, w.status, w.disputed_amount,
       w.payment_method, w.source, w.level, w.reminder_count, w.last_reminded_on,
       w.policy_id, w.manager_id, w.statement, w.hold, w.esc, w.dun_level, w.claimable,
       w.letter_level, w.overdue_total, w.min_balance, w.customer_blocked,
       w.customer_interval, w.on_letter,
       CASE WHEN w.item_reason = 'proposed' AND NOT w.on_letter THEN 'below_min_balance'
            ELSE w.item_reason END,
       w.customer_reminders, w.customer_last, w.customer_level, w.as_of,
       w.name, w.language, w.is_consumer, w.policy_currency, w.interest_regime,
       w.interest_rate, w.day_count, w.compensation, w.post_charges
  -- Each column computed once, in the window's subquery (a column of a
  -- subquery that is pulled up is copied into every expression that reads
  -- it: item_status reads the reason a dozen times).  The reason of the
  -- item itself, then the letter's: a proposed item is below the minimum
  -- balance when its letter is not sent.
  FROM (SELECT d.*,
               CASE WHEN max(d.dun_level) OVER c IS NOT NULL
                    THEN coalesce($2, max(d.dun_level) OVER c) END AS letter_level,
               sum(d.claimable) OVER c AS overdue_total,
               max(d.dun_level) OVER c IS NOT NULL
               AND NOT d.customer_interval
               AND sum(d.claimable) OVER c > 0
               AND (d.force OR sum(d.claimable) OVER c >=
                    greatest(d.min_balance,
                             @extschema@._level_min(d.policy_id,
                                                    coalesce($2, max(d.dun_level) OVER c),
                                                    d.currency)))
               AS on_letter,
               CASE WHEN d.amount <= 0 THEN NULL
                    WHEN d.hold IS NOT NULL THEN d.hold
                    WHEN d.customer_blocked THEN 'customer_blocked'
                    WHEN d.dun_level IS NULL
                    THEN coalesce(@extschema@._verdict_reason(d.esc),
                                  CASE WHEN d.days_overdue <= 0 THEN 'not_due'
                                       ELSE 'last_level' END)
                    WHEN d.customer_interval THEN 'customer_interval'
                    ELSE 'proposed' END AS item_reason
          FROM @extschema@._judged($1, $2, $3, $4) d
        -- by customer first, so that a filter on customer_id reaches the
        -- ledger's index
        WINDOW c AS (PARTITION BY d.customer_id, d.currency)) w;
END;

-- private: the look-ups of item_status's explanations, as functions so
-- that the planner prices them at their COST for the items that need them
-- rather than at a correlated subquery's price for every item (a query
-- priced over 500,000 has PostgreSQL's default JIT optimize its code for
-- seconds: bench/README.md, "The first run and the server's defaults")
-- (_blocked_note is C, src/escalation.c: an SQL function's query of the
-- customer is refused on a shard of a distributed ledger)
CREATE FUNCTION @extschema@._blocked_note(customer_id text) RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_blocked_note'
    LANGUAGE C STABLE STRICT PARALLEL SAFE COST 5;

CREATE OR REPLACE FUNCTION @extschema@.item_status(as_of date)
RETURNS TABLE (
    customer_id         text,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    currency            text,
    amount              numeric,
    open_amount         numeric,
    days_overdue        integer,
    status              text,
    level               integer,
    reminder_count      integer,
    last_reminded_on    date,
    next_level          integer,
    reason              text,
    explanation         text,
    letter_level        integer,
    overdue_total       numeric,
    policy_id           text,
    manager_id          text,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT i.customer_id, i.entry_id, i.kind, i.ref, i.doc_date, i.due_date, i.currency,
       i.amount, i.open_amount, i.days_overdue, i.status, i.level, i.reminder_count,
       i.last_reminded_on, i.dun_level, i.reason,
       CASE WHEN i.reason = 'customer_blocked'
            THEN @extschema@._blocked_note(i.customer_id)
            WHEN i.reason = 'below_min_balance'
            THEN format('level %s is due, but the overdue total %s %s is under the minimum %s',
                        i.dun_level, i.overdue_total, i.currency,
                        greatest(i.min_balance,
                                 @extschema@._level_min(i.policy_id, i.letter_level, i.currency)))
            ELSE @extschema@._item_note(i.policy_id, i.days_overdue, i.level,
                                        i.last_reminded_on, i.as_of, i.reason, i.hold,
                                        i.status, i.source, i.payment_method, i.dun_level,
                                        i.customer_last)
       END,
       i.letter_level, i.overdue_total, i.policy_id, i.manager_id, i.as_of
  FROM @extschema@._items($1, NULL, false, NULL) i
 WHERE i.amount > 0;
END;
COMMENT ON FUNCTION @extschema@.item_status(date) IS
    'every open debit on a day: the level it is due for, or the reason it is held back';

-- private: the interest of one item a letter dunns at a level that charges
-- it (_letter_items' interest), from the proposal's _letter and from
-- issuing's _letter_items.  A function of its own, called only for
-- those items: the planner counts a function call at its COST and a
-- correlated subquery at its whole price for every item, guarded or not,
-- and a proposal priced at several hundred thousand made PostgreSQL
-- optimize its JIT code for seconds (bench/README.md, "The first run and
-- the server's defaults").  In C (src/interest.c): an item nothing was
-- paid on by the day reads no table, the others read their payments with
-- a saved plan, where a PL/pgSQL function cost 52 us an item; Citus runs
-- it on a shard (it refuses an SQL function's parameters).
CREATE FUNCTION @extschema@._item_interest(customer_id text, entry_id bigint, amount numeric,
                                           open_amount numeric, due_date date, as_of date,
                                           regime text, annual_rate numeric, day_count text,
                                           post_charges boolean)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_item_interest'
    LANGUAGE C STABLE PARALLEL SAFE COST 5;

-- private: a letter not cancelled charged the item the flat compensation
-- already: the entry's counter (src/interest.c)
CREATE FUNCTION @extschema@._item_compensated(customer_id text, entry_id bigint)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_item_compensated'
    LANGUAGE C STABLE PARALLEL SAFE COST 5;

CREATE OR REPLACE FUNCTION @extschema@._letter_items(as_of date, force_level integer, reissue boolean,
                                          methods text[])
RETURNS TABLE (
    customer_id         text,
    currency            text,
    letter_level        integer,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    days_overdue        integer,
    amount              numeric,
    open_amount         numeric,
    current_level       integer,
    new_level           integer,
    dunned              boolean,
    reason              text,
    interest            numeric,
    compensation        numeric,
    overdue_total       numeric,
    policy_id           text,
    manager_id          text,
    customer_reminders  integer,
    customer_last       date,
    customer_level      integer,
    as_of               date,
    -- the letter the item is on, repeated on each of its items
    name                text,
    language            text,
    post_charges        boolean,
    fees                numeric,
    letter_items        integer,
    letter_dunned       integer,
    letter_interest     numeric,
    letter_compensation numeric,
    letter_row          bigint
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT x.*,
       (count(*) OVER w)::integer,
       (count(*) FILTER (WHERE x.dunned) OVER w)::integer,
       sum(x.interest) OVER w,
       sum(x.compensation) OVER w,
       row_number() OVER w
  FROM (
SELECT i.customer_id, i.currency, i.letter_level, i.entry_id, i.kind, i.ref, i.doc_date,
       i.due_date, i.days_overdue, i.amount, i.open_amount, i.level,
       coalesce(i.dun_level, i.level) AS new_level, i.dun_level IS NOT NULL AS dunned, i.reason,
       -- the charges of an item dunned at a level, in the query itself (a
       -- function inlined as a subquery with no FROM is refused by Citus on
       -- a shard).  interest: on an overdue invoice, when that level
       -- charges interest and the policy has a regime (_item_interest);
       -- compensation: once per late invoice, never to consumers, in the
       -- policy's currency
       CASE WHEN i.dun_level IS NOT NULL AND i.kind = 'invoice'
             AND i.days_overdue > 0 AND i.interest_regime IS NOT NULL
             AND @extschema@._level_interest(i.policy_id, i.dun_level)
            THEN @extschema@._item_interest(i.customer_id, i.entry_id, i.amount, i.open_amount,
                                            i.due_date, i.as_of, i.interest_regime,
                                            i.interest_rate, i.day_count, i.post_charges)
            ELSE 0 END AS interest,
       CASE WHEN i.dun_level IS NOT NULL AND i.kind = 'invoice'
             AND i.days_overdue > 0
             AND i.compensation > 0 AND NOT i.is_consumer
             AND i.currency = i.policy_currency
             -- a customer with no letter (its counters) was charged nothing
             AND (i.customer_last IS NULL
                  OR NOT @extschema@._item_compensated(i.customer_id, i.entry_id))
            THEN i.compensation ELSE 0 END AS compensation,
       i.overdue_total, i.policy_id, i.manager_id, i.customer_reminders, i.customer_last,
       i.customer_level, i.as_of,
       i.name, i.language, i.post_charges,
       @extschema@._level_fee(i.policy_id, i.letter_level, i.currency)
  FROM @extschema@._items($1, $2, $3, $4) i
 WHERE i.on_letter
   AND (i.dun_level IS NOT NULL
        OR i.statement = 'account'
        OR i.amount < 0
        OR i.days_overdue > 0)
       ) x
WINDOW w AS (PARTITION BY x.customer_id, x.currency);
END;
-- _letter_items computes the charges itself (Citus refuses the subquery
-- with no FROM that _item_charges was inlined as)
DROP FUNCTION @extschema@._item_charges(text, bigint, text, integer, numeric, date, text, date,
                                        text, integer, text, text, numeric, text, boolean,
                                        numeric, boolean);

CREATE OR REPLACE FUNCTION @extschema@.reminder_proposal_item(as_of date)
RETURNS TABLE (
    customer_id         text,
    currency            text,
    letter_level        integer,
    entry_id            bigint,
    kind                text,
    ref                 text,
    doc_date            date,
    due_date            date,
    days_overdue        integer,
    amount              numeric,
    open_amount         numeric,
    current_level       integer,
    new_level           integer,
    dunned              boolean,
    reason              text,
    interest            numeric,
    compensation        numeric,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT li.customer_id, li.currency, li.letter_level, li.entry_id, li.kind, li.ref,
       li.doc_date, li.due_date, li.days_overdue, li.amount, li.open_amount,
       li.current_level, li.new_level, li.dunned, li.reason, li.interest,
       li.compensation, li.as_of
  FROM @extschema@._letter_items($1, NULL, false, NULL) li;
END;
COMMENT ON FUNCTION @extschema@.reminder_proposal_item(date) IS
    'the items of each letter the proposal of a day would send';

-- private: a letter's figures from its judged items (src/proposal.c)
CREATE TYPE @extschema@._letter_sum AS (
    letter_level        integer,
    overdue_total       numeric,
    items               integer,
    dunned_items        integer,
    interest            numeric,
    compensation        numeric,
    fee                 numeric,
    total               numeric,
    name                text,
    manager_id          text,
    policy_id           text,
    channel             text,
    template            text
);
-- private: an item's part of its letter, written flat: the level it is due
-- for, whether it is listed, the customer's interval, the amounts it adds
-- (src/proposal.c).  The arguments of _judge, then those of the charges.
-- VOLATILE only to keep reminder_proposal's subquery a subquery, so that
-- the call runs below the sort by customer; it reads the policies and the
-- item's payments, and changes nothing.
CREATE FUNCTION @extschema@._letter_item(
        policy_id text, amount numeric, open_amount numeric, days_overdue integer,
        level integer, last_reminded_on date, as_of date, excluded boolean, source text,
        payment_method text, status text, disputed_amount numeric, plan_hold text,
        blocked_until date, customer_last date, force_level integer, reissue boolean,
        methods text[],
        kind text, customer_id text, entry_id bigint, due_date date, is_consumer boolean,
        currency text, compensated boolean)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'dunning_letter_item'
    LANGUAGE C VOLATILE PARALLEL SAFE;
-- the items of a letter added up: each item's part, then the letter's
-- policy, currency, customer name and manager (src/proposal.c)
CREATE FUNCTION @extschema@._letter_accum(internal, item bytea, policy_id text,
                                          currency text, name text, manager_id text)
    RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_letter_accum'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._letter_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_letter_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._letter_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'dunning_letter_serialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._letter_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'dunning_letter_deserialize'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._letter_final(internal) RETURNS @extschema@._letter_sum
    AS 'MODULE_PATHNAME', 'dunning_letter_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._letter(item bytea, policy_id text, currency text,
                                      name text, manager_id text) (
    SFUNC = @extschema@._letter_accum,
    STYPE = internal,
    FINALFUNC = @extschema@._letter_final,
    COMBINEFUNC = @extschema@._letter_combine,
    SERIALFUNC = @extschema@._letter_serialize,
    DESERIALFUNC = @extschema@._letter_deserialize,
    PARALLEL = SAFE
);

CREATE OR REPLACE FUNCTION @extschema@.reminder_proposal(as_of date)
RETURNS TABLE (
    customer_id         text,
    name                text,
    currency            text,
    level               integer,
    channel             text,
    template            text,
    items               integer,
    dunned_items        integer,
    overdue_total       numeric,
    fees                numeric,
    interest            numeric,
    compensation        numeric,
    total               numeric,
    manager_id          text,
    policy_id           text,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- One pass: each item judged and charged by one C call (_letter_item, on
-- the parallel workers with the ledger's scan, in a subquery the planner
-- keeps), its part of the letter summed per customer and currency by one
-- aggregate (_letter, src/proposal.c), whose final function applies the
-- letter's rules (the same as _items', which item_status and issuing use;
-- the regression tests and test/pgtap/proposal.sql check that both agree)
-- and gives NULL where no letter goes, and the level's channel and template
-- (src/escalation.c's cache of the levels: a join with dunning.level here
-- cost a tenth of the backlog's proposal in the leader, bench/README.md).
-- The sort by customer then carries each item's part, about 30 bytes, not
-- the 25 columns its judgement reads (a third of the bytes sorted,
-- bench/README.md).
SELECT g.customer_id COLLATE "default", (g.l).name, g.currency COLLATE "default",
       (g.l).letter_level, (g.l).channel, (g.l).template,
       (g.l).items, (g.l).dunned_items, (g.l).overdue_total, (g.l).fee, (g.l).interest,
       (g.l).compensation, (g.l).total, (g.l).manager_id, (g.l).policy_id,
       (SELECT @extschema@._as_of_arg($1))
  FROM (SELECT x.customer_id COLLATE "C" AS customer_id, x.currency COLLATE "C" AS currency,
               @extschema@._letter(x.item, x.policy_id, x.currency COLLATE "C", x.name,
                                   x.manager_id) AS l
          FROM (SELECT i.customer_id, i.currency,
                       @extschema@._letter_item(
                           i.policy_id, i.amount, i.open_amount, i.days_overdue, i.level,
                           i.last_reminded_on, i.as_of, i.excluded, i.source, i.payment_method,
                           i.status, i.disputed_amount, i.plan_hold, i.blocked_until,
                           i.customer_last, NULL, false, NULL,
                           i.kind, i.customer_id, i.entry_id, i.due_date, i.is_consumer,
                           i.currency, i.compensated) AS item,
                       i.policy_id, i.name, i.manager_id
                  FROM @extschema@._item_inputs($1) i) x
         -- groups need no linguistic order: bytes sort faster (and the
         -- aggregate reads the keys as they are sorted, so that the rows
         -- sorted carry them once); Citus sees the customer, its
         -- distribution column, in a grouping of the subquery's column
         -- (of the subquery's expression with a collation, it pulled every
         -- item to the coordinator)
         GROUP BY x.customer_id COLLATE "C", x.currency COLLATE "C") g
 WHERE (g.l).letter_level IS NOT NULL;
END;
COMMENT ON FUNCTION @extschema@.reminder_proposal(date) IS
    'one row per letter the proposal of a day would send';

CREATE OR REPLACE FUNCTION @extschema@.overdue_by_level(as_of date)
RETURNS TABLE (
    currency            text,
    level               integer,
    customers           bigint,
    items               bigint,
    amount              numeric,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT o.currency, o.level, count(DISTINCT o.customer_id), count(*),
       sum(o.open_amount), $1
  FROM @extschema@.open_items($1) o
 WHERE o.days_overdue > 0
 GROUP BY o.currency, o.level;
END;
COMMENT ON FUNCTION @extschema@.overdue_by_level(date) IS
    'overdue items on a day by currency and current reminder level (0: never reminded)';

CREATE OR REPLACE FUNCTION @extschema@._template(key text, language text, channel text)
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

CREATE OR REPLACE FUNCTION @extschema@._check_array(value anyarray, name text, what text)
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

CREATE OR REPLACE FUNCTION @extschema@.issue_reminders(
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

CREATE OR REPLACE FUNCTION @extschema@._reminder_for_update(customer_id text, reminder_id bigint)
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

CREATE OR REPLACE FUNCTION @extschema@.cancel_reminder(customer_id text, reminder_id bigint)
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

CREATE OR REPLACE FUNCTION @extschema@.mark_sent(customer_id text, reminder_id bigint,
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

CREATE OR REPLACE FUNCTION @extschema@._check_customer(customer_id text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'Name the customer by its customer_id.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.customer c WHERE c.customer_id = $1) THEN
        RAISE EXCEPTION 'unknown customer "%"', $1
            USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.set_status(customer_id text, entry_ids bigint[], status text,
                                       note text DEFAULT NULL,
                                       disputed_amount numeric DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_customer  text := $1;
    v_ids       bigint[] := $2;
    v_status    text := $3;
    v_note      text := $4;
    v_disputed  numeric := $5;
    v_bad       bigint;
    v_count     integer;
    v_summary   text;
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_ids IS NULL OR v_status IS NULL THEN
        RAISE EXCEPTION 'entry_ids and status must not be null'
            USING ERRCODE = '22004', DETAIL = 'Name the items and the status to give them.';
    END IF;
    PERFORM @extschema@._check_array(v_ids, 'entry_ids', 'an entry_id of the customer');
    IF NOT v_status = ANY ('{open,disputed,blocked,litigation}'::text[]) THEN
        RAISE EXCEPTION 'status "%" cannot be set by set_status', v_status
            USING ERRCODE = '22023',
                  DETAIL = 'set_status sets open, disputed, blocked or litigation; a promise or a payment plan gives its status to its items.';
    END IF;
    IF v_disputed IS NOT NULL THEN
        IF v_status <> 'disputed' OR pg_catalog.cardinality(v_ids) <> 1 THEN
            RAISE EXCEPTION 'disputed_amount goes with status disputed and one item'
                USING ERRCODE = '22023',
                      DETAIL = 'A partial dispute names the disputed part of one invoice; the rest of it is still dunned.';
        END IF;
        IF v_disputed <= 0 OR v_disputed = 'NaN'::numeric
           OR v_disputed > (SELECT e.amount FROM @extschema@.entry e
                                                  WHERE e.customer_id = v_customer
                                                    AND e.entry_id = v_ids[1]) THEN
            RAISE EXCEPTION 'disputed_amount % is not a part of the item', v_disputed
                USING ERRCODE = '22023',
                      DETAIL = 'The disputed part is more than 0 and at most the amount of the invoice.';
        END IF;
    END IF;
    SELECT u INTO v_bad
      FROM pg_catalog.unnest(v_ids) u
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.entry e
                        WHERE e.customer_id = v_customer
                          AND e.entry_id = u
                          AND e.amount > 0)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'customer % has no debit %', v_customer, v_bad
            USING ERRCODE = '22023',
                  DETAIL = 'A status is given to the customer''s invoices, fees and interest (entries with a positive amount).';
    END IF;

    UPDATE @extschema@.entry e
       SET status = v_status,
           status_note = v_note,
           disputed_amount = CASE WHEN v_status = 'disputed' THEN v_disputed END
     WHERE e.customer_id = v_customer
       AND e.entry_id = ANY (v_ids);
    GET DIAGNOSTICS v_count = ROW_COUNT;

    -- the line first, then its write: on Citus a statement that reads the
    -- shard may not write another table from there
    SELECT pg_catalog.format('%s %s%s%s',
                             pg_catalog.string_agg(coalesce(e.ref, e.entry_id::text), ', ' ORDER BY e.entry_id),
                             v_status,
                             ' (' || v_disputed || ' ' ||
                                 pg_catalog.min(e.currency) || ')',
                             ': ' || v_note) INTO v_summary
      FROM @extschema@.entry e
     WHERE e.customer_id = v_customer
       AND e.entry_id = ANY (v_ids);
    PERFORM @extschema@._history(v_customer, 'status', v_summary,
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'entry_ids', v_ids, 'status', v_status, 'disputed_amount', v_disputed)));
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION @extschema@.set_status(text, bigint[], text, text, numeric) IS
    'marks items open, disputed (whole or in part), blocked or in litigation, with a note';

CREATE OR REPLACE FUNCTION @extschema@.block(customer_id text, until date, reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_customer($1);
    IF $2 IS NULL THEN
        -- unblock
        UPDATE @extschema@.customer c SET blocked_until = NULL, block_reason = NULL
         WHERE c.customer_id = $1;
        PERFORM @extschema@._history($1, 'unblock', 'unblocked' || coalesce(': ' || $3, ''));
        RETURN;
    END IF;
    IF $3 IS NULL OR pg_catalog.btrim($3) = '' THEN
        RAISE EXCEPTION 'a block needs a reason'
            USING ERRCODE = '22004', DETAIL = 'The reason is shown with every item the block holds back.';
    END IF;
    IF $2 < @extschema@.as_of() THEN
        RAISE EXCEPTION 'cannot block customer % until %, a day past', $1, $2
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('A block lasts until the as-of day (%s) or later; pass NULL to unblock.',
                                             @extschema@.as_of());
    END IF;
    UPDATE @extschema@.customer c SET blocked_until = $2, block_reason = $3
     WHERE c.customer_id = $1;
    PERFORM @extschema@._history($1, 'block', pg_catalog.format('blocked until %s: %s', $2, $3),
                                 pg_catalog.jsonb_build_object('until', $2));
END
$$;

CREATE OR REPLACE FUNCTION @extschema@._contact_items(customer_id text, entry_ids bigint[], as_of date)
RETURNS TABLE (entry_id bigint, currency text, open_amount numeric, level integer,
               days_overdue integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad bigint;
BEGIN
    IF $2 IS NOT NULL THEN
        PERFORM @extschema@._check_array($2, 'entry_ids', 'an entry_id of the customer');
        SELECT u INTO v_bad FROM pg_catalog.unnest($2) u
         WHERE NOT EXISTS (SELECT 1 FROM @extschema@.open_items($3) o
                            WHERE o.customer_id = $1
                              AND o.entry_id = u
                              AND o.amount > 0)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'customer % has no open debit %', $1, v_bad
                USING ERRCODE = '22023',
                      DETAIL = 'A contact is about the customer''s open invoices, fees and interest.';
        END IF;
    END IF;
    RETURN QUERY
    SELECT o.entry_id, o.currency, o.open_amount, o.level, o.days_overdue
      FROM @extschema@.open_items($3) o
     WHERE o.customer_id = $1
       AND o.amount > 0
       AND CASE WHEN $2 IS NULL THEN o.days_overdue > 0
                ELSE o.entry_id = ANY ($2) END
     ORDER BY o.entry_id;
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.log_contact(customer_id text, channel text, note text,
                                        promised_on date DEFAULT NULL,
                                        promised_amount numeric DEFAULT NULL,
                                        entry_ids bigint[] DEFAULT NULL,
                                        next_action_on date DEFAULT NULL,
                                        counts_as_reminder boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_customer  text := $1;
    v_channel   text := $2;
    v_note      text := $3;
    v_promised  date := $4;
    v_amount    numeric := $5;
    v_ids       bigint[] := $6;
    v_next      date := $7;
    v_counts    boolean := $8;
    d           date := @extschema@.as_of();
    v_items     bigint[];
    v_currency  text;
    v_manager   text;
    v_last      date;
    v_reminders bigint[] := '{}';
    v_promise   bigint;
    v_actions   bigint[] := '{}';
    v_id        bigint;
    c           record;
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_channel IS NULL OR v_note IS NULL OR v_counts IS NULL THEN
        RAISE EXCEPTION 'channel, note and counts_as_reminder must not be null'
            USING ERRCODE = '22004', DETAIL = 'A contact says how the customer was reached and what was said.';
    END IF;
    IF NOT v_channel = ANY ('{phone,visit,email,letter}'::text[]) THEN
        RAISE EXCEPTION 'unknown contact channel "%"', v_channel
            USING ERRCODE = '22023', DETAIL = 'A contact is a phone call, a visit, an email or a letter.';
    END IF;
    IF (v_promised IS NULL) <> (v_amount IS NULL) THEN
        RAISE EXCEPTION 'a promise needs both promised_on and promised_amount'
            USING ERRCODE = '22023', DETAIL = 'The customer promises an amount by a date.';
    END IF;
    IF v_promised < d THEN
        RAISE EXCEPTION 'a promise to pay on %, a day past', v_promised
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('A promise is for the as-of day (%s) or later.', d);
    END IF;
    IF v_amount <= 0 OR v_amount = 'NaN'::numeric THEN
        RAISE EXCEPTION 'promised amount % is not an amount to pay', v_amount
            USING ERRCODE = '22023', DETAIL = 'A promised amount is more than 0.';
    END IF;
    IF v_next < d THEN
        RAISE EXCEPTION 'next action on %, a day past', v_next
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The next action is on the as-of day (%s) or later.', d);
    END IF;
    SELECT cu.manager_id, cu.last_reminded_on INTO v_manager, v_last
      FROM @extschema@.customer cu WHERE cu.customer_id = v_customer;
    SELECT pg_catalog.array_agg(i.entry_id ORDER BY i.entry_id),
           pg_catalog.min(i.currency), pg_catalog.count(DISTINCT i.currency)::int
      INTO v_items, v_currency, v_id
      FROM @extschema@._contact_items(v_customer, v_ids, d) i;
    IF v_promised IS NOT NULL THEN
        IF v_items IS NULL THEN
            RAISE EXCEPTION 'customer % has nothing overdue to promise', v_customer
                USING ERRCODE = '22023', DETAIL = 'Name the items of the promise with entry_ids.';
        END IF;
        IF v_id > 1 THEN
            RAISE EXCEPTION 'a promise covers items of one currency'
                USING ERRCODE = '22023', DETAIL = 'Log one promise per currency, naming its items.';
        END IF;
    END IF;

    -- a contact that counts as a reminder: one reminder per currency, each
    -- item at its level (at least 1); the triggers move the counters
    IF v_counts AND v_items IS NOT NULL THEN
        IF v_last > d THEN
            RAISE EXCEPTION 'customer % was reminded on %, after %', v_customer, v_last, d
                USING ERRCODE = '55000',
                      DETAIL = 'A contact that counts as a reminder is dated on or after the last reminder.';
        END IF;
        FOR c IN SELECT i.currency, pg_catalog.sum(i.open_amount) AS total,
                        pg_catalog.max(greatest(i.level, 1)) AS level
                   FROM @extschema@._contact_items(v_customer, v_ids, d) i
                  GROUP BY i.currency ORDER BY i.currency
        LOOP
            INSERT INTO @extschema@.reminder (customer_id, as_of, level, channel, currency,
                                              total_overdue, status, body, sent_at)
            VALUES (v_customer, d, c.level, v_channel, c.currency, c.total, 'sent', v_note,
                    pg_catalog.now())
            RETURNING reminder_id INTO v_id;
            -- (_insert_values: on a distributed ledger an INSERT ... SELECT
            -- would reach the shards as COPY, refused under row security)
            PERFORM @extschema@._insert_values('@extschema@.reminder_line',
                '{customer_id,reminder_id,entry_id,level,days_overdue,open_amount}', pg_catalog.format($q$
                SELECT %1$L::text, %2$s::bigint, i.entry_id, greatest(i.level, 1), i.days_overdue, i.open_amount
                  FROM @extschema@._contact_items(%1$L, %3$L::bigint[], %4$L::date) i
                 WHERE i.currency = %5$L$q$, v_customer, v_id, v_ids, d, c.currency));
            v_reminders := v_reminders || v_id;
        END LOOP;
    END IF;

    -- a promise holds the items until its day; its check is scheduled then
    IF v_promised IS NOT NULL THEN
        INSERT INTO @extschema@.promise (customer_id, entry_ids, amount, currency, promised_on,
                                         made_on, note)
        VALUES (v_customer, v_items, v_amount, v_currency, v_promised, d, v_note)
        RETURNING promise_id INTO v_promise;
        UPDATE @extschema@.entry e SET status = 'promise', status_note = v_note
         WHERE e.customer_id = v_customer
           AND e.entry_id = ANY (v_items);
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, promise_id)
        VALUES (v_customer, 'promise_check', v_items, v_promised, v_manager,
                pg_catalog.format('check the promise of %s %s for %s', v_amount, v_currency, v_promised),
                v_promise)
        RETURNING action_id INTO v_id;
        v_actions := v_actions || v_id;
    END IF;
    IF v_next IS NOT NULL THEN
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, note)
        VALUES (v_customer, 'call', coalesce(v_items, '{}'), v_next, v_manager, 'call back', v_note)
        RETURNING action_id INTO v_id;
        v_actions := v_actions || v_id;
    END IF;

    RETURN @extschema@._history(v_customer, 'contact',
               pg_catalog.format('%s: %s%s', v_channel, v_note,
                                 ' (promise of ' || v_amount || ' '
                                     || v_currency || ' by '
                                     || v_promised || ')'),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'entry_ids', v_items, 'reminder_ids', v_reminders, 'promise_id', v_promise,
                   'action_ids', v_actions)));
END
$$;
COMMENT ON FUNCTION @extschema@.log_contact(text, text, text, date, numeric, bigint[], date, boolean) IS
    'logs a call, visit, email or letter: counted as a reminder, with a promise to pay (items held, a check scheduled) and a next action';

CREATE OR REPLACE FUNCTION @extschema@.complete_action(customer_id text, action_id bigint, result text,
                                            next_on date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    d       date := @extschema@.as_of();
    a       @extschema@.action;
    v_next  bigint;
BEGIN
    PERFORM @extschema@._check_customer($1);
    IF $2 IS NULL OR $3 IS NULL THEN
        RAISE EXCEPTION 'action_id and result must not be null'
            USING ERRCODE = '22004', DETAIL = 'Say which action is done and how it went.';
    END IF;
    SELECT * INTO a FROM @extschema@.action x
     WHERE x.customer_id = $1 AND x.action_id = $2
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no action %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.action has no such row.';
    END IF;
    IF a.done_on IS NOT NULL THEN
        RAISE EXCEPTION 'action % of customer % was done on %', $2, $1, a.done_on
            USING ERRCODE = '55000', DETAIL = 'An action is completed once.';
    END IF;
    IF $4 < d THEN
        RAISE EXCEPTION 'next action on %, a day past', $4
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The next action is on the as-of day (%s) or later.', d);
    END IF;
    UPDATE @extschema@.action x SET done_on = d, result = $3
     WHERE x.customer_id = $1 AND x.action_id = $2;

    IF a.kind = 'promise_check' AND a.promise_id IS NOT NULL THEN
        PERFORM @extschema@._settle_promise($1, a.promise_id);
    END IF;
    IF a.kind = 'installment_check' AND a.plan_id IS NOT NULL THEN
        PERFORM @extschema@._check_installment($1, a.plan_id, a.owner, d);
    END IF;

    IF $4 IS NOT NULL THEN
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, note)
        VALUES ($1, CASE WHEN a.kind = 'promise_check' THEN 'call' ELSE a.kind END,
                a.entry_ids, $4, a.owner, 'follow-up: ' || a.title, $3)
        RETURNING action_id INTO v_next;
    END IF;
    PERFORM @extschema@._history($1, 'action_done', pg_catalog.format('%s done: %s', a.title, $3),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'action_id', $2, 'kind', a.kind, 'next_action_id', v_next)));
    RETURN v_next;
END
$$;
COMMENT ON FUNCTION @extschema@.complete_action(text, bigint, text, date) IS
    'completes an action with its result (a promise check settles the promise), optionally with the next one';

CREATE OR REPLACE FUNCTION @extschema@.followup_schedule(as_of date)
RETURNS TABLE (
    due_on              date,
    owner               text,
    customer_id         text,
    name                text,
    kind                text,
    title               text,
    amount              numeric,
    currency            text,
    days_late           integer,
    state               text,
    action_id           bigint,
    entry_ids           bigint[],
    note                text,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT s.due_on, s.owner, s.customer_id, c.name, s.kind, s.title, s.amount, s.currency,
       (SELECT @extschema@._as_of_arg($1)) - s.due_on,
       CASE WHEN s.due_on < (SELECT @extschema@._as_of_arg($1)) THEN 'late'
            WHEN s.due_on = (SELECT @extschema@._as_of_arg($1)) THEN 'today'
            ELSE 'upcoming' END,
       s.action_id, s.entry_ids, s.note, (SELECT @extschema@._as_of_arg($1))
  FROM (-- open actions; a promise check shows the promised amount, others
        -- what is open on their items
        SELECT a.due_on, a.owner, a.customer_id, a.kind, a.title,
               coalesce(p.amount, i.amount) AS amount, coalesce(p.currency, i.currency) AS currency,
               a.action_id, a.entry_ids, a.note
          FROM @extschema@.action a
          LEFT JOIN @extschema@.promise p
            ON p.customer_id = a.customer_id
           AND p.promise_id = a.promise_id
          LEFT JOIN LATERAL (
                SELECT sum(e.open_amount) AS amount, min(e.currency) AS currency
                  FROM @extschema@.open_items($1) e
                 WHERE e.customer_id = a.customer_id
                   AND e.entry_id = ANY (a.entry_ids)) i ON true
         WHERE a.done_on IS NULL
        UNION ALL
        -- credit insurance: an overdue invoice of an insured customer must
        -- be notified within the policy's days of its original due date
        SELECT o.due_date + pol.insurer_notice_days, c.manager_id, o.customer_id,
               'insurer_notice',
               format('notify the credit insurer of %s (due %s)', coalesce(o.ref, o.entry_id::text),
                                 o.due_date),
               o.open_amount, o.currency, NULL, ARRAY[o.entry_id], NULL
          FROM @extschema@.open_items($1) o
          JOIN @extschema@.customer c ON c.customer_id = o.customer_id
          JOIN @extschema@.policy pol ON pol.policy_id = c.policy_id
         WHERE c.insured AND pol.insurer_notice_days IS NOT NULL
           AND o.amount > 0 AND o.kind = 'invoice'
           AND o.days_overdue > 0
           -- not once the insurer is notified (an insurer_notice action done)
           AND NOT EXISTS (SELECT 1 FROM @extschema@.action n
                            WHERE n.customer_id = o.customer_id
                              AND n.kind = 'insurer_notice'
                              AND o.entry_id = ANY (n.entry_ids))) s
  JOIN @extschema@.customer c ON c.customer_id = s.customer_id;
END;
COMMENT ON FUNCTION @extschema@.followup_schedule(date) IS
    'what is due on which day and for whom: open actions and credit-insurer deadlines, with owner, amount and days late';

-- Collection KPIs of a period, in one currency, of one company's customers
-- (customer_company) or, company NULL, of all.
CREATE FUNCTION @extschema@.kpi(from_date date, to_date date, currency text, company_id text)
RETURNS TABLE (
    days                    integer,
    credit_sales            numeric,
    beginning_receivables   numeric,
    ending_receivables      numeric,
    ending_current          numeric,
    ending_overdue          numeric,
    dso                     numeric,
    countback_dso           numeric,
    best_possible_dso       numeric,
    add                     numeric,
    cei                     numeric
)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_from      date := $1;
    v_to        date := $2;
    v_cur       text := $3;
    v_company   text := $4;
    v_customers text[];
    v_days      integer;
    v_sales     numeric;
    v_begin     numeric;
    v_end       numeric;
    v_current   numeric;
    v_left      numeric;
    v_month     numeric;
    v_countback numeric := 0;
    k           integer := 0;
BEGIN
    IF v_from IS NULL OR v_to IS NULL OR v_cur IS NULL THEN
        RAISE EXCEPTION 'from_date, to_date and currency must not be null'
            USING ERRCODE = '22004', DETAIL = 'KPIs are computed over a period, in one currency.';
    END IF;
    IF v_from > v_to THEN
        RAISE EXCEPTION 'the period % to % is in the wrong order', v_from, v_to
            USING ERRCODE = '22023', DETAIL = 'from_date is on or before to_date.';
    END IF;
    IF NOT @extschema@._is_currency(v_cur) THEN
        RAISE EXCEPTION 'invalid currency "%"', v_cur
            USING ERRCODE = '22023', DETAIL = 'A currency is an ISO 4217 code such as EUR.';
    END IF;
    IF v_company IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM @extschema@.company k WHERE k.company_id = v_company) THEN
            RAISE EXCEPTION 'there is no company %', v_company
                USING ERRCODE = '22023', DETAIL = 'Table dunning.company has no such row.';
        END IF;
        SELECT pg_catalog.array_agg(cc.customer_id) INTO v_customers
          FROM @extschema@.customer_company cc WHERE cc.company_id = v_company;
        v_customers := coalesce(v_customers, '{}');
    END IF;
    v_days := v_to - v_from + 1;

    SELECT coalesce(pg_catalog.sum(e.amount), 0) INTO v_sales
      FROM @extschema@.entry e
     WHERE e.kind = 'invoice' AND e.currency = v_cur
       AND e.doc_date >= v_from AND e.doc_date <= v_to
       AND (v_customers IS NULL OR e.customer_id = ANY (v_customers));
    SELECT coalesce(pg_catalog.sum(o.open_amount), 0) INTO v_begin
      FROM @extschema@.open_items(v_from - 1) o
     WHERE o.currency = v_cur
       AND (v_customers IS NULL OR o.customer_id = ANY (v_customers));
    SELECT coalesce(pg_catalog.sum(o.open_amount), 0),
           coalesce(pg_catalog.sum(o.open_amount) FILTER (WHERE o.amount > 0
                                                          AND o.days_overdue <= 0), 0)
      INTO v_end, v_current
      FROM @extschema@.open_items(v_to) o
     WHERE o.currency = v_cur
       AND (v_customers IS NULL OR o.customer_id = ANY (v_customers));

    -- countback: the ending receivables are matched against the credit
    -- sales of 30-day months counted back from to_date, newest first
    v_left := v_end;
    WHILE v_left > 0 AND k < 120 LOOP
        SELECT coalesce(pg_catalog.sum(e.amount), 0) INTO v_month
          FROM @extschema@.entry e
         WHERE e.kind = 'invoice' AND e.currency = v_cur
           AND e.doc_date > (v_to - (30 * (k + 1)))
           AND e.doc_date <= (v_to - (30 * k))
           AND (v_customers IS NULL OR e.customer_id = ANY (v_customers));
        IF v_month >= v_left THEN
            v_countback := v_countback + ((30 * v_left) / v_month);
            v_left := 0;
        ELSE
            v_countback := v_countback + 30;
            v_left := v_left - v_month;
        END IF;
        k := k + 1;
    END LOOP;

    RETURN QUERY SELECT
        v_days, v_sales, v_begin, v_end, v_current,
        v_end - v_current,
        pg_catalog.round((v_end / nullif(v_sales, 0)) * v_days, 1),
        pg_catalog.round(v_countback, 1),
        pg_catalog.round((v_current / nullif(v_sales, 0)) * v_days, 1),
        pg_catalog.round(((v_end - v_current) / nullif(v_sales, 0))
                         * v_days, 1),
        pg_catalog.round((100 *
                          ((v_begin + v_sales) - v_end))
                         /
                         nullif((v_begin + v_sales) - v_current, 0), 1);
END
$$;
COMMENT ON FUNCTION @extschema@.kpi(date, date, text, text) IS
    'DSO (standard and countback), best possible DSO, ADD and CEI of a period in one currency, for one company';

CREATE OR REPLACE FUNCTION @extschema@.kpi(from_date date, to_date date, currency text)
RETURNS TABLE (
    days                    integer,
    credit_sales            numeric,
    beginning_receivables   numeric,
    ending_receivables      numeric,
    ending_current          numeric,
    ending_overdue          numeric,
    dso                     numeric,
    countback_dso           numeric,
    best_possible_dso       numeric,
    add                     numeric,
    cei                     numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT * FROM @extschema@.kpi($1, $2, $3, NULL::text);
END;
COMMENT ON FUNCTION @extschema@.kpi(date, date, text) IS
    'DSO (standard and countback), best possible DSO, ADD and CEI of a period in one currency';

CREATE OR REPLACE FUNCTION @extschema@.create_payment_plan(customer_id text, entry_ids bigint[],
                                                due_dates date[], amounts numeric[],
                                                note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_customer  text := $1;
    v_ids       bigint[] := $2;
    v_dates     date[] := $3;
    v_amounts   numeric[] := $4;
    v_note      text := $5;
    d           date := @extschema@.as_of();
    v_open      numeric;
    v_total     numeric;
    v_currency  text;
    v_n         integer;
    v_plan      bigint;
    v_message   bigint;
    cu          record;
    t           record;
    v_context   jsonb;
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_ids IS NULL OR v_dates IS NULL OR v_amounts IS NULL THEN
        RAISE EXCEPTION 'entry_ids, due_dates and amounts must not be null'
            USING ERRCODE = '22004', DETAIL = 'A plan names its items and its installments.';
    END IF;
    PERFORM @extschema@._check_array(v_dates, 'due_dates', 'the day of an installment');
    PERFORM @extschema@._check_array(v_amounts, 'amounts', 'the amount of an installment');
    v_n := pg_catalog.cardinality(v_dates);
    IF pg_catalog.cardinality(v_amounts) <> v_n THEN
        RAISE EXCEPTION 'a plan of % due dates and % amounts', v_n, pg_catalog.cardinality(v_amounts)
            USING ERRCODE = '22023', DETAIL = 'Each installment has a due date and an amount.';
    END IF;
    IF v_dates[1] < d THEN
        RAISE EXCEPTION 'the first installment is due on %, a day past', v_dates[1]
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Installments fall on the as-of day (%s) or later.', d);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, v_n) i
                WHERE v_dates[i] <= v_dates[i - 1]) THEN
        RAISE EXCEPTION 'the installments'' due dates are in the wrong order'
            USING ERRCODE = '22023', DETAIL = 'Each installment falls after the one before.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_amounts) a
                WHERE a <= 0 OR a = 'NaN'::numeric) THEN
        RAISE EXCEPTION 'an installment of 0 or less'
            USING ERRCODE = '22023', DETAIL = 'Every installment is an amount to pay.';
    END IF;
    SELECT pg_catalog.sum(i.open_amount), pg_catalog.min(i.currency), pg_catalog.count(DISTINCT i.currency)::int
      INTO v_open, v_currency, v_n
      FROM @extschema@._contact_items(v_customer, v_ids, d) i;
    IF v_n > 1 THEN
        RAISE EXCEPTION 'a plan covers items of one currency'
            USING ERRCODE = '22023', DETAIL = 'Agree one plan per currency.';
    END IF;
    SELECT pg_catalog.sum(a) INTO v_total FROM pg_catalog.unnest(v_amounts) a;
    IF v_total <> v_open THEN
        RAISE EXCEPTION 'the installments come to % %, the items to % %', v_total, v_currency, v_open, v_currency
            USING ERRCODE = '22023', DETAIL = 'A plan''s installments add up to what is open on its items.';
    END IF;

    INSERT INTO @extschema@.payment_plan (customer_id, entry_ids, currency, agreed_on, note)
    VALUES (v_customer, v_ids, v_currency, d, v_note)
    RETURNING plan_id INTO v_plan;
    -- (_insert_values, as log_contact's lines)
    PERFORM @extschema@._insert_values('@extschema@.installment', '{customer_id,plan_id,seq,due_on,amount}',
        pg_catalog.format($q$
        SELECT %1$L::text, %2$s::bigint, i, (%3$L::date[])[i], (%4$L::numeric[])[i]
          FROM pg_catalog.generate_series(1, pg_catalog.cardinality(%3$L::date[])) i$q$,
        v_customer, v_plan, v_dates, v_amounts));
    UPDATE @extschema@.entry e SET status = 'payment_plan', status_note = v_note
     WHERE e.customer_id = v_customer
       AND e.entry_id = ANY (v_ids);
    SELECT c.name, c.email, c.phone, c.language, c.manager_id, m.name AS manager_name, m.email AS manager_email
      INTO cu
      FROM @extschema@.customer c
      LEFT JOIN @extschema@.credit_manager m ON m.manager_id = c.manager_id
     WHERE c.customer_id = v_customer;
    INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, plan_id)
    VALUES (v_customer, 'installment_check', v_ids, v_dates[1], cu.manager_id,
            pg_catalog.format('installment 1 of %s: %s %s', pg_catalog.cardinality(v_dates),
                              v_amounts[1], v_currency),
            v_plan);

    -- the confirmation, in the customer's language, queued for the mailer
    SELECT x.subject, x.body INTO t
      FROM @extschema@._template('payment_plan', cu.language, 'email') x;
    IF NOT FOUND THEN
        PERFORM @extschema@._no_template('payment_plan', cu.language, 'email');
    END IF;
    v_context := pg_catalog.jsonb_build_object(
        'language', cu.language,
        'customer', pg_catalog.jsonb_build_object('id', v_customer, 'name', cu.name,
                                                  'email', cu.email, 'phone', cu.phone),
        'manager', pg_catalog.jsonb_build_object('id', cu.manager_id, 'name', cu.manager_name,
                                                 'email', cu.manager_email),
        'plan', pg_catalog.jsonb_build_object('id', v_plan, 'agreed_on', d, 'note', v_note,
                                              'total', v_total, 'currency', v_currency,
                                              'installments', pg_catalog.cardinality(v_dates)),
        'installments', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                    'seq', i, 'due_on', v_dates[i], 'amount', v_amounts[i]) ORDER BY i)
                           FROM pg_catalog.generate_series(1, pg_catalog.cardinality(v_dates)) i));
    INSERT INTO @extschema@.message (customer_id, kind, channel, language, subject, body, plan_id)
    VALUES (v_customer, 'payment_plan', 'email', cu.language,
            @extschema@.render(t.subject, v_context), @extschema@.render(t.body, v_context), v_plan)
    RETURNING message_id INTO v_message;
    PERFORM pg_catalog.pg_notify('dunning_outbox',
                pg_catalog.jsonb_build_object('customer_id', v_customer, 'message_id', v_message)::text);

    PERFORM @extschema@._history(v_customer, 'payment_plan',
               pg_catalog.format('payment plan of %s %s in %s installments, from %s%s', v_total, v_currency,
                                 pg_catalog.cardinality(v_dates), v_dates[1], ': ' || v_note),
               pg_catalog.jsonb_build_object('plan_id', v_plan, 'entry_ids', v_ids, 'message_id', v_message));
    RETURN v_plan;
END
$$;
COMMENT ON FUNCTION @extschema@.create_payment_plan(text, bigint[], date[], numeric[], text) IS
    'agrees a payment plan: items held while installments are paid, a check on each installment, a confirmation email queued';

CREATE OR REPLACE FUNCTION @extschema@.mark_message_sent(customer_id text, message_id bigint,
                                              sent_at timestamptz DEFAULT pg_catalog.now())
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_status text;
BEGIN
    IF $1 IS NULL OR $2 IS NULL OR $3 IS NULL THEN
        RAISE EXCEPTION 'customer_id, message_id and sent_at must not be null'
            USING ERRCODE = '22004', DETAIL = 'A message is named by its customer and its id.';
    END IF;
    SELECT m.status INTO v_status FROM @extschema@.message m
     WHERE m.customer_id = $1 AND m.message_id = $2 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no message %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.message has no such row.';
    END IF;
    IF v_status <> 'queued' THEN
        RAISE EXCEPTION 'message % of customer % is %', $2, $1, v_status
            USING ERRCODE = '55000', DETAIL = 'A message leaves the outbox once.';
    END IF;
    UPDATE @extschema@.message m SET status = 'sent', sent_at = $3
     WHERE m.customer_id = $1 AND m.message_id = $2;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_message_sent(text, bigint, timestamptz) IS
    'takes a message (a payment plan''s confirmation) out of the outbox';

CREATE OR REPLACE FUNCTION @extschema@._set_row_security(enabled boolean) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid = '@extschema@.customer'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to turn row security %', CASE WHEN $1 THEN 'on' ELSE 'off' END
              USING ERRCODE = '42501',
                    DETAIL = 'Only the owner of the extension''s tables (the role that created the extension) or a superuser may turn row security on or off.';
    END IF;
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'enabled must not be null' USING ERRCODE = '22004', DETAIL = 'Row security is on or off.';
    END IF;
    IF $1 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dunning_admin') THEN
        -- the administrator role of the documentation; nobody logs in as it
        CREATE ROLE dunning_admin NOLOGIN;
    END IF;
    -- the row, then its change: Citus takes no function in the DO UPDATE
    -- of an INSERT on its tables (row_security is a reference table there)
    INSERT INTO @extschema@.row_security (enabled) VALUES ($1)
    ON CONFLICT (single) DO NOTHING;
    UPDATE @extschema@.row_security
       SET enabled = $1, changed_at = pg_catalog.now(), changed_by = CURRENT_USER;
    RETURN @extschema@._customer_tables() || 'run'::text;
END
$$;

-------------------------------------------------------------------------------
-- Counters that 0.5.0 may have left behind (a subtransaction rolled back in
-- the middle of a statement dropped the statement's pending counts): the
-- entries' and customers' counters are counted again from the non-cancelled
-- reminders, as the triggers of src/counters.c count them, and the new
-- entry.compensated with them.  Only rows that differ are written.  The BEFORE triggers that keep users from writing the
-- counters stand aside meanwhile.
-------------------------------------------------------------------------------
ALTER TABLE @extschema@.entry DISABLE TRIGGER entry_open_amount;
UPDATE @extschema@.entry e
   SET reminder_count = s.n, last_reminded_on = s.last, level = s.lvl, compensated = s.comp
  FROM (SELECT x.customer_id, x.entry_id,
               coalesce(c.n, 0) AS n, c.last, coalesce(c.lvl, 0) AS lvl,
               coalesce(c.comp, false) AS comp
          FROM @extschema@.entry x
          LEFT JOIN (SELECT l.customer_id, l.entry_id,
                            pg_catalog.count(*)::integer AS n,
                            pg_catalog.max(r.as_of) AS last,
                            (pg_catalog.max(ARRAY[r.as_of OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date,
                                                  l.level]))[2] AS lvl,
                            pg_catalog.bool_or(l.compensation OPERATOR(pg_catalog.>) 0) AS comp
                       FROM @extschema@.reminder_line l
                       JOIN @extschema@.reminder r
                         ON r.customer_id OPERATOR(pg_catalog.=) l.customer_id
                        AND r.reminder_id OPERATOR(pg_catalog.=) l.reminder_id
                      WHERE l.dunned AND r.status OPERATOR(pg_catalog.<>) 'cancelled'
                      GROUP BY l.customer_id, l.entry_id) c
            ON c.customer_id OPERATOR(pg_catalog.=) x.customer_id
           AND c.entry_id OPERATOR(pg_catalog.=) x.entry_id) s
 WHERE e.customer_id OPERATOR(pg_catalog.=) s.customer_id
   AND e.entry_id OPERATOR(pg_catalog.=) s.entry_id
   AND (e.reminder_count OPERATOR(pg_catalog.<>) s.n
        OR e.level OPERATOR(pg_catalog.<>) s.lvl
        OR (e.last_reminded_on IS NULL) OPERATOR(pg_catalog.<>) (s.last IS NULL)
        OR e.last_reminded_on OPERATOR(pg_catalog.<>) s.last
        OR e.compensated OPERATOR(pg_catalog.<>) s.comp);
ALTER TABLE @extschema@.entry ENABLE TRIGGER entry_open_amount;

ALTER TABLE @extschema@.customer DISABLE TRIGGER customer_counters;
UPDATE @extschema@.customer cu
   SET reminder_count = s.n, last_reminded_on = s.last, level = s.lvl
  FROM (SELECT x.customer_id, coalesce(c.n, 0) AS n, c.last, coalesce(c.lvl, 0) AS lvl
          FROM @extschema@.customer x
          LEFT JOIN (SELECT r.customer_id,
                            pg_catalog.count(*)::integer AS n,
                            pg_catalog.max(r.as_of) AS last,
                            (pg_catalog.max(ARRAY[r.as_of OPERATOR(pg_catalog.-) '2000-01-01'::pg_catalog.date,
                                                  r.level]))[2] AS lvl
                       FROM @extschema@.reminder r
                      WHERE r.status OPERATOR(pg_catalog.<>) 'cancelled'
                      GROUP BY r.customer_id) c
            ON c.customer_id OPERATOR(pg_catalog.=) x.customer_id) s
 WHERE cu.customer_id OPERATOR(pg_catalog.=) s.customer_id
   AND (cu.reminder_count OPERATOR(pg_catalog.<>) s.n
        OR cu.level OPERATOR(pg_catalog.<>) s.lvl
        OR (cu.last_reminded_on IS NULL) OPERATOR(pg_catalog.<>) (s.last IS NULL)
        OR cu.last_reminded_on OPERATOR(pg_catalog.<>) s.last);
ALTER TABLE @extschema@.customer ENABLE TRIGGER customer_counters;

-------------------------------------------------------------------------------
-- Credit control (src/credit.sql; README "Can we ship to this customer?"):
-- the customer's open orders and insured cover, the policy's hold rules,
-- an index on the items in litigation, credit_status and can_ship
-------------------------------------------------------------------------------
ALTER TABLE @extschema@.customer
    ADD COLUMN open_orders numeric NOT NULL DEFAULT 0
        CHECK (open_orders OPERATOR(pg_catalog.>=) 0),
    ADD COLUMN insured_limit numeric CHECK (insured_limit OPERATOR(pg_catalog.>=) 0),
    ADD CONSTRAINT customer_open_orders_finite CHECK (@extschema@._is_finite(open_orders)),
    ADD CONSTRAINT customer_insured_limit_finite CHECK (@extschema@._is_finite(insured_limit));
COMMENT ON COLUMN @extschema@.customer.credit_limit IS
    'the most the customer may owe, open orders included, in the currency of its policy (credit_status)';
COMMENT ON COLUMN @extschema@.customer.open_orders IS
    'orders confirmed and not yet invoiced, kept by the ERP, in the currency of the policy (credit_status)';
COMMENT ON COLUMN @extschema@.customer.insured_limit IS
    'the credit insurer''s cover for this customer, in the currency of the policy (credit_status)';
ALTER TABLE @extschema@.policy
    ADD COLUMN hold_overdue_days integer CHECK (hold_overdue_days OPERATOR(pg_catalog.>) 0),
    ADD COLUMN hold_level integer CHECK (hold_level OPERATOR(pg_catalog.>=) 1);
CREATE INDEX entry_litigation_idx ON @extschema@.entry (customer_id, currency)
    WHERE status OPERATOR(pg_catalog.=) 'litigation';

-- private: the reasons that hold a customer's line, in this order; the
-- names are written only here
CREATE FUNCTION @extschema@._hold_reasons(over_limit boolean, oldest_days_overdue integer,
                                          hold_overdue_days integer, level integer, hold_level integer,
                                          blocked boolean, litigation boolean,
                                          broken_promise boolean, broken_plan boolean)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT array_remove(ARRAY[CASE WHEN $1 THEN 'over_limit' END,
                          CASE WHEN $2 > $3 THEN 'overdue' END,
                          CASE WHEN $4 >= $5 THEN 'hold_level' END,
                          CASE WHEN $6 THEN 'blocked' END,
                          CASE WHEN $7 THEN 'litigation' END,
                          CASE WHEN $8 THEN 'broken_promise' END,
                          CASE WHEN $9 THEN 'broken_plan' END], NULL::text);
END;

-- private: the customers and currencies held by something besides their
-- amounts and levels: an open item in litigation, a broken promise or a
-- broken plan whose items are still open (statuses and open amounts as
-- they are now); one row per held customer and currency.  credit_status
-- joins it once (each part read in one pass: a look-up per line priced at
-- a correlated subquery's cost made the plan of a large ledger cost enough
-- for PostgreSQL's default JIT to optimize it for seconds); can_ship
-- filters it on one customer, which the planner pushes into each part.
CREATE FUNCTION @extschema@._held(as_of date)
RETURNS TABLE (customer_id text, currency text, litigation boolean, broken_promise boolean, broken_plan boolean)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT h.customer_id, h.currency, bool_or(h.why = 'litigation'), bool_or(h.why = 'broken_promise'),
       bool_or(h.why = 'broken_plan')
  FROM (SELECT e.customer_id, e.currency, 'litigation'::text AS why
          FROM @extschema@.entry e
         WHERE e.status = 'litigation' AND e.open_amount > 0
        UNION ALL
        SELECT pr.customer_id, pr.currency, 'broken_promise'::text
          FROM @extschema@.promise pr
          JOIN @extschema@.entry e
            ON e.customer_id = pr.customer_id AND e.entry_id = ANY (pr.entry_ids)
         WHERE pr.status = 'broken' AND pr.promised_on <= $1
           AND e.open_amount > 0
        UNION ALL
        SELECT pl.customer_id, pl.currency, 'broken_plan'::text
          FROM @extschema@.payment_plan pl
          JOIN @extschema@.entry e
            ON e.customer_id = pl.customer_id AND e.entry_id = ANY (pl.entry_ids)
         WHERE pl.status = 'broken' AND pl.agreed_on <= $1
           AND e.open_amount > 0) h
 GROUP BY h.customer_id, h.currency;
END;

-- Its sums are the aged balance's (one pass in C over the open items), so
-- as of a past day they are what they were that day.
CREATE FUNCTION @extschema@.credit_status(as_of date)
RETURNS TABLE (
    customer_id         text,
    name                text,
    manager_id          text,
    currency            text,
    credit_limit        numeric,
    receivables         numeric,
    open_orders         numeric,
    exposure            numeric,
    available           numeric,
    overdue             numeric,
    oldest_days_overdue integer,
    level               integer,
    insured_limit       numeric,
    uninsured_exposure  numeric,
    hold                boolean,
    hold_reason         text[],
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT l.customer_id, c.name, c.manager_id, l.currency,
       k.credit_limit, l.receivables, k.open_orders, k.exposure,
       k.credit_limit - k.exposure,
       l.overdue, l.oldest_days_overdue, coalesce(lv.level, 0),
       k.insured_limit,
       CASE WHEN k.insured_limit IS NOT NULL THEN greatest(k.exposure - k.insured_limit, 0) END,
       cardinality(r.reasons) > 0, r.reasons, $1
  -- one line per customer and currency of its open items, and one for its
  -- credit currency when it has a limit, orders or cover there
  FROM (SELECT u.customer_id, u.currency, sum(u.receivables) AS receivables,
               sum(u.overdue) AS overdue, max(u.oldest_days_overdue) AS oldest_days_overdue
          FROM (SELECT a.customer_id, a.currency, a.total AS receivables, a.overdue,
                       $1 - a.oldest_due_date AS oldest_days_overdue
                  FROM @extschema@.aged_balance($1) a
                UNION ALL
                SELECT cc.customer_id, pc.currency, 0, 0, NULL
                  FROM @extschema@.customer cc
                  JOIN @extschema@.policy pc ON pc.policy_id = cc.policy_id
                 WHERE cc.credit_limit IS NOT NULL OR cc.open_orders > 0 OR cc.insured_limit IS NOT NULL) u
         GROUP BY u.customer_id, u.currency) l
  JOIN @extschema@.customer c ON c.customer_id = l.customer_id
  LEFT JOIN @extschema@.policy p ON p.policy_id = c.policy_id
  -- the highest level its open items are dunned at (now), in one pass
  -- (joined on the customer's key, not on l's: Citus keeps the join on each
  -- shard only when it meets a table's distribution column)
  LEFT JOIN (SELECT e.customer_id, e.currency, max(e.level) AS level
               FROM @extschema@.entry e
              WHERE e.level > 0 AND e.open_amount > 0
              GROUP BY e.customer_id, e.currency) lv
    ON lv.customer_id = c.customer_id AND lv.currency = l.currency
  -- the limit, the orders and the cover count in the credit currency only
  CROSS JOIN LATERAL (
        SELECT CASE WHEN l.currency = p.currency THEN c.credit_limit END AS credit_limit,
               CASE WHEN l.currency = p.currency THEN c.open_orders ELSE 0 END AS open_orders,
               CASE WHEN l.currency = p.currency THEN c.insured_limit END AS insured_limit,
               l.receivables + CASE WHEN l.currency = p.currency THEN c.open_orders ELSE 0 END AS exposure
       ) k
  LEFT JOIN @extschema@._held($1) f ON f.customer_id = c.customer_id AND f.currency = l.currency
  CROSS JOIN LATERAL (
        SELECT @extschema@._hold_reasons(k.exposure > k.credit_limit, l.oldest_days_overdue,
                                         p.hold_overdue_days, coalesce(lv.level, 0), p.hold_level,
                                         coalesce(c.blocked_until >= $1, false),
                                         coalesce(f.litigation, false), coalesce(f.broken_promise, false),
                                         coalesce(f.broken_plan, false)) AS reasons
       ) r
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL;   -- checked even on an empty ledger
END;

COMMENT ON FUNCTION @extschema@.credit_status(date) IS
    'per customer and currency on a day: credit limit, exposure (open items and orders), available credit, overdue, level, insured cover, hold and its reasons';

CREATE VIEW @extschema@.credit_status WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.credit_status(@extschema@.as_of());
COMMENT ON VIEW @extschema@.credit_status IS
    'credit control as of dunning.as_of(): limit, exposure, available credit, overdue, hold and why';

-- What an ERP asks before it confirms an order line: the customer's
-- credit_status lines as of today, read by the indexes (its open items and
-- three look-ups per currency), with the order added to its exposure in
-- its credit currency.
CREATE FUNCTION @extschema@.can_ship(customer_id text, amount numeric)
RETURNS TABLE (ok boolean, reason text, available numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    d           date := @extschema@.as_of();
    cu          record;
    l           record;
    f           record;
    v_exposure  numeric;
    v_reasons   text[] := '{}';
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and amount must not be null'
            USING ERRCODE = '22004', DETAIL = 'An order line names its customer and its amount.';
    END IF;
    IF NOT @extschema@._is_finite($2) OR $2 < 0 THEN
        RAISE EXCEPTION 'invalid order amount %', $2
            USING ERRCODE = '22023',
                  DETAIL = 'The amount of an order is 0 or more, in the currency of the customer''s policy.';
    END IF;
    SELECT c.credit_limit, c.open_orders, c.blocked_until,
           p.currency, p.hold_overdue_days, p.hold_level INTO cu
      FROM @extschema@.customer c
      LEFT JOIN @extschema@.policy p ON p.policy_id = c.policy_id
     WHERE c.customer_id = $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown customer "%"', $1
            USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
    END IF;
    -- each currency's line, as credit_status has it (its credit currency's
    -- line even when nothing is open there; a customer with no policy has
    -- no credit currency, so no limit)
    FOR l IN SELECT x.currency, sum(x.receivables) AS receivables,
                    max(x.oldest_days_overdue) AS oldest_days_overdue, coalesce(max(x.level), 0) AS level
               FROM (SELECT o.currency, o.open_amount AS receivables,
                            CASE WHEN o.days_overdue > 0 THEN o.days_overdue END AS oldest_days_overdue,
                            CASE WHEN o.open_amount > 0 THEN o.level END AS level
                       FROM @extschema@.open_items(d) o
                      WHERE o.customer_id = $1
                     UNION ALL
                     SELECT cu.currency, 0, NULL, NULL WHERE cu.currency IS NOT NULL) x
              GROUP BY x.currency LOOP
        -- the limit counts in the credit currency only, with this order
        IF l.currency = cu.currency THEN
            v_exposure := l.receivables + cu.open_orders;
            available := cu.credit_limit - v_exposure;
        END IF;
        SELECT coalesce(bool_or(h.litigation), false) AS litigation,
               coalesce(bool_or(h.broken_promise), false) AS broken_promise,
               coalesce(bool_or(h.broken_plan), false) AS broken_plan INTO f
          FROM @extschema@._held(d) h
         WHERE h.customer_id = $1 AND h.currency = l.currency;
        v_reasons := v_reasons || @extschema@._hold_reasons(
                         l.currency = cu.currency AND v_exposure + $2 > cu.credit_limit,
                         l.oldest_days_overdue, cu.hold_overdue_days, l.level, cu.hold_level,
                         coalesce(cu.blocked_until >= d, false),
                         f.litigation, f.broken_promise, f.broken_plan);
    END LOOP;
    SELECT array_agg(DISTINCT x) INTO v_reasons FROM unnest(v_reasons) x;
    ok := v_reasons IS NULL;
    reason := coalesce(array_to_string(v_reasons, ','), 'ok');
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION @extschema@.can_ship(text, numeric) IS
    'may an order of this amount (in the credit currency) ship to the customer today: ok, why not, and the credit still available';

-------------------------------------------------------------------------------
-- The dashboard gains customers_on_hold and exposure_over_limit.  A
-- function's columns cannot change in place, so its twin is renamed, the
-- new one created, the view replaced with its columns added at the end
-- (views of yours on dunning.dashboard and grants on it stay), and the old
-- twin dropped.  A view of yours that calls the function dunning.dashboard(date)
-- itself makes this DROP fail: drop that view first, create it again after.
-------------------------------------------------------------------------------
ALTER FUNCTION @extschema@.dashboard(date) RENAME TO _dashboard_0_5_0;
CREATE FUNCTION @extschema@.dashboard(as_of date)
RETURNS TABLE (
    currency            text,
    receivables         numeric,
    not_due             numeric,
    overdue             numeric,
    unapplied           numeric,
    balance             numeric,
    overdue_pct         numeric,
    customers           bigint,
    late_customers      bigint,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    max_days_overdue    integer,
    as_of               date,
    customers_on_hold   bigint,
    exposure_over_limit numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- each part planned on its own (MATERIALIZED): the open items' totals as
-- before, then credit control's (credit.sql) customers on hold and
-- exposure beyond limits, three rows joined to three
WITH s AS MATERIALIZED (
    SELECT o.currency,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue IS NOT NULL), 0) AS receivables,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue <= 0), 0) AS not_due,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue > 0), 0) AS overdue,
           coalesce(sum(o.open_amount) FILTER (
               WHERE o.days_overdue IS NULL), 0) AS unapplied,
           count(DISTINCT o.customer_id) AS customers,
           count(DISTINCT o.customer_id) FILTER (
               WHERE o.days_overdue > 0) AS late_customers,
           count(*) AS open_items,
           count(*) FILTER (
               WHERE o.days_overdue > 0) AS overdue_items,
           min(o.due_date) FILTER (
               WHERE o.days_overdue > 0) AS oldest_due_date,
           max(o.days_overdue) FILTER (
               WHERE o.days_overdue > 0) AS max_days_overdue
      FROM @extschema@.open_items($1) o
     GROUP BY o.currency
), h AS MATERIALIZED (
    SELECT cs.currency,
            count(DISTINCT cs.customer_id) FILTER (WHERE cs.hold) AS customers_on_hold,
            sum(greatest(cs.exposure - cs.credit_limit, 0)) AS exposure_over_limit
       FROM @extschema@.credit_status($1) cs
      GROUP BY cs.currency
)
SELECT s.currency, s.receivables, s.not_due, s.overdue, s.unapplied,
       s.receivables + s.unapplied,
       round(100 * s.overdue / nullif(s.receivables, 0), 1),
       s.customers, s.late_customers, s.open_items, s.overdue_items,
       s.oldest_due_date, s.max_days_overdue, $1,
       coalesce(h.customers_on_hold, 0), coalesce(h.exposure_over_limit, 0)
  FROM s
  LEFT JOIN h ON h.currency = s.currency;
END;
COMMENT ON FUNCTION @extschema@.dashboard(date) IS
    'per currency on a day: receivables, not due, overdue, unapplied credits, late customers, oldest overdue, customers on hold, exposure over limit';

CREATE OR REPLACE VIEW @extschema@.dashboard WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.dashboard(@extschema@.as_of());
COMMENT ON VIEW @extschema@.dashboard IS
    'per currency as of dunning.as_of(): receivables, overdue, late customers, oldest overdue';
DROP FUNCTION @extschema@._dashboard_0_5_0(date);

-------------------------------------------------------------------------------
-- The business time zone (README "The as-of date"): the setting
-- dunning.time_zone, read by as_of() in the library; _today() for
-- issue_reminders' check of a day to come
-------------------------------------------------------------------------------
COMMENT ON FUNCTION @extschema@.as_of() IS
    'the as-of date of the dunning views: setting dunning.as_of, else today in dunning.time_zone, else current_date';

-------------------------------------------------------------------------------
-- Delivery (README "Delivery"): the company, the customers' postal address,
-- contacts and documents, what a level prints and attaches, the outcome of
-- an email on the reminder or message; letter_pdf, message_pdf, run_pdf,
-- print_batch (pdf.sql) and send_outbox (smtp.sql), whose C code is in the
-- second library, dunning_delivery.
-------------------------------------------------------------------------------

-- private: an address fit for an SMTP envelope and a mail header: one @,
-- a dot in the domain, no space, control character, bracket or quote
CREATE FUNCTION @extschema@._is_email(text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.~) '^[^@[:space:][:cntrl:]<>()\[\],;:"\\]+@[^@[:space:][:cntrl:]<>()\[\],;:"\\]+\.[^@[:space:][:cntrl:]<>()\[\],;:"\\.]+$'
   AND pg_catalog.octet_length($1) OPERATOR(pg_catalog.<=) 254;

-- The creditor who writes the letters (README "Delivery").  Checked and
-- normalized by the trigger company_check (src/pdf.sql): the IBAN by its
-- ISO 13616 checksum, the BIC, the logo as a PNG image.
CREATE TABLE @extschema@.company (
    company_id          text PRIMARY KEY,
    name                text NOT NULL,
    address             text,              -- street lines, newline-separated
    postal_code         text,
    city                text,
    country             text,              -- ISO 3166 alpha-2
    vat_id              text,
    email               text,              -- the sender of its emails
    phone               text,
    iban                text,
    bic                 text,
    logo                bytea              -- PNG, printed at the top right
);
COMMENT ON TABLE @extschema@.company IS 'the creditor who writes: letterhead, sender, bank account; customer.company_id';

ALTER TABLE @extschema@.customer
    ADD COLUMN company_id text REFERENCES @extschema@.company,
    ADD COLUMN address text,
    ADD COLUMN postal_code text,
    ADD COLUMN city text,
    ADD COLUMN country text CHECK (country OPERATOR(pg_catalog.~) '^[A-Z]{2}$');
ALTER TABLE @extschema@.level
    ADD COLUMN payment_days integer NOT NULL DEFAULT 10
        CHECK (payment_days OPERATOR(pg_catalog.>=) 0),
    ADD COLUMN attach_letter boolean NOT NULL DEFAULT false,
    ADD COLUMN attach_invoices boolean NOT NULL DEFAULT false;
ALTER TABLE @extschema@.reminder
    DROP CONSTRAINT reminder_status_check,
    ADD CONSTRAINT reminder_status_check CHECK (status OPERATOR(pg_catalog.=) ANY
        ('{issued,queued,sent,printed,cancelled,failed}'::text[])),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN smtp_reply text,
    ADD COLUMN smtp_message_id text;
ALTER TABLE @extschema@.message
    DROP CONSTRAINT message_status_check,
    ADD CONSTRAINT message_status_check CHECK (status OPERATOR(pg_catalog.=) ANY
        ('{queued,sent,printed,cancelled,failed}'::text[])),
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN smtp_reply text,
    ADD COLUMN smtp_message_id text;

-- A person at the customer: emails go to its dunning contacts (else to
-- customer.email), its accounting contacts in copy.
CREATE TABLE @extschema@.contact (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON DELETE CASCADE,
    contact_id          bigserial NOT NULL,
    name                text,
    email               text NOT NULL CHECK (@extschema@._is_email(email)),
    role                text NOT NULL DEFAULT 'dunning'
                        CHECK (role OPERATOR(pg_catalog.=) ANY ('{dunning,accounting}'::text[])),
    language            text
                        CHECK (language OPERATOR(pg_catalog.~) '^[a-z]{2}([_-][A-Za-z]{2})?$'),
    PRIMARY KEY (customer_id, contact_id)
);
COMMENT ON TABLE @extschema@.contact IS 'an email address at a customer: role dunning (To) or accounting (Cc)';

-- A file the ERP keeps for an entry, such as the PDF of an invoice: the
-- emails of levels with attach_invoices carry those of their items.
CREATE TABLE @extschema@.document (
    customer_id         text NOT NULL,
    document_id         bigserial NOT NULL,
    entry_id            bigint,
    filename            text NOT NULL
                        CHECK (filename OPERATOR(pg_catalog.~) '^[^/\\[:cntrl:]"]{1,200}$'),
    media_type          text NOT NULL DEFAULT 'application/pdf'
                        CHECK (media_type OPERATOR(pg_catalog.~) '^[a-z]+/[a-z0-9.+-]+$'),
    content             bytea NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (customer_id, document_id),
    FOREIGN KEY (customer_id, entry_id) REFERENCES @extschema@.entry ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.document IS 'an attachment kept by the ERP, such as the PDF of an invoice (level.attach_invoices)';
CREATE INDEX document_entry_idx ON @extschema@.document (customer_id, entry_id);

-- send_outbox takes the oldest queued email, one at a time: in this order
CREATE INDEX reminder_queued_idx ON @extschema@.reminder (created_at, customer_id, reminder_id)
    WHERE status OPERATOR(pg_catalog.=) 'queued';
CREATE INDEX message_queued_idx ON @extschema@.message (created_at, customer_id, message_id)
    WHERE status OPERATOR(pg_catalog.=) 'queued';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.company'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contact'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contact_contact_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document_document_id_seq'::regclass, '');

-- the shipped templates in German
INSERT INTO @extschema@.template (key, language, channel, subject, body, shipped) VALUES
('level_1', 'de', 'letter', 'Zahlungserinnerung: offene Posten auf Ihrem Konto',
$t$Sehr geehrte Damen und Herren,

nach unseren Unterlagen waren am {{reminder.date|date}} folgende Posten noch offen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Sicher handelt es sich um ein Versehen. Sollte sich Ihre Zahlung mit diesem Schreiben gekreuzt haben, betrachten Sie es bitte als gegenstandslos; andernfalls bitten wir Sie, den Betrag umgehend zu begleichen.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('level_2', 'de', 'letter', 'Zweite Mahnung: offene Posten auf Ihrem Konto',
$t$Sehr geehrte Damen und Herren,

trotz unserer Erinnerung waren am {{reminder.date|date}} folgende Posten noch offen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Bitte begleichen Sie den Betrag innerhalb von 10 Tagen, oder teilen Sie uns mit, wenn Sie einen Posten bestreiten.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('level_3', 'de', 'letter', 'Dritte Mahnung: Zahlung erforderlich',
$t$Sehr geehrte Damen und Herren,

wir haben Sie bereits zweimal an folgende Posten erinnert, die am {{reminder.date|date}} noch offen waren:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Geht Ihre Zahlung nicht innerhalb von 8 Tagen ein, werden wir weitere Schritte einleiten.

Mit freundlichen Grüßen
{{manager.name}}
$t$, true),
('final', 'de', 'letter', 'Letzte Mahnung vor Einleitung rechtlicher Schritte',
$t$Sehr geehrte Damen und Herren,

LETZTE MAHNUNG

Unsere Mahnungen sind ohne Erfolg geblieben. Wir fordern Sie hiermit auf, innerhalb von 8 Tagen nach Zugang dieses Schreibens folgende am {{reminder.date|date}} offene Posten zu bezahlen:

{{^pdf}}{{#items}}  {{ref}} vom {{doc_date|date}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage überfällig)
{{/items}}
Überfällig: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Verzugspauschale: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Nach fruchtlosem Ablauf dieser Frist übergeben wir die Forderung ohne weitere Ankündigung zur gerichtlichen Beitreibung; die Kosten gehen zu Ihren Lasten.

{{manager.name}}
$t$, true),
('level_1', 'de', 'email', 'Zahlungserinnerung: {{reminder.total|money}} {{reminder.currency}} überfällig',
$t$Sehr geehrte Damen und Herren,

am {{reminder.date|date}} waren auf Ihrem Konto {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Falls Sie bereits gezahlt haben, betrachten Sie diese Nachricht bitte als gegenstandslos. Andernfalls danken wir Ihnen für eine baldige Zahlung.

{{manager.name}}
$t$, true),
('level_2', 'de', 'email', 'Zweite Mahnung: {{reminder.total|money}} {{reminder.currency}} überfällig',
$t$Sehr geehrte Damen und Herren,

trotz unserer Erinnerung waren am {{reminder.date|date}} auf Ihrem Konto {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
{{#reminder.fees}}Mahngebühr: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Verzugszinsen: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Bitte zahlen Sie innerhalb von 10 Tagen, oder antworten Sie auf diese Nachricht, wenn Sie einen Posten bestreiten.

{{manager.name}}
$t$, true),
('level_3', 'de', 'email', 'Dritte Mahnung: Zahlung erforderlich',
$t$Sehr geehrte Damen und Herren,

wir haben Sie zweimal erinnert; am {{reminder.date|date}} waren noch {{reminder.total_overdue|money}} {{reminder.currency}} überfällig:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
Zu zahlen: {{reminder.total|money}} {{reminder.currency}}

Geht Ihre Zahlung nicht innerhalb von 8 Tagen ein, werden wir weitere Schritte einleiten.

{{manager.name}}
$t$, true),
('final', 'de', 'email', 'Letzte Mahnung',
$t$Sehr geehrte Damen und Herren,

unsere Mahnungen sind ohne Erfolg geblieben. Wir fordern Sie auf, {{reminder.total|money}} {{reminder.currency}} innerhalb von 8 Tagen zu zahlen:

{{#items}}- {{ref}}, fällig am {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} Tage)
{{/items}}
Nach fruchtlosem Fristablauf übergeben wir die Forderung ohne weitere Ankündigung zur gerichtlichen Beitreibung.

{{manager.name}}
$t$, true),
('payment_plan', 'de', 'email', 'Ihre Ratenzahlungsvereinbarung vom {{plan.agreed_on|date}}',
$t$Sehr geehrte Damen und Herren,

wie am {{plan.agreed_on|date}} vereinbart, zahlen Sie {{plan.total|money}} {{plan.currency}} in {{plan.installments}} Raten:

{{#installments}}- {{due_on|date}}: {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Hinweis: {{plan.note}}
{{/plan.note}}
Solange die Raten pünktlich gezahlt werden, mahnen wir diese Posten nicht. Eine versäumte Rate beendet die Vereinbarung.

{{manager.name}}
$t$, true)
ON CONFLICT (key, language, channel) DO NOTHING;

-- the shipped letter templates leave the items to the printed table when
-- rendered for a PDF (a user's own rows, shipped = false, are kept)
UPDATE @extschema@.template SET body = $t$Dear {{customer.name}},

According to our records, the following items were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
This may be an oversight. If your payment has crossed this letter, please disregard it; otherwise we would be grateful if you would settle the amount at your earliest convenience.

Yours sincerely,
{{manager.name}}
$t$
 WHERE key = 'level_1' AND language = 'en' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Dear {{customer.name}},

Despite our reminder, the following items were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Please pay this amount within 10 days, or contact us if you disagree with any item.

Yours sincerely,
{{manager.name}}
$t$
 WHERE key = 'level_2' AND language = 'en' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Dear {{customer.name}},

We have reminded you twice of the following items, which were still unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Unless we receive your payment within 8 days, we will take further steps to recover the debt.

Yours sincerely,
{{manager.name}}
$t$
 WHERE key = 'level_3' AND language = 'en' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Dear {{customer.name}},

FORMAL NOTICE

Our previous reminders have remained without effect. We hereby give you formal notice to pay, within 8 days of this letter, the following items, unpaid on {{reminder.date|date}}:

{{^pdf}}{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Fees: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Failing payment within this time, we will refer the matter for legal recovery without further notice, at your expense.

{{manager.name}}
$t$
 WHERE key = 'final' AND language = 'en' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Madame, Monsieur,

Sauf erreur de notre part, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Il s'agit sans doute d'un oubli. Si votre règlement a croisé ce courrier, nous vous prions de ne pas en tenir compte ; dans le cas contraire, nous vous remercions de bien vouloir procéder au paiement dans les meilleurs délais.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$
 WHERE key = 'level_1' AND language = 'fr' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Madame, Monsieur,

Malgré notre précédente relance, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Nous vous prions de régler ce montant sous 10 jours, ou de nous contacter si une pièce vous semble contestable.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$
 WHERE key = 'level_2' AND language = 'fr' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Madame, Monsieur,

Nous vous avons relancé à deux reprises pour les pièces suivantes, toujours impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
Sans règlement sous 8 jours, nous engagerons les démarches nécessaires au recouvrement de notre créance.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$
 WHERE key = 'level_3' AND language = 'fr' AND channel = 'letter' AND shipped;
UPDATE @extschema@.template SET body = $t$Madame, Monsieur,

MISE EN DEMEURE

Nos relances successives étant restées sans effet, nous vous mettons en demeure de régler, dans un délai de 8 jours à compter de la présente, les pièces suivantes, impayées au {{reminder.date|date}} :

{{^pdf}}{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}
{{/pdf}}{{#pdf}}{{pdf}}{{/pdf}}
À défaut de paiement dans ce délai, nous transmettrons le dossier pour recouvrement judiciaire, sans autre avis et à vos frais.

{{manager.name}}
$t$
 WHERE key = 'final' AND language = 'fr' AND channel = 'letter' AND shipped;

CREATE OR REPLACE VIEW @extschema@.outbox WITH (security_invoker = true) AS
SELECT r.customer_id, r.reminder_id, NULL::bigint AS message_id, 'reminder' AS kind,
       r.channel, r.status, c.name, c.email,
       r.language, r.subject, r.body, r.level, r.currency, r.total_overdue,
       r.fees, r.interest, r.compensation,
       r.total_overdue OPERATOR(pg_catalog.+) r.fees OPERATOR(pg_catalog.+) r.interest
           OPERATOR(pg_catalog.+) r.compensation AS total,
       r.as_of, r.created_at, c.manager_id,
       r.attempts, r.last_error, r.next_attempt_at, c.company_id
  FROM @extschema@.reminder r
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) r.customer_id
 WHERE (r.status OPERATOR(pg_catalog.=) 'queued' AND r.channel OPERATOR(pg_catalog.=) 'email')
    OR (r.status OPERATOR(pg_catalog.=) 'issued'
        AND (r.channel OPERATOR(pg_catalog.=) 'letter' OR r.channel OPERATOR(pg_catalog.=) 'legal'))
    OR r.status OPERATOR(pg_catalog.=) 'failed'
UNION ALL
SELECT m.customer_id, NULL, m.message_id, m.kind, m.channel, m.status, c.name, c.email,
       m.language, m.subject, m.body, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       m.created_at::date, m.created_at, c.manager_id,
       m.attempts, m.last_error, m.next_attempt_at, c.company_id
  FROM @extschema@.message m
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) m.customer_id
 WHERE m.status OPERATOR(pg_catalog.=) 'queued' OR m.status OPERATOR(pg_catalog.=) 'failed';
COMMENT ON VIEW @extschema@.outbox IS
    'reminders waiting to be emailed (queued) or printed (issued letters), other messages queued (payment plan confirmations), and the emails that failed; send_outbox and mark_sent take them out';

-- row security on the two new per-customer tables, as on the others
CREATE OR REPLACE FUNCTION @extschema@._customer_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT '{customer,entry,allocation,lettering,reminder,reminder_line,action,promise,payment_plan,installment,activity,message,contact,document}'::pg_catalog.text[]
$$;

DO $do$
DECLARE
    t text;
    v_off constant text := $q$NOT EXISTS (SELECT 1 FROM @extschema@.row_security s WHERE s.enabled)$q$;
    v_admin constant text := $q$EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                         WHERE r.rolname OPERATOR(pg_catalog.=) 'dunning_admin'
                                           AND pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$;
    v_mine constant text := $q$customer_id IN (SELECT c.customer_id FROM @extschema@.customer c)$q$;
BEGIN
    FOREACH t IN ARRAY '{contact,document}'::text[] LOOP
        EXECUTE pg_catalog.format('CREATE POLICY dunning_manager ON @extschema@.%I USING (%s OR %s OR %s) WITH CHECK (%s OR %s OR %s)',
                                  t, v_off, v_admin, v_mine, v_off, v_admin, v_mine);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$do$;

-------------------------------------------------------------------------------
-- The printed letter (README "Delivery"): letter_pdf, message_pdf, run_pdf,
-- print_batch.
--
-- _letter_doc and _message_doc write every word of a letter as a jsonb
-- document: labels in the customer's language, amounts and dates written
-- out, the structured creditor reference (ISO 11649), the EPC QR payload
-- (EPC069-12).  _pdf (src/pdf.c, in the library dunning_delivery) lays the
-- documents of a cursor out on A4 pages (DIN 5008 form B) with cairo and
-- pango.  SELECT dunning._letter_doc(c, r) shows what a letter will say.
-------------------------------------------------------------------------------

-- The company: the IBAN and BIC written without spaces in capitals, the
-- IBAN's checksum (ISO 13616, mod 97), the country, the sender address and
-- the logo checked when the company is saved.
CREATE FUNCTION @extschema@._company_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_digits text := '';
    v_char text;
BEGIN
    NEW.iban := nullif(upper(regexp_replace(NEW.iban, '\s', '', 'g')), '');
    NEW.bic := nullif(upper(regexp_replace(NEW.bic, '\s', '', 'g')), '');
    IF NEW.iban IS NOT NULL THEN
        IF NEW.iban !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' THEN
            RAISE EXCEPTION 'IBAN "%" of company % is malformed', NEW.iban, NEW.company_id
                USING ERRCODE = '22023',
                      DETAIL = 'An IBAN is a country code, two check digits and 11 to 30 letters or digits (ISO 13616).';
        END IF;
        FOREACH v_char IN ARRAY regexp_split_to_array(substr(NEW.iban, 5) || left(NEW.iban, 4), '')
        LOOP
            v_digits := v_digits || CASE WHEN v_char ~ '[A-Z]'
                                         THEN (ascii(v_char) - 55)::text ELSE v_char END;
        END LOOP;
        IF v_digits::numeric % 97 <> 1 THEN
            RAISE EXCEPTION 'IBAN "%" of company % fails its checksum', NEW.iban, NEW.company_id
                USING ERRCODE = '22023',
                      DETAIL = 'The check digits of an IBAN make it 1 modulo 97 (ISO 13616); a digit is wrong or two are swapped.';
        END IF;
    END IF;
    IF NEW.bic IS NOT NULL AND NEW.bic !~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$' THEN
        RAISE EXCEPTION 'BIC "%" of company % is malformed', NEW.bic, NEW.company_id
            USING ERRCODE = '22023',
                  DETAIL = 'A BIC is 8 or 11 letters and digits: bank, country, location, branch (ISO 9362).';
    END IF;
    IF NEW.country IS NOT NULL AND NEW.country !~ '^[A-Z]{2}$' THEN
        RAISE EXCEPTION 'country "%" of company % is not an ISO 3166 code', NEW.country, NEW.company_id
            USING ERRCODE = '22023', DETAIL = 'Write the two capital letters of ISO 3166-1 alpha-2, such as FR or DE.';
    END IF;
    IF NEW.email IS NOT NULL AND NOT @extschema@._is_email(NEW.email) THEN
        RAISE EXCEPTION 'email "%" of company % is not an address', NEW.email, NEW.company_id
            USING ERRCODE = '22023', DETAIL = 'The sender of the emails is one address such as dunning@example.com.';
    END IF;
    IF NEW.logo IS NOT NULL
       AND (octet_length(NEW.logo) < 33
            OR substr(NEW.logo, 1, 8) <> '\x89504e470d0a1a0a'::bytea
            OR substr(NEW.logo, 13, 4) <> '\x49484452'::bytea) THEN
        RAISE EXCEPTION 'the logo of company % is not a PNG image', NEW.company_id
            USING ERRCODE = '22023',
                  DETAIL = 'A logo is the bytes of a PNG file: the PNG signature, then its IHDR header.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER company_check BEFORE INSERT OR UPDATE ON @extschema@.company
    FOR EACH ROW EXECUTE FUNCTION @extschema@._company_check();

-- private: the company that writes to a customer: its own, else the only
-- one there is
CREATE FUNCTION @extschema@._company_of(customer_id text)
RETURNS @extschema@.company
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k @extschema@.company;
    n integer;
BEGIN
    SELECT co.* INTO k
      FROM @extschema@.customer c
      JOIN @extschema@.company co ON co.company_id = c.company_id
     WHERE c.customer_id = $1;
    IF FOUND THEN
        RETURN k;
    END IF;
    SELECT count(*) INTO n FROM @extschema@.company;
    IF n <> 1 THEN
        RAISE EXCEPTION 'customer % has no company to write its letters', $1
            USING ERRCODE = '55000',
                  DETAIL = CASE WHEN n = 0 THEN 'Table dunning.company is empty: a letter needs the creditor''s name and address.'
                                ELSE 'There are several companies and customer.company_id is not set.' END,
                  HINT = 'INSERT INTO dunning.company, or set customer.company_id.';
    END IF;
    SELECT co.* INTO k FROM @extschema@.company co;
    RETURN k;
END
$$;

-- private: the words of a letter other than its template's, by language
-- (English when the language has none)
CREATE FUNCTION @extschema@._label(key text, language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT coalesce(t.labels -> left($2, 2) ->> $1, t.labels -> 'en' ->> $1, $1)
  FROM (SELECT '{
    "en": {"ref": "Reference", "date": "Date", "due": "Due date", "days": "Days overdue",
           "open": "Open amount", "overdue": "Total overdue", "fees": "Reminder fee",
           "interest": "Late interest", "compensation": "Compensation for recovery costs",
           "total": "Total to pay", "customer": "Customer no.", "reminder": "Reminder no.",
           "message": "Our ref.", "contact": "Your contact", "page": "page",
           "vat": "VAT", "scan": "Scan with your banking app",
           "pay_iban": "Please pay %1$s by %2$s to %3$s, IBAN %4$s%5$s, quoting the reference %6$s.",
           "pay": "Please pay %1$s by %2$s, quoting the reference %6$s.",
           "ref_only": "Please quote the reference %6$s with your payments.", "bic": ", BIC "},
    "fr": {"ref": "Pièce", "date": "Date", "due": "Échéance", "days": "Jours de retard",
           "open": "Montant dû", "overdue": "Total échu", "fees": "Frais de relance",
           "interest": "Pénalités de retard", "compensation": "Indemnité forfaitaire de recouvrement",
           "total": "Total à régler", "customer": "N° client", "reminder": "N° relance",
           "message": "Notre réf.", "contact": "Votre contact", "page": "page",
           "vat": "TVA", "scan": "Scannez avec votre application bancaire",
           "pay_iban": "Merci de régler %1$s avant le %2$s par virement à %3$s, IBAN %4$s%5$s, en indiquant la référence %6$s.",
           "pay": "Merci de régler %1$s avant le %2$s en indiquant la référence %6$s.",
           "ref_only": "Merci d''indiquer la référence %6$s avec vos règlements.", "bic": ", BIC "},
    "de": {"ref": "Beleg", "date": "Datum", "due": "Fällig am", "days": "Tage überfällig",
           "open": "Offener Betrag", "overdue": "Überfällig gesamt", "fees": "Mahngebühr",
           "interest": "Verzugszinsen", "compensation": "Verzugspauschale",
           "total": "Zu zahlen", "customer": "Kundennr.", "reminder": "Mahnung Nr.",
           "message": "Unser Zeichen", "contact": "Ihr Kontakt", "page": "Seite",
           "vat": "USt-IdNr.", "scan": "Mit Ihrer Banking-App scannen",
           "pay_iban": "Bitte überweisen Sie %1$s bis zum %2$s an %3$s, IBAN %4$s%5$s, mit der Referenz %6$s.",
           "pay": "Bitte zahlen Sie %1$s bis zum %2$s mit der Referenz %6$s.",
           "ref_only": "Bitte geben Sie bei Zahlungen die Referenz %6$s an.", "bic": ", BIC "},
    "pl": {"ref": "Dokument", "date": "Data", "due": "Termin płatności", "days": "Dni zwłoki",
           "open": "Kwota do zapłaty", "overdue": "Razem zaległe", "fees": "Opłata za wezwanie",
           "interest": "Odsetki za zwłokę", "compensation": "Rekompensata za koszty odzyskiwania",
           "total": "Razem do zapłaty", "customer": "Nr klienta", "reminder": "Nr wezwania",
           "message": "Nasz znak", "contact": "Osoba kontaktowa", "page": "strona",
           "vat": "NIP", "scan": "Zeskanuj w aplikacji bankowej",
           "pay_iban": "Prosimy o zapłatę %1$s do dnia %2$s na rachunek %3$s, IBAN %4$s%5$s, z podaniem referencji %6$s.",
           "pay": "Prosimy o zapłatę %1$s do dnia %2$s z podaniem referencji %6$s.",
           "ref_only": "Prosimy o podawanie referencji %6$s przy płatnościach.", "bic": ", BIC "}
  }'::jsonb AS labels) t;
END;

-- private: a date in a table cell, in the customer's language
CREATE FUNCTION @extschema@._short_date(d date, language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT to_char($1, CASE left($2, 2)
                        WHEN 'en' THEN 'YYYY-MM-DD'
                        WHEN 'de' THEN 'DD.MM.YYYY'
                        WHEN 'pl' THEN 'DD.MM.YYYY'
                        WHEN 'nl' THEN 'DD-MM-YYYY'
                        ELSE 'DD/MM/YYYY' END);
END;

-- ISO 11649: the structured creditor reference "RF" + two check digits +
-- the reference, the check digits making it 1 modulo 97
CREATE FUNCTION @extschema@.creditor_reference(reference text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ref text := upper(regexp_replace($1, '[^A-Za-z0-9]', '', 'g'));
    v_digits text := '';
    v_char text;
BEGIN
    IF v_ref = '' OR length(v_ref) > 21 THEN
        RAISE EXCEPTION 'creditor reference "%" must be 1 to 21 letters or digits', $1
            USING ERRCODE = '22023', DETAIL = 'ISO 11649 references are RF, two check digits and at most 21 characters.';
    END IF;
    FOREACH v_char IN ARRAY regexp_split_to_array(v_ref || 'RF00', '') LOOP
        v_digits := v_digits || CASE WHEN v_char ~ '[A-Z]'
                                     THEN (ascii(v_char) - 55)::text ELSE v_char END;
    END LOOP;
    RETURN 'RF' || lpad((98 - v_digits::numeric % 97)::text, 2, '0') || v_ref;
END
$$;
COMMENT ON FUNCTION @extschema@.creditor_reference(text) IS
    'the ISO 11649 structured creditor reference (RF..) of a reference; letters quote RF + customer + R + reminder id';

-- private: the reference a letter asks to be quoted: the customer's
-- letters and digits (shortened) and the reminder ('R') or message ('M') id
CREATE FUNCTION @extschema@._payment_reference(customer_id text, kind text, id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT @extschema@.creditor_reference(
           left(upper(regexp_replace($1, '[^A-Za-z0-9]', '', 'g')),
                greatest(0, 20 - length($3::text))) || $2 || $3::text);
END;

-- private: what the letterhead, the return line and the footer say of a
-- company, and the payment instructions with its account
CREATE FUNCTION @extschema@._letterhead(k @extschema@.company, language text)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT jsonb_build_object(
    'company_id', ($1).company_id,
    'letterhead', to_jsonb(array_remove(
        ARRAY[($1).name]
        || coalesce(regexp_split_to_array(nullif(trim(($1).address), ''), '\s*\n\s*'), '{}')
        || ARRAY[nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
                 nullif(concat_ws('  ', ($1).phone, ($1).email), '')], NULL)),
    'return_address', concat_ws(' · ', ($1).name,
                                split_part(coalesce(($1).address, ''), E'\n', 1),
                                nullif(concat_ws(' ', ($1).postal_code, ($1).city), '')),
    'footer', to_jsonb(array_remove(ARRAY[
        concat_ws(' · ', ($1).name, nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
                  @extschema@._label('vat', $2) || ' ' || ($1).vat_id),
        nullif(concat_ws(' · ', 'IBAN ' || ($1).iban, 'BIC ' || ($1).bic), '')], NULL)));
END;

-- private: the recipient lines of the address field: the name, the street
-- lines, postal code and city, the country when it is not the company's
CREATE FUNCTION @extschema@._address(c @extschema@.customer, company_country text)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT to_jsonb(array_remove(
    ARRAY[($1).name]
    || coalesce(regexp_split_to_array(nullif(trim(($1).address), ''), '\s*\n\s*'), '{}')
    || ARRAY[nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
             CASE WHEN ($1).country IS DISTINCT FROM $2 THEN ($1).country END], NULL));
END;

-- The document of a reminder's letter, as _pdf prints it.
CREATE FUNCTION @extschema@._letter_doc(customer_id text, reminder_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    r @extschema@.reminder;
    c @extschema@.customer;
    k @extschema@.company;
    m @extschema@.credit_manager;
    lv @extschema@.level;
    v_lang text;
    v_items jsonb;
    v_cells jsonb;
    v_total numeric;
    v_body text;
    v_tpl text;
    v_ref text;
    v_pay_by date;
    v_money text;
    v_qr text;
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and reminder_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'A letter is the reminder of one customer.';
    END IF;
    SELECT x.* INTO r FROM @extschema@.reminder x
     WHERE x.customer_id = $1 AND x.reminder_id = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no reminder %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.reminder has no such row.';
    END IF;
    IF r.status = 'cancelled' THEN
        RAISE EXCEPTION 'reminder % of customer % is cancelled', $2, $1
            USING ERRCODE = '55000', DETAIL = 'A cancelled reminder is not printed.';
    END IF;
    SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $1;
    k := @extschema@._company_of($1);
    SELECT x.* INTO m FROM @extschema@.credit_manager x WHERE x.manager_id = c.manager_id;
    SELECT x.* INTO lv FROM @extschema@.level x
     WHERE x.policy_id = c.policy_id AND x.level = r.level;
    v_lang := coalesce(r.language, c.language, 'en');
    v_total := r.total_overdue + r.fees + r.interest + r.compensation;
    v_pay_by := r.as_of + coalesce(lv.payment_days, 10);

    -- the items, as the reminder listed them
    SELECT jsonb_agg(jsonb_build_object(
               'entry_id', l.entry_id, 'kind', e.kind, 'ref', e.ref,
               'doc_date', e.doc_date, 'due_date', coalesce(e.due_date, e.doc_date),
               'days_overdue', l.days_overdue, 'amount', e.amount,
               'open_amount', l.open_amount, 'level', l.level, 'dunned', l.dunned,
               'interest', l.interest, 'compensation', l.compensation)
               ORDER BY coalesce(e.due_date, e.doc_date), l.entry_id),
           jsonb_agg(jsonb_build_array(
               coalesce(e.ref, e.kind || ' ' || l.entry_id),
               @extschema@._short_date(e.doc_date, v_lang),
               @extschema@._short_date(coalesce(e.due_date, e.doc_date), v_lang),
               CASE WHEN l.days_overdue > 0 THEN l.days_overdue::text ELSE '' END,
               @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', l.open_amount)))
               ORDER BY coalesce(e.due_date, e.doc_date), l.entry_id)
      INTO v_items, v_cells
      FROM @extschema@.reminder_line l
      JOIN @extschema@.entry e ON e.customer_id = l.customer_id AND e.entry_id = l.entry_id
     WHERE l.customer_id = $1 AND l.reminder_id = $2;

    -- the body: the template of the letter rendered with "pdf" set, so that
    -- the shipped templates leave the items to the table (a form feed marks
    -- its place); the body as issued when the template is gone
    SELECT t.body INTO v_tpl
      FROM @extschema@._template(@extschema@._level_template(lv.template, lv.final, r.level),
                                 v_lang, CASE WHEN r.channel = 'legal' THEN 'legal' ELSE 'letter' END) t;
    IF v_tpl IS NULL THEN
        v_body := r.body;
    ELSE
        v_body := @extschema@.render(v_tpl, jsonb_build_object(
            'language', v_lang, 'pdf', E'\f',
            'customer', jsonb_build_object('id', c.customer_id, 'name', c.name,
                                           'email', c.email, 'phone', c.phone),
            'manager', jsonb_build_object('id', m.manager_id, 'name', m.name, 'email', m.email),
            'reminder', jsonb_build_object(
                'date', r.as_of, 'level', r.level, 'channel', r.channel,
                'final', coalesce(lv.final, false), 'currency', r.currency,
                'total_overdue', r.total_overdue, 'fees', r.fees, 'interest', r.interest,
                'compensation', r.compensation, 'total', v_total,
                'items', jsonb_array_length(coalesce(v_items, '[]'))),
            'items', coalesce(v_items, '[]')));
    END IF;

    v_ref := @extschema@._payment_reference($1, 'R', $2);
    v_money := @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', v_total))
               || ' ' || r.currency;
    -- EPC069-12 version 002: the SEPA credit transfer a banking app reads
    IF r.currency = 'EUR' AND k.iban IS NOT NULL AND v_total BETWEEN 0.01 AND 999999999.99 THEN
        v_qr := concat_ws(E'\n', 'BCD', '002', '1', 'SCT', coalesce(k.bic, ''),
                          left(regexp_replace(k.name, '[[:cntrl:]]', ' ', 'g'), 70), k.iban,
                          'EUR' || to_char(round(v_total, 2), 'FM999999990.00'), '', v_ref);
    END IF;

    RETURN @extschema@._letterhead(k, v_lang) || jsonb_build_object(
        'recipient', @extschema@._address(c, k.country),
        'info', to_jsonb(ARRAY[
            @extschema@._label('customer', v_lang), c.customer_id,
            @extschema@._label('reminder', v_lang), r.reminder_id::text]
            || CASE WHEN m.name IS NOT NULL
                    THEN ARRAY[@extschema@._label('contact', v_lang), m.name] ELSE '{}' END
            || CASE WHEN m.email IS NOT NULL THEN ARRAY['', m.email] ELSE '{}' END
            || ARRAY[@extschema@._label('date', v_lang),
                     concat_ws(', ', k.city,
                               @extschema@.render('{{d|date}}',
                                   jsonb_build_object('language', v_lang, 'd', r.as_of)))]),
        'subject', r.subject,
        'body', v_body,
        'columns', jsonb_build_array(@extschema@._label('ref', v_lang), @extschema@._label('date', v_lang),
                                     @extschema@._label('due', v_lang), @extschema@._label('days', v_lang),
                                     @extschema@._label('open', v_lang)),
        'items', coalesce(v_cells, '[]'),
        'totals', to_jsonb(
            ARRAY[@extschema@._label('overdue', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.total_overdue))]
            || CASE WHEN r.fees > 0 THEN ARRAY[@extschema@._label('fees', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.fees))] ELSE '{}' END
            || CASE WHEN r.interest > 0 THEN ARRAY[@extschema@._label('interest', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.interest))] ELSE '{}' END
            || CASE WHEN r.compensation > 0 THEN ARRAY[@extschema@._label('compensation', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.compensation))] ELSE '{}' END
            || ARRAY[@extschema@._label('total', v_lang), v_money]),
        'payment', format(@extschema@._label(CASE WHEN k.iban IS NOT NULL THEN 'pay_iban' ELSE 'pay' END, v_lang),
                          v_money,
                          @extschema@.render('{{d|date}}', jsonb_build_object('language', v_lang, 'd', v_pay_by)),
                          k.name, k.iban, @extschema@._label('bic', v_lang) || k.bic, v_ref),
        'qr', v_qr,
        'qr_caption', CASE WHEN v_qr IS NOT NULL THEN @extschema@._label('scan', v_lang) END,
        'page_word', @extschema@._label('page', v_lang),
        'date', r.as_of::text,
        'reference', v_ref,
        'pay_by', v_pay_by,
        'total', v_total);
END
$$;
COMMENT ON FUNCTION @extschema@._letter_doc(text, bigint) IS
    'what the letter of a reminder says, as the jsonb document letter_pdf prints';

-- The document of a message (a payment plan's confirmation).
CREATE FUNCTION @extschema@._message_doc(customer_id text, message_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    g @extschema@.message;
    c @extschema@.customer;
    k @extschema@.company;
    v_lang text;
    v_ref text;
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and message_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'A letter is the message of one customer.';
    END IF;
    SELECT x.* INTO g FROM @extschema@.message x
     WHERE x.customer_id = $1 AND x.message_id = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no message %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.message has no such row.';
    END IF;
    IF g.status = 'cancelled' THEN
        RAISE EXCEPTION 'message % of customer % is cancelled', $2, $1
            USING ERRCODE = '55000', DETAIL = 'A cancelled message is not printed.';
    END IF;
    SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $1;
    k := @extschema@._company_of($1);
    v_lang := coalesce(g.language, c.language, 'en');
    v_ref := @extschema@._payment_reference($1, 'M', $2);
    RETURN @extschema@._letterhead(k, v_lang) || jsonb_build_object(
        'recipient', @extschema@._address(c, k.country),
        'info', to_jsonb(ARRAY[
            @extschema@._label('customer', v_lang), c.customer_id,
            @extschema@._label('message', v_lang), g.kind || ' ' || g.message_id,
            @extschema@._label('date', v_lang),
            concat_ws(', ', k.city, @extschema@.render('{{d|date}}',
                jsonb_build_object('language', v_lang, 'd', (g.created_at AT TIME ZONE 'UTC')::date)))]),
        'subject', g.subject,
        'body', g.body,
        'payment', format(@extschema@._label('ref_only', v_lang), '', '', k.name, k.iban, '', v_ref),
        'page_word', @extschema@._label('page', v_lang),
        'date', (g.created_at AT TIME ZONE 'UTC')::date::text,
        'reference', v_ref);
END
$$;
COMMENT ON FUNCTION @extschema@._message_doc(text, bigint) IS
    'what the letter of a message says, as the jsonb document message_pdf prints';

-- private: the PDF of the letter documents of a cursor (src/pdf.c)
CREATE FUNCTION @extschema@._pdf(docs refcursor)
RETURNS bytea
AS '$libdir/dunning_delivery', '_pdf'
LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.letter_pdf(customer_id text, reminder_id bigint)
RETURNS bytea
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_doc jsonb := @extschema@._letter_doc($1, $2);
    v_cur refcursor;
BEGIN
    OPEN v_cur FOR SELECT v_doc;
    RETURN @extschema@._pdf(v_cur);
END
$$;
COMMENT ON FUNCTION @extschema@.letter_pdf(text, bigint) IS
    'the reminder as an A4 PDF letter (DIN 5008 form B), the same bytes every time';

CREATE FUNCTION @extschema@.message_pdf(customer_id text, message_id bigint)
RETURNS bytea
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_doc jsonb := @extschema@._message_doc($1, $2);
    v_cur refcursor;
BEGIN
    OPEN v_cur FOR SELECT v_doc;
    RETURN @extschema@._pdf(v_cur);
END
$$;
COMMENT ON FUNCTION @extschema@.message_pdf(text, bigint) IS
    'a message (a payment plan''s confirmation) as an A4 PDF letter';

-- (in C, so that the PDF of a run is not copied once more on its way out)
CREATE FUNCTION @extschema@.run_pdf(run_id bigint)
RETURNS bytea
AS '$libdir/dunning_delivery', 'dunning_run_pdf'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.run_pdf(bigint) IS
    'every letter of a run (channels letter and legal) in one PDF for the printer, customer by customer, each on a new sheet';

CREATE FUNCTION @extschema@.print_batch()
RETURNS bytea
AS '$libdir/dunning_delivery', 'dunning_print_batch'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.print_batch() IS
    'every letter waiting in the outbox (issued letters, messages by letter, emails with no address) in one PDF; mark_sent marks them printed';

-------------------------------------------------------------------------------
-- Emails (README "Delivery"): send_outbox sends the queued reminders and
-- messages through the SMTP server of dunning.smtp_url.
--
-- _email writes one email as MIME (RFC 5322, 2045, 2047, 2231): the text
-- body, and per the level the letter's PDF and the invoices' documents.
-- _smtp_send (src/smtp.c, in dunning_delivery, with libcurl) hands it over.
-- send_outbox commits after each email, recording the outcome on the
-- reminder or message.
-------------------------------------------------------------------------------

-- private: a header value as RFC 2047 encoded words of at most 45 bytes of
-- UTF-8 each, folded; control characters (a header injection) become spaces
CREATE FUNCTION @extschema@._mime_words(value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text := regexp_replace($1, '[[:cntrl:]]', ' ', 'g');
    v_words text[] := '{}';
    v_word text := '';
    v_char text;
BEGIN
    IF v ~ '^[ -~]*$' AND v !~ '=\?' AND length(v) <= 70 THEN
        RETURN v;
    END IF;
    FOREACH v_char IN ARRAY regexp_split_to_array(v, '') LOOP
        IF octet_length(v_word) + octet_length(v_char) > 45 THEN
            v_words := v_words || ('=?UTF-8?B?' || encode(convert_to(v_word, 'UTF8'), 'base64') || '?=');
            v_word := '';
        END IF;
        v_word := v_word || v_char;
    END LOOP;
    IF v_word <> '' OR cardinality(v_words) = 0 THEN
        v_words := v_words || ('=?UTF-8?B?' || encode(convert_to(v_word, 'UTF8'), 'base64') || '?=');
    END IF;
    RETURN array_to_string(v_words, E'\r\n ');
END
$$;

-- private: bytes as base64 in lines of 76 characters ending in CRLF
CREATE FUNCTION @extschema@._mime_base64(content bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
SELECT replace(encode($1, 'base64'), E'\n', E'\r\n') || E'\r\n';
END;

-- private: one attachment part
CREATE FUNCTION @extschema@._mime_part(filename text, media_type text, content bytea)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT 'Content-Type: ' || $2 || E'\r\n'
       || 'Content-Disposition: attachment; filename="'
       || regexp_replace($1, '[^ -~]|["\\]', '_', 'g') || '"'
       || CASE WHEN $1 !~ '^[ -~]*$'
               THEN E';\r\n filename*=UTF-8''''' || (SELECT string_agg(
                        CASE WHEN b ~ '^[A-Za-z0-9._-]$' THEN b
                             ELSE (SELECT string_agg('%' || upper(encode(substr(convert_to(b, 'UTF8'), i, 1), 'hex')), '')
                                     FROM generate_series(1, octet_length(convert_to(b, 'UTF8'))) i) END, '')
                        FROM regexp_split_to_table($1, '') b)
               ELSE '' END
       || E'\r\nContent-Transfer-Encoding: base64\r\n\r\n'
       || @extschema@._mime_base64($3);
END;

-- The email of a reminder (kind 'reminder'), a message (kind 'message') or
-- a credit manager's summary of the day (kind 'digest': customer_id is then
-- the manager's id): its envelope and its MIME text.  "to" is empty when
-- there is no address.
CREATE FUNCTION @extschema@._email(kind text, customer_id text, id bigint,
                                   OUT sender text, OUT "to" text[], OUT cc text[],
                                   OUT message_id text, OUT mime text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    c @extschema@.customer;
    k @extschema@.company;
    lv @extschema@.level;
    v_subject text;
    v_body text;
    v_lang text;
    v_parts text[] := '{}';
    v_boundary text;
    v_domain text;
    v_at timestamptz := now();
BEGIN
    IF kind = 'digest' THEN
        -- to a credit manager, from the sender of the only (or first) company
        SELECT x.* INTO k FROM @extschema@.company x ORDER BY x.company_id LIMIT 1;
        SELECT g.subject, g.body, g.language,
               CASE WHEN @extschema@._is_email(m.email) THEN ARRAY[m.email] ELSE '{}' END
          INTO v_subject, v_body, v_lang, "to"
          FROM @extschema@.digest g
          JOIN @extschema@.credit_manager m ON m.manager_id = g.manager_id
         WHERE g.digest_id = $3;
        cc := '{}';
    ELSE
        SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $2;
        k := @extschema@._company_of($2);
        SELECT coalesce(array_agg(t.email ORDER BY t.contact_id) FILTER (WHERE t.role = 'dunning'), '{}'),
               coalesce(array_agg(t.email ORDER BY t.contact_id) FILTER (WHERE t.role = 'accounting'), '{}')
          INTO "to", cc
          FROM @extschema@.contact t WHERE t.customer_id = $2;
        IF cardinality("to") = 0 AND @extschema@._is_email(c.email) THEN
            "to" := ARRAY[c.email];
        END IF;
    END IF;
    sender := coalesce(nullif(current_setting('dunning.smtp_from', true), ''), k.email);
    IF sender IS NULL OR NOT @extschema@._is_email(sender) THEN
        RAISE EXCEPTION 'no sender address for the emails of company %', k.company_id
            USING ERRCODE = '55000',
                  DETAIL = 'The sender is dunning.smtp_from, else the email of the customer''s company.';
    END IF;
    IF kind = 'reminder' THEN
        SELECT r.subject, r.body, r.language INTO v_subject, v_body, v_lang
          FROM @extschema@.reminder r WHERE r.customer_id = $2 AND r.reminder_id = $3;
        SELECT l.* INTO lv
          FROM @extschema@.reminder r
          JOIN @extschema@.level l ON l.policy_id = c.policy_id AND l.level = r.level
         WHERE r.customer_id = $2 AND r.reminder_id = $3;
        IF lv.attach_letter THEN
            v_parts := v_parts || @extschema@._mime_part('reminder-' || $3 || '.pdf', 'application/pdf',
                                                         @extschema@.letter_pdf($2, $3));
        END IF;
        IF lv.attach_invoices THEN
            SELECT v_parts || coalesce(array_agg(@extschema@._mime_part(d.filename, d.media_type, d.content)
                                                 ORDER BY d.entry_id, d.document_id), '{}')
              INTO v_parts
              FROM @extschema@.document d
             WHERE d.customer_id = $2
               AND d.entry_id IN (SELECT l.entry_id FROM @extschema@.reminder_line l
                                   WHERE l.customer_id = $2 AND l.reminder_id = $3 AND l.dunned);
        END IF;
    ELSIF kind = 'message' THEN
        SELECT g.subject, g.body, g.language INTO v_subject, v_body, v_lang
          FROM @extschema@.message g WHERE g.customer_id = $2 AND g.message_id = $3;
    END IF;
    v_domain := split_part(sender, '@', 2);
    -- the same for every attempt at one email: a server that got it twice
    -- (a crash between its reply and our commit) can drop the second
    message_id := '<dunning.' || left(kind, 1) || $3 || '.'
                  || md5(kind || ':' || $2 || ':' || $3) || '@' || v_domain || '>';
    v_boundary := 'dunning-' || md5(message_id);
    mime := 'Date: ' || to_char(v_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS') || E' +0000\r\n'
         || 'From: ' || @extschema@._mime_words(k.name) || ' <' || sender || E'>\r\n'
         || CASE WHEN cardinality("to") > 0 THEN 'To: ' || array_to_string("to", E',\r\n ') || E'\r\n' ELSE '' END
         || CASE WHEN cardinality(cc) > 0 THEN 'Cc: ' || array_to_string(cc, E',\r\n ') || E'\r\n' ELSE '' END
         || 'Subject: ' || @extschema@._mime_words(coalesce(v_subject, '')) || E'\r\n'
         || 'Message-ID: ' || message_id || E'\r\n'
         || CASE WHEN v_lang IS NOT NULL THEN 'Content-Language: ' || v_lang || E'\r\n' ELSE '' END
         || E'MIME-Version: 1.0\r\n';
    IF cardinality(v_parts) = 0 THEN
        mime := mime || E'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
             || @extschema@._mime_base64(convert_to(coalesce(v_body, ''), 'UTF8'));
    ELSE
        mime := mime || 'Content-Type: multipart/mixed; boundary="' || v_boundary || E'"\r\n\r\n'
             || '--' || v_boundary || E'\r\n'
             || E'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
             || @extschema@._mime_base64(convert_to(coalesce(v_body, ''), 'UTF8'))
             || (SELECT string_agg('--' || v_boundary || E'\r\n' || p, '') FROM unnest(v_parts) p)
             || '--' || v_boundary || E'--\r\n';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._email(text, text, bigint) IS
    'the email of a reminder or message: sender, recipients (dunning contacts, else customer.email; accounting contacts in copy) and MIME text';

-- private: hands one message to the SMTP server (src/smtp.c)
CREATE FUNCTION @extschema@._smtp_send(recipients text[], sender text, message text,
                                       OUT outcome text, OUT code integer, OUT reply text)
AS '$libdir/dunning_delivery', '_smtp_send'
LANGUAGE C VOLATILE;

-- private: the outcome of one attempt, on the reminder or message, with
-- the history line
CREATE FUNCTION @extschema@._email_outcome(kind text, customer_id text, id bigint,
                                           outcome text, code integer, reply text,
                                           message_id text, recipients text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_max integer := coalesce(nullif(current_setting('dunning.smtp_max_attempts', true), '')::integer, 5);
    v_delay integer := coalesce(nullif(current_setting('dunning.smtp_retry_minutes', true), '')::integer, 5);
    v_status text;
BEGIN
    -- one statement for the three tables an email comes from: the attempt
    -- counted; sent, failed (5xx, or the last attempt) or queued again after
    -- a growing delay (the retry delay, then twice it, four times ...)
    EXECUTE format($q$
        UPDATE @extschema@.%1$I x
           SET attempts = x.attempts + 1,
               status = CASE WHEN $1 = 'sent' THEN 'sent'
                             WHEN $1 = 'permanent' OR x.attempts + 1 >= $2 THEN 'failed'
                             ELSE 'queued' END,
               sent_at = CASE WHEN $1 = 'sent' THEN clock_timestamp() END,
               smtp_reply = $3,
               smtp_message_id = CASE WHEN $1 = 'sent' THEN $4 END,
               last_error = CASE WHEN $1 <> 'sent' THEN $3 END,
               next_attempt_at = CASE WHEN $1 NOT IN ('sent', 'permanent') AND x.attempts + 1 < $2
                                      THEN clock_timestamp()
                                           + make_interval(mins => $5 * (2 ^ least(x.attempts, 16))::integer) END
         WHERE %2$s
        RETURNING x.status$q$,
        kind,
        CASE kind WHEN 'reminder' THEN 'x.customer_id = $6 AND x.reminder_id = $7'
                  WHEN 'message' THEN 'x.customer_id = $6 AND x.message_id = $7'
                  ELSE 'x.digest_id = $7' END)
      INTO v_status
      USING outcome, v_max, reply, message_id, v_delay, $2, $3;
    IF v_status <> 'queued' AND kind <> 'digest' THEN     -- a summary has no customer's history
        PERFORM @extschema@._history($2, 'email',
                   format('%s %s %s to %s: %s', kind, $3,
                          CASE v_status WHEN 'sent' THEN 'emailed' ELSE 'failed' END,
                          array_to_string(recipients, ', '), reply),
                   jsonb_build_object(kind || '_id', $3, 'status', v_status, 'code', code,
                                      'message_id', CASE WHEN v_status = 'sent' THEN message_id END));
    END IF;
END
$$;

-- private: an email with no address becomes a letter, in the next print
-- batch (a summary whose manager has no valid address is failed)
CREATE FUNCTION @extschema@._email_to_letter(kind text, customer_id text, id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind = 'digest' THEN
        UPDATE @extschema@.digest g SET status = 'failed', last_error = 'the credit manager has no valid email address'
         WHERE g.digest_id = $3;
        RETURN;
    END IF;
    IF kind = 'reminder' THEN
        UPDATE @extschema@.reminder r
           SET channel = 'letter', status = 'issued',
               last_error = 'no email address: printed instead', next_attempt_at = NULL
         WHERE r.customer_id = $2 AND r.reminder_id = $3;
    ELSE
        UPDATE @extschema@.message g
           SET channel = 'letter',
               last_error = 'no email address: printed instead', next_attempt_at = NULL
         WHERE g.customer_id = $2 AND g.message_id = $3;
    END IF;
    PERFORM @extschema@._history($2, 'email',
               format('%s %s has no email address (no dunning contact, no customer.email): it goes to the next print batch',
                      kind, $3),
               jsonb_build_object(kind || '_id', $3, 'channel', 'letter'));
END
$$;

-- Sends the emails waiting in the outbox, oldest first, one transaction
-- each.  No SET clause: a procedure that commits cannot have one, so every
-- name is qualified.
CREATE PROCEDURE @extschema@.send_outbox(max_messages integer DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    v_kind text;
    v_customer text;
    v_id bigint;
    e record;
    s record;
    v_sent integer := 0;
    v_failed integer := 0;
    v_retry integer := 0;
    v_letters integer := 0;
    v_done integer := 0;
    v_down boolean := false;
BEGIN
    IF max_messages IS NOT NULL AND max_messages OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'max_messages must not be negative'
            USING ERRCODE = '22023', DETAIL = 'NULL sends every email due.';
    END IF;
    -- load dunning.so, which defines the settings read below
    PERFORM @extschema@.as_of();
    IF COALESCE(pg_catalog.current_setting('dunning.smtp_url', true), '') OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'dunning.smtp_url is not set'
            USING ERRCODE = '55000', DETAIL = 'send_outbox sends through the SMTP server of this setting.',
                  HINT = 'ALTER SYSTEM SET dunning.smtp_url = ''smtp://mail.example.com:25''; SELECT pg_reload_conf();';
    END IF;
    LOOP
        EXIT WHEN v_down OR (max_messages IS NOT NULL AND v_done OPERATOR(pg_catalog.>=) max_messages);
        v_kind := 'reminder';
        SELECT r.customer_id, r.reminder_id INTO v_customer, v_id
          FROM @extschema@.reminder r
         WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.channel OPERATOR(pg_catalog.=) 'email'
           AND (r.next_attempt_at IS NULL OR r.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
         ORDER BY r.created_at, r.customer_id, r.reminder_id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            v_kind := 'message';
            SELECT g.customer_id, g.message_id INTO v_customer, v_id
              FROM @extschema@.message g
             WHERE g.status OPERATOR(pg_catalog.=) 'queued' AND g.channel OPERATOR(pg_catalog.=) 'email'
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
             ORDER BY g.created_at, g.customer_id, g.message_id
             LIMIT 1
               FOR UPDATE SKIP LOCKED;
        END IF;
        IF NOT FOUND THEN
            -- the credit managers' summaries of the day
            v_kind := 'digest';
            SELECT g.manager_id, g.digest_id INTO v_customer, v_id
              FROM @extschema@.digest g
             WHERE g.status OPERATOR(pg_catalog.=) 'queued'
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
             ORDER BY g.created_at, g.digest_id
             LIMIT 1
               FOR UPDATE SKIP LOCKED;
            EXIT WHEN NOT FOUND;
        END IF;
        v_done := v_done OPERATOR(pg_catalog.+) 1;
        BEGIN
            e := @extschema@._email(v_kind, v_customer, v_id);
            IF pg_catalog.cardinality(e."to") OPERATOR(pg_catalog.=) 0 THEN
                PERFORM @extschema@._email_to_letter(v_kind, v_customer, v_id);
                v_letters := v_letters OPERATOR(pg_catalog.+) 1;
            ELSE
                s := @extschema@._smtp_send(e."to" OPERATOR(pg_catalog.||) e.cc, e.sender, e.mime);
                PERFORM @extschema@._email_outcome(v_kind, v_customer, v_id, s.outcome, s.code, s.reply,
                                                   e.message_id, e."to" OPERATOR(pg_catalog.||) e.cc);
                IF s.outcome OPERATOR(pg_catalog.=) 'sent' THEN
                    v_sent := v_sent OPERATOR(pg_catalog.+) 1;
                ELSIF s.outcome OPERATOR(pg_catalog.=) 'permanent' THEN
                    v_failed := v_failed OPERATOR(pg_catalog.+) 1;
                ELSE
                    v_retry := v_retry OPERATOR(pg_catalog.+) 1;
                    -- no server reply at all: the server is down, stop here;
                    -- the other emails stay queued as they were
                    v_down := s.code IS NULL;
                END IF;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- the email could not be written (no company, no sender, a
            -- letter that fails): an attempt, with the error
            PERFORM @extschema@._email_outcome(v_kind, v_customer, v_id, 'temporary', NULL,
                                               SQLSTATE OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) SQLERRM,
                                               NULL, '{}');
            v_retry := v_retry OPERATOR(pg_catalog.+) 1;
        END;
        COMMIT;
    END LOOP;
    RAISE NOTICE 'send_outbox: % sent, % failed, % to try again, % without address (to the print batch)%',
        v_sent, v_failed, v_retry, v_letters,
        CASE WHEN v_down THEN '; stopped: the SMTP server did not answer' ELSE '' END;
END
$$;
COMMENT ON PROCEDURE @extschema@.send_outbox(integer) IS
    'sends the queued emails (reminders, messages, the credit managers'' summaries) through dunning.smtp_url, committing after each; outcomes on the reminder, message or digest';

-- Sending is for the roles the administrator chooses (README "Delivery",
-- privileges): whoever may call _smtp_send may send any mail through the
-- server of dunning.smtp_url.
REVOKE ALL ON FUNCTION @extschema@._smtp_send(text[], text, text) FROM PUBLIC;

-- reading per company (company.sql, dashboard.sql, kpi)
-- The company of every customer: its own, else the only one there is
-- (NULL while there are several and it has none).  Join it to read any view
-- with a customer_id per company.
CREATE VIEW @extschema@.customer_company WITH (security_invoker = true) AS
SELECT c.customer_id,
       coalesce(c.company_id,
                (SELECT min(k.company_id) FROM @extschema@.company k
                  HAVING count(*) OPERATOR(pg_catalog.=) 1)) AS company_id
  FROM @extschema@.customer c;
COMMENT ON VIEW @extschema@.customer_company IS
    'the company of each customer (customer.company_id, else the only company); join it to read a view per company';

-- The dashboard per company (customer_company) and currency: the same
-- measures, for a database where several companies dun their customers.
CREATE FUNCTION @extschema@.dashboard_by_company(as_of date)
RETURNS TABLE (
    company_id          text,
    currency            text,
    receivables         numeric,
    not_due             numeric,
    overdue             numeric,
    unapplied           numeric,
    balance             numeric,
    overdue_pct         numeric,
    customers           bigint,
    late_customers      bigint,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    max_days_overdue    integer,
    as_of               date,
    customers_on_hold   bigint,
    exposure_over_limit numeric
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
WITH s AS MATERIALIZED (
    SELECT cc.company_id, o.currency,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue IS NOT NULL), 0) AS receivables,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue <= 0), 0) AS not_due,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue > 0), 0) AS overdue,
           coalesce(sum(o.open_amount) FILTER (WHERE o.days_overdue IS NULL), 0) AS unapplied,
           count(DISTINCT o.customer_id) AS customers,
           count(DISTINCT o.customer_id) FILTER (WHERE o.days_overdue > 0) AS late_customers,
           count(*) AS open_items,
           count(*) FILTER (WHERE o.days_overdue > 0) AS overdue_items,
           min(o.due_date) FILTER (WHERE o.days_overdue > 0) AS oldest_due_date,
           max(o.days_overdue) FILTER (WHERE o.days_overdue > 0) AS max_days_overdue
      FROM @extschema@.open_items($1) o
      JOIN @extschema@.customer_company cc ON cc.customer_id = o.customer_id
     GROUP BY cc.company_id, o.currency
), h AS MATERIALIZED (
    SELECT cc.company_id, cs.currency,
           count(DISTINCT cs.customer_id) FILTER (WHERE cs.hold) AS customers_on_hold,
           sum(greatest(cs.exposure - cs.credit_limit, 0)) AS exposure_over_limit
      FROM @extschema@.credit_status($1) cs
      JOIN @extschema@.customer_company cc ON cc.customer_id = cs.customer_id
     GROUP BY cc.company_id, cs.currency
)
SELECT s.company_id, s.currency, s.receivables, s.not_due, s.overdue, s.unapplied,
       s.receivables + s.unapplied,
       round(100 * s.overdue / nullif(s.receivables, 0), 1),
       s.customers, s.late_customers, s.open_items, s.overdue_items,
       s.oldest_due_date, s.max_days_overdue, $1,
       coalesce(h.customers_on_hold, 0), coalesce(h.exposure_over_limit, 0)
  FROM s
  LEFT JOIN h ON h.company_id IS NOT DISTINCT FROM s.company_id AND h.currency = s.currency
 ORDER BY s.company_id, s.currency;
END;
COMMENT ON FUNCTION @extschema@.dashboard_by_company(date) IS
    'the dashboard per company and currency on a day';

CREATE VIEW @extschema@.dashboard_by_company WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.dashboard_by_company(@extschema@.as_of());
COMMENT ON VIEW @extschema@.dashboard_by_company IS
    'the dashboard per company and currency as of dunning.as_of()';

-------------------------------------------------------------------------------
-- The unattended day (README "A dunning day that runs itself"): level.auto,
-- the credit manager's language, the runs, their errors and the summaries;
-- daily_run (daily.sql).  An installment check completed before its day is
-- refused (_check_installment, above).
-------------------------------------------------------------------------------
ALTER TABLE @extschema@.level ADD COLUMN auto boolean NOT NULL DEFAULT true;
ALTER TABLE @extschema@.credit_manager
    ADD COLUMN language text NOT NULL DEFAULT 'en'
        CHECK (language OPERATOR(pg_catalog.~) '^[a-z]{2}([_-][A-Za-z]{2})?$');

-- One daily_run (daily.sql): when, as of which day, by whom, what each
-- step did and how many customers failed.
CREATE TABLE @extschema@.daily_run (
    daily_run_id        bigserial PRIMARY KEY,
    as_of               date NOT NULL,
    strategies          text[] NOT NULL,
    status              text NOT NULL DEFAULT 'running'
                        CHECK (status OPERATOR(pg_catalog.=) ANY ('{running,done}'::text[])),
    steps               jsonb NOT NULL DEFAULT '{}',
    errors              integer NOT NULL DEFAULT 0,
    started_at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at         timestamptz,
    started_by          text NOT NULL DEFAULT CURRENT_USER,
    CONSTRAINT daily_run_as_of_finite CHECK (pg_catalog.isfinite(as_of))
);
COMMENT ON TABLE @extschema@.daily_run IS 'one unattended dunning day (daily_run): its steps and how many customers failed';

-- A customer (or a step) a daily_run could not do.
CREATE TABLE @extschema@.daily_run_error (
    daily_run_id        bigint NOT NULL
                        REFERENCES @extschema@.daily_run ON DELETE CASCADE,
    error_id            bigserial NOT NULL,
    customer_id         text,              -- NULL: the step, not one customer
    step                text NOT NULL,
    sqlstate            text NOT NULL,
    message             text NOT NULL,
    detail              text,
    at                  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (daily_run_id, error_id)
);
COMMENT ON TABLE @extschema@.daily_run_error IS 'what a daily_run could not do: the customer, the step, the SQLSTATE and message';

-- The summary email of a day for a credit manager, queued by daily_run and
-- sent by send_outbox.
CREATE TABLE @extschema@.digest (
    digest_id           bigserial PRIMARY KEY,
    manager_id          text NOT NULL
                        REFERENCES @extschema@.credit_manager ON UPDATE CASCADE ON DELETE CASCADE,
    as_of               date NOT NULL,
    daily_run_id        bigint REFERENCES @extschema@.daily_run ON DELETE SET NULL,
    language            text,
    subject             text NOT NULL,
    body                text NOT NULL,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status OPERATOR(pg_catalog.=) ANY ('{queued,sent,cancelled,failed}'::text[])),
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    next_attempt_at     timestamptz,
    smtp_reply          text,
    smtp_message_id     text,
    UNIQUE (manager_id, as_of)
);
COMMENT ON TABLE @extschema@.digest IS 'the summary email of a dunning day for a credit manager (daily_run), sent by send_outbox';
CREATE INDEX digest_queued_idx ON @extschema@.digest (created_at, digest_id)
    WHERE status OPERATOR(pg_catalog.=) 'queued';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_daily_run_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_error'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_error_error_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest_digest_id_seq'::regclass, '');

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

-------------------------------------------------------------------------------
-- Reading from BI tools (README "Reading dunning from BI tools and ERP
-- code"): min and max of buckets; open_items gains the bucket's label and
-- bounds at its end (your views on it stay).
-------------------------------------------------------------------------------
-- min and max, in the order of the btree class (BI tools aggregate buckets)

CREATE FUNCTION @extschema@._aging_smaller(@extschema@.aging, @extschema@.aging) RETURNS @extschema@.aging
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN $1 OPERATOR(@extschema@.<=) $2 THEN $1 ELSE $2 END;
CREATE FUNCTION @extschema@._aging_larger(@extschema@.aging, @extschema@.aging) RETURNS @extschema@.aging
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN $1 OPERATOR(@extschema@.>=) $2 THEN $1 ELSE $2 END;
CREATE AGGREGATE @extschema@.min(@extschema@.aging) (
    SFUNC = @extschema@._aging_smaller, STYPE = @extschema@.aging,
    COMBINEFUNC = @extschema@._aging_smaller, SORTOP = OPERATOR(@extschema@.<), PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.max(@extschema@.aging) (
    SFUNC = @extschema@._aging_larger, STYPE = @extschema@.aging,
    COMBINEFUNC = @extschema@._aging_larger, SORTOP = OPERATOR(@extschema@.>), PARALLEL = SAFE
);

-- The view adds, for BI tools, the bucket's label (in the language of the
-- setting dunning.language) and its first and last day as integers: a
-- tool filters and groups on those without knowing the type dunning.aging.
CREATE OR REPLACE VIEW @extschema@.open_items WITH (security_invoker = true) AS
    SELECT o.*,
           @extschema@.label(o.bucket, coalesce(nullif(pg_catalog.current_setting('dunning.language', true), ''), 'en'))
               AS bucket_label,
           @extschema@.lower(o.bucket) AS bucket_from,
           @extschema@.upper(o.bucket) AS bucket_to
      FROM @extschema@.open_items(@extschema@.as_of()) o;
COMMENT ON VIEW @extschema@.open_items IS
    'open entries as of dunning.as_of(), with days overdue, bucket, its label (dunning.language) and its first and last day';

-------------------------------------------------------------------------------
-- A customer's id no longer cascades to its rows (src/schema.sql): the key
-- a distributed ledger is kept by cannot be updated on Citus, so no table
-- has ON UPDATE CASCADE to customer any more.  A rename is refused while
-- the customer has rows (23503, the foreign key's own error).

ALTER TABLE @extschema@.entry DROP CONSTRAINT entry_customer_id_fkey,
    ADD CONSTRAINT entry_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.lettering DROP CONSTRAINT lettering_customer_id_fkey,
    ADD CONSTRAINT lettering_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.reminder DROP CONSTRAINT reminder_customer_id_fkey,
    ADD CONSTRAINT reminder_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.promise DROP CONSTRAINT promise_customer_id_fkey,
    ADD CONSTRAINT promise_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.payment_plan DROP CONSTRAINT payment_plan_customer_id_fkey,
    ADD CONSTRAINT payment_plan_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.action DROP CONSTRAINT action_customer_id_fkey,
    ADD CONSTRAINT action_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.activity DROP CONSTRAINT activity_customer_id_fkey,
    ADD CONSTRAINT activity_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;
ALTER TABLE @extschema@.message DROP CONSTRAINT message_customer_id_fkey,
    ADD CONSTRAINT message_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES @extschema@.customer;


-------------------------------------------------------------------------------
-- Scale-out on Citus (SPEC 11, README "Outgrowing one server")
--
-- dunning.distribute() turns an installed dunning into a distributed one on
-- a Citus coordinator: the configuration tables become reference tables
-- (a copy on every node), every per-customer table (_customer_tables())
-- becomes a table distributed by customer_id and co-located with customer,
-- so that one customer's rows are all on one node, and the functions that
-- work on one customer are registered with Citus to run on that node.
-- Nothing of it runs on a server without Citus.
-------------------------------------------------------------------------------

-- the configuration tables: small, read by every customer's work
CREATE FUNCTION @extschema@._reference_tables() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT '{policy,level,level_amount,holiday,company,credit_manager,template,reference_rate,row_security,run,daily_run,daily_run_error,digest}'::pg_catalog.text[]
$$;

-- the functions whose first argument is one customer, and Citus may run on
-- the node that holds it.  Not those that read the session's day
-- (dunning.as_of(): log_contact, create_payment_plan, can_ship): on the
-- customer's node they would read that node's settings, not the caller's;
-- they run on the coordinator, each of their statements on the shard.
CREATE FUNCTION @extschema@._customer_functions() RETURNS pg_catalog.regprocedure[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT pg_catalog.array_agg(p.oid::pg_catalog.regprocedure ORDER BY p.oid)
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND p.proname OPERATOR(pg_catalog.=) ANY ('{letter,unletter,letter_pdf}'::pg_catalog.name[])
   AND p.pronargs OPERATOR(pg_catalog.>) 0
   AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'text'::pg_catalog.regtype
$$;

-- the statement that puts the extension's sequences of a node in the
-- node's range of ids (distribute())
CREATE FUNCTION @extschema@._sequence_range_command() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
SELECT $c$DO $d$
DECLARE
    g bigint := (SELECT groupid FROM pg_catalog.pg_dist_local_group);
    s record;
BEGIN
    FOR s IN SELECT q.seqrelid::pg_catalog.regclass AS seq, q.seqmin, q.seqmax
               FROM pg_catalog.pg_sequence q
               JOIN pg_catalog.pg_class c ON c.oid = q.seqrelid
              WHERE c.relnamespace = '@extschema@'::pg_catalog.regnamespace
    LOOP
        CONTINUE WHEN s.seqmin = GREATEST(g << 48, 1) AND s.seqmax = ((g + 1) << 48) - 1;
        IF g = 0 THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MAXVALUE %s', s.seq, ((g + 1) << 48) - 1);
        ELSE
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START %s RESTART',
                                      s.seq, g << 48, ((g + 1) << 48) - 1, g << 48);
        END IF;
    END LOOP;
END
$d$ $c$
$fn$;

-- the statement that gives a node's copies of the extension's sequences
-- the privileges of the coordinator's (distribute()): Citus carries no
-- GRANT ... ON SEQUENCE to the workers, where a role's lettering takes
-- the ids of the rows it writes (the allocations of auto_letter() and
-- letter(), a write-off entry) from the node's copy
CREATE FUNCTION @extschema@._sequence_grants_command() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
SELECT pg_catalog.format($c$DO $d$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::pg_catalog.regclass AS seq, a.grantee
               FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
              WHERE c.relkind = 'S' AND c.relnamespace = '@extschema@'::pg_catalog.regnamespace
                AND a.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SEQUENCE %%s FROM %%s', r.seq,
                                  CASE WHEN r.grantee = 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.grantee)) END);
    END LOOP;
    %s
END
$d$$c$,
    pg_catalog.string_agg(pg_catalog.format('GRANT %s ON SEQUENCE %I.%I TO %s%s;', a.privilege_type,
                                            n.nspname, c.relname,
                                            CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                                 ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                                            CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END),
                          ' ' ORDER BY c.relname, a.grantee, a.privilege_type))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace,
       pg_catalog.aclexplode(c.relacl) a
 WHERE c.relkind OPERATOR(pg_catalog.=) 'S'
   AND c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
   AND a.grantee OPERATOR(pg_catalog.<>) c.relowner
$fn$;

-- private: the policies of the workers' own copies of the tables, which
-- CREATE EXTENSION made there in their one-server form (subqueries): a
-- query that a C function or a policy test makes on a worker, for a role
-- subject to row security, reads them, and Citus refused it ("complex
-- joins are only supported when ...").  Set in their Citus form on every
-- worker, each in a transaction of its own: distribute() calls it before
-- it distributes the tables (once they are, its own transaction holds
-- them on the workers), or at a later call for a node added since.
CREATE FUNCTION @extschema@._citus_worker_policies() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_failed text;
BEGIN
    SELECT pg_catalog.string_agg(w.nodename || ':' || w.nodeport || ': ' || w.result, '; ') INTO v_failed
      FROM run_command_on_workers('SET citus.enable_ddl_propagation TO off; SELECT @extschema@._citus_policies()') w
     WHERE NOT w.success;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION 'the row security policies could not be set on every worker'
              USING ERRCODE = '55000', DETAIL = v_failed;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._citus_worker_policies() FROM PUBLIC;

-- private: is this ledger distributed (dunning.distribute() called on a
-- Citus coordinator)?  False on a server without Citus.
CREATE FUNCTION @extschema@._distributed() RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition
                    WHERE logicalrelid = '@extschema@.customer'::pg_catalog.regclass);
END
$$;

-- private: on a distributed ledger, the rest of the transaction over one
-- connection per node.  Citus refuses to write a reference table that
-- distributed tables refer to (run, daily_run) once the transaction has
-- read a distributed table over several connections; issuing and each
-- step of the daily run call this first.  Nothing on one server.
CREATE FUNCTION @extschema@._one_connection_per_node() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@._distributed() THEN
        PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    END IF;
END
$$;

CREATE FUNCTION @extschema@.distribute(shard_count integer DEFAULT NULL)
RETURNS TABLE (table_name pg_catalog.regclass, distribution text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fk record;
    v_fks text[] := '{}';
    v_triggers text[];
    v_truncate text[];
    t text;
    v_first boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'dunning.distribute() needs Citus'
              USING ERRCODE = '0A000',
                    DETAIL = 'The extension citus is not installed in this database: on a Citus coordinator, CREATE EXTENSION citus before CREATE EXTENSION dunning, then call dunning.distribute().';
    END IF;
    -- Citus makes the extension's tables on the workers, and distribute()
    -- changes them there, in transactions of their own, which do not see
    -- an extension created in this one (its keys then came twice: "constraint
    -- level_policy_id_fkey ... already exists")
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension x
                WHERE x.extname = 'dunning'
                  AND x.xmin = pg_catalog.xid(pg_catalog.pg_current_xact_id_if_assigned())) THEN
        RAISE EXCEPTION 'dunning.distribute() cannot run in the transaction that created the extension'
              USING ERRCODE = '55000',
                    DETAIL = 'Commit CREATE EXTENSION dunning first, then call dunning.distribute() in a transaction of its own.';
    END IF;
    IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
        RAISE EXCEPTION 'shard_count % is out of range', shard_count
              USING ERRCODE = '22023', DETAIL = 'A table has 1 to 64000 shards; NULL takes citus.shard_count.';
    END IF;
    -- the views reach the shards through dunning's planner hook, which must
    -- be loaded before any query of a session, after Citus's
    IF NOT 'dunning' = ANY (pg_catalog.string_to_array(
               pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
        RAISE EXCEPTION 'dunning.distribute() needs dunning in shared_preload_libraries'
              USING ERRCODE = '55000',
                    DETAIL = 'On a distributed ledger the views reach the shards through dunning''s planner hook: set shared_preload_libraries = ''citus,dunning'' on the coordinator and every worker, restart them, then call dunning.distribute().';
    END IF;
    IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c
                                    WHERE c.oid = '@extschema@.customer'::regclass), 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to distribute dunning'
              USING ERRCODE = '42501',
                    DETAIL = 'Only the owner of the extension''s tables (the role that created the extension) or a superuser may distribute them.';
    END IF;

    v_first := NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = '@extschema@.customer'::regclass);
    IF v_first THEN
        -- Citus turns a local table that references a reference table into
        -- a table of its own kind, dropping and re-creating the views on it,
        -- which an extension's views do not allow: the foreign keys between
        -- the extension's tables go first and come back once every table
        -- has its place.
        PERFORM @extschema@._citus_policies();
        PERFORM @extschema@._citus_worker_policies();
        FOR v_fk IN
            SELECT k.conrelid::regclass AS tab, k.conname, pg_catalog.pg_get_constraintdef(k.oid) AS def
              FROM pg_catalog.pg_constraint k
             WHERE k.contype = 'f'
               AND k.connamespace = '@extschema@'::regnamespace
             ORDER BY k.conrelid, k.conname
        LOOP
            -- allocation's three keys only order pg_dump's data (schema.sql:
            -- their triggers are disabled, allocation.c keeps the links);
            -- a Citus cluster is not restored from one dump, and on the
            -- shards their triggers would run
            EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', v_fk.tab, v_fk.conname);
            -- and on the workers: CREATE EXTENSION made the tables there
            -- too, and they become the shells of the distributed tables,
            -- where the key put back below is added again
            PERFORM run_command_on_workers(
                        pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', v_fk.tab, v_fk.conname));
            CONTINUE WHEN v_fk.tab = '@extschema@.allocation'::regclass;
            v_fks := v_fks || pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_fk.tab, v_fk.conname, v_fk.def);
        END LOOP;
        -- the triggers keep counters and guards on the same customer's
        -- rows, which are on the same node (co-located)
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
        -- one connection a node: the foreign keys to reference tables ask it
        PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
        -- the rows already there go to the shards as they are: the row and
        -- statement triggers stand aside meanwhile, or the copy would run
        -- them as for new rows (a new entry is open for its whole amount, in
        -- no lettering group, never reminded; an allocation would be
        -- applied a second time); the TRUNCATE triggers, which Citus runs
        -- on the coordinator only, stand aside while the coordinator's own
        -- copy of the rows is emptied below
        SELECT pg_catalog.array_agg(pg_catalog.format('ALTER TABLE %s %%s TRIGGER %I', g.tgrelid::regclass, g.tgname)
                                    ORDER BY g.tgrelid, g.tgname) FILTER (WHERE g.tgtype & 32 = 0),
               pg_catalog.array_agg(pg_catalog.format('ALTER TABLE %s %%s TRIGGER %I', g.tgrelid::regclass, g.tgname)
                                    ORDER BY g.tgrelid, g.tgname) FILTER (WHERE g.tgtype & 32 <> 0)
          INTO v_triggers, v_truncate
          FROM pg_catalog.pg_trigger g
          JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
         WHERE c.relnamespace = '@extschema@'::regnamespace
           AND NOT g.tgisinternal AND g.tgenabled <> 'D';
        FOREACH t IN ARRAY coalesce(v_triggers, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'DISABLE');
        END LOOP;
        FOREACH t IN ARRAY @extschema@._reference_tables() LOOP
            PERFORM create_reference_table(pg_catalog.format('@extschema@.%I', t)::regclass);
        END LOOP;
        PERFORM create_distributed_table('@extschema@.customer', 'customer_id', shard_count => shard_count);
        FOREACH t IN ARRAY @extschema@._customer_tables() LOOP
            CONTINUE WHEN t = 'customer';
            PERFORM create_distributed_table(pg_catalog.format('@extschema@.%I', t)::regclass, 'customer_id',
                                             colocate_with => '@extschema@.customer');
        END LOOP;
        -- the coordinator's own copy of the rows, now in the shards, would
        -- only take space
        FOREACH t IN ARRAY coalesce(v_truncate, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'DISABLE');
        END LOOP;
        PERFORM truncate_local_data_after_distributing_table(pg_catalog.format('@extschema@.%I', n)::regclass)
           FROM pg_catalog.unnest(@extschema@._reference_tables() || @extschema@._customer_tables()) n;
        FOREACH t IN ARRAY coalesce(v_triggers, '{}') || coalesce(v_truncate, '{}') LOOP
            EXECUTE pg_catalog.format(t, 'ENABLE');
        END LOOP;
        FOREACH t IN ARRAY v_fks LOOP
            EXECUTE t;
        END LOOP;
        -- A call on its own is sent to the customer's node; one inside a
        -- transaction block runs here, each of its statements on the
        -- customer's shard.  Not forced into the node inside transaction
        -- blocks too: Citus 13.2 then refuses some statements about the
        -- customer (letter_pdf of a customer with no company among
        -- several: "queries must filter by the distribution argument").
        PERFORM create_distributed_function(f, '$1', colocate_with => '@extschema@.customer', force_delegation => false)
           FROM pg_catalog.unnest(@extschema@._customer_functions()) f;
        -- The privileges granted before: the workers' copies of the schema
        -- and tables came from CREATE EXTENSION there, without them (a
        -- manager's role read nothing on a shard: "permission denied for
        -- table credit_manager").  Granted again here, Citus sends each
        -- grant to every node and shard; a grant made after distribute()
        -- reaches them by itself.
        FOR v_fk IN
            SELECT pg_catalog.format('GRANT %s ON SCHEMA @extschema@ TO %s%s', a.privilege_type,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                          ELSE pg_catalog.quote_ident(a.grantee::regrole::text) END,
                                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS def
              FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
             WHERE n.nspname = '@extschema@' AND a.grantee <> n.nspowner
            UNION ALL
            SELECT pg_catalog.format('GRANT %s ON @extschema@.%I TO %s%s', a.privilege_type, c.relname,
                                     CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                          ELSE pg_catalog.quote_ident(a.grantee::regrole::text) END,
                                     CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
              FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
             WHERE c.oid = ANY (SELECT pg_catalog.format('@extschema@.%I', n)::regclass
                                  FROM pg_catalog.unnest(@extschema@._reference_tables()
                                                         || @extschema@._customer_tables()) n)
               AND a.grantee <> c.relowner
        LOOP
            EXECUTE v_fk.def;
        END LOOP;
    END IF;

    -- Each node's copy of the extension's sequences gives ids of its own:
    -- a function run on the node that holds the customer (a write-off
    -- entry of letter(), a plan of create_payment_plan()) takes them from
    -- that node's copy, which CREATE EXTENSION started at 1 everywhere.
    -- Node group g takes g * 2^48 to (g + 1) * 2^48 - 1 (the coordinator,
    -- group 0, from 1), as Citus does
    -- for the sequences it creates; a node added later gets its range at
    -- the next call.
    PERFORM run_command_on_workers(@extschema@._sequence_range_command());
    EXECUTE @extschema@._sequence_range_command();
    -- and the privileges granted on them, which Citus does not carry to
    -- the workers: at every call (README: call it again after a GRANT on
    -- the sequences)
    PERFORM run_command_on_workers(@extschema@._sequence_grants_command());

    -- a node added since the first call: the policies of its copies of the
    -- tables (below)
    IF NOT v_first THEN
        PERFORM @extschema@._citus_worker_policies();
    END IF;

    RETURN QUERY
    SELECT p.logicalrelid,
           CASE p.partmethod WHEN 'h' THEN 'distributed by customer_id' WHEN 'n' THEN 'reference' END
      FROM pg_dist_partition p
      JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
     WHERE c.relnamespace = '@extschema@'::regnamespace
     ORDER BY p.partmethod, c.relname;
END
$$;
COMMENT ON FUNCTION @extschema@.distribute(integer) IS
    'on a Citus coordinator: the configuration tables as reference tables, the per-customer tables distributed by customer_id';
REVOKE ALL ON FUNCTION @extschema@.distribute(integer) FROM PUBLIC;

-- private: the test of a table's policy.  On one server a row passes when
-- row security is off, when the user is a member of dunning_admin, or when
-- it is one of the user's customers: customer's own policy reads the
-- managers whose role the user is a member of, the other tables read
-- customer (so they follow it); each test is an init plan or a hashed
-- subplan, once a query.  On Citus (citus true, _citus_policies) the same
-- rule is written with the row tests below, because Citus refuses
-- subqueries in the policies of its tables.
CREATE FUNCTION @extschema@._policy_test(tab text, citus boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT CASE WHEN $2 THEN
           CASE $1 WHEN 'customer' THEN '@extschema@._rls_manager(manager_id)'
                   WHEN 'run' THEN 'started_by OPERATOR(pg_catalog.=) CURRENT_USER OR @extschema@._rls_all()'
                   ELSE '@extschema@._rls_customer(customer_id)' END
       ELSE
           pg_catalog.format('%s OR %s OR %s',
               $q$NOT EXISTS (SELECT 1 FROM @extschema@.row_security s WHERE s.enabled)$q$,
               $q$EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                         WHERE r.rolname OPERATOR(pg_catalog.=) 'dunning_admin'
                                           AND pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$,
               CASE $1 WHEN 'customer' THEN
                   $q$manager_id IN (SELECT m.manager_id FROM @extschema@.credit_manager m
                                    JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) m.role_name
                                   WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER'))$q$
                   -- a run is seen by the role that started it
                   WHEN 'run' THEN
                   $q$started_by OPERATOR(pg_catalog.=) CURRENT_USER$q$
                   ELSE
                   $q$customer_id IN (SELECT c.customer_id FROM @extschema@.customer c)$q$ END)
       END;
END;

-- The row tests of the policies on Citus (each shard applies the policy on
-- its node): the rule of _policy_test, as C functions the shards call once
-- a row (src/security.c).  What does not depend on the row (row security
-- on, the user's managers, their customers) is read once a scan: as SQL
-- functions with a query a row they cost 0.3 ms a customer and 0.8 ms an
-- entry on two workers.  Their reads are queries inside a shard's query,
-- hence the permission for them (set in the library).
CREATE FUNCTION @extschema@._rls_all() RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_all'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._rls_manager(manager_id text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_manager'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._rls_customer(customer_id text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_rls_customer'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the policies in their Citus form (distribute.sql's
-- distribute() calls it)
CREATE FUNCTION @extschema@._citus_policies() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t text;
    v_test text;
BEGIN
    FOREACH t IN ARRAY @extschema@._customer_tables() || 'run'::text LOOP
        v_test := @extschema@._policy_test(t, true);
        EXECUTE pg_catalog.format('DROP POLICY IF EXISTS dunning_manager ON @extschema@.%I', t);
        EXECUTE pg_catalog.format('CREATE POLICY dunning_manager ON @extschema@.%I USING (%s) WITH CHECK (%s)',
                                  t, v_test, v_test);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION @extschema@._citus_policies() FROM PUBLIC;

-- private: the aged balance as one SQL query grouped by customer and
-- currency, the same lines as aged_balance's pass in C.  src/distribute.c
-- puts it in place of aged_balance(...) on a distributed ledger, where it
-- is computed on each shard (the pass in C would read every entry into the
-- coordinator).
CREATE FUNCTION @extschema@._aged_balance_sql(as_of date, customer_ids text[])
RETURNS TABLE (
    customer_id         text,
    name                text,
    manager_id          text,
    currency            text,
    not_due             numeric,
    overdue_1_30        numeric,
    overdue_31_60       numeric,
    overdue_61_90       numeric,
    overdue_91_120      numeric,
    overdue_over_120    numeric,
    unapplied           numeric,
    overdue             numeric,
    total               numeric,
    open_items          bigint,
    overdue_items       bigint,
    oldest_due_date     date,
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
-- a credit is an open amount below zero; a debit's days overdue decide its
-- bucket (not due below one day)
SELECT c.customer_id, c.name, c.manager_id, o.currency,
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days < 1), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 1 AND 30), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 31 AND 60), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 61 AND 90), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days BETWEEN 91 AND 120), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days > 120), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount < 0), 0),
       coalesce(sum(o.open_amount) FILTER (WHERE o.open_amount > 0 AND o.days >= 1), 0),
       sum(o.open_amount),
       count(*),
       count(*) FILTER (WHERE o.open_amount > 0 AND o.days >= 1),
       min(o.due_date) FILTER (WHERE o.open_amount > 0 AND o.days >= 1),
       @extschema@._as_of_arg($1)
  FROM (SELECT i.customer_id, i.currency, i.open_amount, i.due_date,
               @extschema@._as_of_arg($1) - i.due_date AS days
          FROM @extschema@.open_items($1) i
         WHERE i.open_amount <> 0) o
  JOIN @extschema@.customer c ON c.customer_id = o.customer_id
 WHERE $2 IS NULL OR o.customer_id = ANY ($2)
 -- the customer's key from customer itself: Citus keeps a UNION of this
 -- with other lines on the shards only then (credit_status)
 GROUP BY c.customer_id, c.name, c.manager_id, o.currency;
END;

-- 0.5.0's open entries, replaced by _open_entries_on (above): nothing
-- reads it any more
DROP FUNCTION @extschema@._open_entries(date);
