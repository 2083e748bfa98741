
-------------------------------------------------------------------------------
-- Item status, reminder proposal (README "Escalation", "Charges", "Views and
-- their function twins")
--
-- _items(as_of, ...) judges every open entry once: its hold (an item
-- exclusion), its escalation (src/escalation.c), the level it would be
-- dunned at, and, per customer and currency, the letter it would be on.
-- item_status, reminder_proposal_item, reminder_proposal and
-- issue_reminders read it.
-------------------------------------------------------------------------------

-- private: the open entries on a day, for the proposal: open_items'
-- columns that the judgement reads, and whether a letter charged the
-- compensation (the entry's counter).
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
CREATE FUNCTION @extschema@._judged(as_of date, force_level integer, reissue boolean,
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

-- private: every open entry on a day, judged with the other items of its
-- letter (one per customer and currency): the letter's level and overdue
-- total, whether it is sent, and the one reason of each item.
CREATE FUNCTION @extschema@._items(as_of date, force_level integer, reissue boolean,
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

-------------------------------------------------------------------------------
-- item_status: every open debit with the level it is due for, or the one
-- reason that holds it back, and that reason in a sentence.
-------------------------------------------------------------------------------

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

CREATE FUNCTION @extschema@.item_status(as_of date)
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

CREATE VIEW @extschema@.item_status WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.item_status(@extschema@.as_of());
COMMENT ON VIEW @extschema@.item_status IS
    'every open debit as of dunning.as_of(): next level, reason code and explanation';

-------------------------------------------------------------------------------
-- The proposal: the items of each letter to send, then the letters.
-------------------------------------------------------------------------------

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

-- private: the letter items, with interest and compensation, under the
-- options of issue_reminders
CREATE FUNCTION @extschema@._letter_items(as_of date, force_level integer, reissue boolean,
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

CREATE FUNCTION @extschema@.reminder_proposal_item(as_of date)
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

CREATE VIEW @extschema@.reminder_proposal_item WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.reminder_proposal_item(@extschema@.as_of());
COMMENT ON VIEW @extschema@.reminder_proposal_item IS
    'the items of each proposed letter as of dunning.as_of(); dunned items move to new_level';

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

CREATE FUNCTION @extschema@.reminder_proposal(as_of date)
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

CREATE VIEW @extschema@.reminder_proposal WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.reminder_proposal(@extschema@.as_of());
COMMENT ON VIEW @extschema@.reminder_proposal IS
    'one row per letter to send as of dunning.as_of(): level, channel, items, overdue total, fees, interest, compensation, total to pay';

-------------------------------------------------------------------------------
-- overdue_by_level and outbox
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.overdue_by_level(as_of date)
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

CREATE VIEW @extschema@.overdue_by_level WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.overdue_by_level(@extschema@.as_of());
COMMENT ON VIEW @extschema@.overdue_by_level IS
    'overdue items as of dunning.as_of() by currency and reminder level: customers, items, amount';

CREATE VIEW @extschema@.outbox WITH (security_invoker = true) AS
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
