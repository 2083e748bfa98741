
-------------------------------------------------------------------------------
-- Follow-up: item status, customer blocks, the customer's history
-------------------------------------------------------------------------------

-- private: a customer named by a function exists
CREATE FUNCTION @extschema@._check_customer(customer_id text)
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

CREATE FUNCTION @extschema@.set_status(customer_id text, entry_ids bigint[], status text,
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

CREATE FUNCTION @extschema@.block(customer_id text, until date, reason text)
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
COMMENT ON FUNCTION @extschema@.block(text, date, text) IS
    'blocks a customer''s reminders until a day, with a reason; NULL until unblocks';

-- The history of each customer: what was done (reminders, cancellations,
-- status changes, blocks, ...) and the lettering groups, newest first.
CREATE VIEW @extschema@.customer_history WITH (security_invoker = true) AS
SELECT h.customer_id, h.at, h.kind, h.summary, h.refs, h."by"
  FROM (SELECT a.customer_id, a.at, a.kind, a.summary, a.refs, a."by", a.activity_id AS seq
          FROM @extschema@.activity a
        UNION ALL
        SELECT l.customer_id, l.created_at, 'lettering',
               pg_catalog.format('%s %s (%s%s)',
                                 CASE WHEN l.partial THEN 'partly lettered' ELSE 'lettered' END,
                                 l.letter_code, l.strategy,
                                 CASE WHEN l.writeoff OPERATOR(pg_catalog.<>) 0
                                      THEN ', write-off ' OPERATOR(pg_catalog.||) l.writeoff::text
                                      ELSE '' END),
               pg_catalog.jsonb_build_object('letter_code', l.letter_code, 'partial', l.partial),
               l.lettered_by, 0
          FROM @extschema@.lettering l) h
 ORDER BY h.customer_id, h.at DESC, h.seq DESC;
COMMENT ON VIEW @extschema@.customer_history IS
    'the history of each customer, newest first: reminders, cancellations, status changes, blocks, lettering, with who did it';

-- private: the customer's open debits among entry_ids, or, when NULL, its
-- overdue open debits on the day; an error names an entry that is not one
CREATE FUNCTION @extschema@._contact_items(customer_id text, entry_ids bigint[], as_of date)
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

CREATE FUNCTION @extschema@.log_contact(customer_id text, channel text, note text,
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

-- private: items a promise or a payment plan held (status `held`) are open
-- again, and dunned at their level if still open
CREATE FUNCTION @extschema@._reopen(customer_id text, entry_ids bigint[], held text)
RETURNS void
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    UPDATE @extschema@.entry e SET status = 'open', status_note = NULL
     WHERE e.customer_id = $1
       AND e.entry_id = ANY ($2)
       AND e.status = $3;
END;

-- private: a promise check settles its promise: kept when the payments
-- lettered to its items by its day reach the amount, broken otherwise; its
-- items are no longer held
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

-- private: an installment check on a day: the installment is paid when the
-- payments lettered to the plan's items since it was agreed cover the
-- installments due so far; then the check moves to the next installment
-- (owned by `owner`), or the plan is completed.  Otherwise the installment
-- is missed: the plan is broken and its items are dunned again.
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

CREATE FUNCTION @extschema@.complete_action(customer_id text, action_id bigint, result text,
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

-- The follow-up schedule on a day: the open actions (calls, promise and
-- installment checks, tasks...) and the credit-insurer deadlines of insured
-- customers, with owner, amount and days late.
CREATE FUNCTION @extschema@.followup_schedule(as_of date)
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

CREATE VIEW @extschema@.followup_schedule WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.followup_schedule(@extschema@.as_of());
COMMENT ON VIEW @extschema@.followup_schedule IS
    'the follow-up schedule as of dunning.as_of(): per owner, what is late, due today and upcoming';

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

CREATE FUNCTION @extschema@.kpi(from_date date, to_date date, currency text)
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

CREATE FUNCTION @extschema@.create_payment_plan(customer_id text, entry_ids bigint[],
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

CREATE FUNCTION @extschema@.mark_message_sent(customer_id text, message_id bigint,
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
