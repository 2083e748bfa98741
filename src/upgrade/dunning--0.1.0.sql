-- dunning: accounts-receivable dunning inside PostgreSQL.
--
-- This install script is built by `make` from the files of src/, one per
-- concept, in the order of the Makefile's SQL_SOURCES.  Do not edit the
-- built dunning--X.Y.Z.sql; edit the sources.

\echo Use "CREATE EXTENSION dunning" to load this file. \quit

-------------------------------------------------------------------------------
-- The as-of date
-------------------------------------------------------------------------------

-- dunning.as_of(): the setting dunning.as_of (YYYY-MM-DD) when set, else
-- current_date.  Every view is computed as of this date.
CREATE FUNCTION @extschema@.as_of() RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_as_of'
    LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.as_of() IS
    'the as-of date of the dunning views: setting dunning.as_of, else current_date';

-- private: the as-of argument of a view's function twin, refused when NULL
CREATE FUNCTION @extschema@._as_of_arg(date) RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_as_of_arg'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- private: the form of an ISO 4217 currency code, for the tables' checks
CREATE FUNCTION @extschema@._is_currency(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_currency'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-------------------------------------------------------------------------------
-- The aging interval type dunning.aging (src/aging.c)
-------------------------------------------------------------------------------

CREATE TYPE @extschema@.aging;

CREATE FUNCTION @extschema@.aging_in(cstring) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_out(@extschema@.aging) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_recv(internal) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_send(@extschema@.aging) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.aging (
    INPUT = @extschema@.aging_in,
    OUTPUT = @extschema@.aging_out,
    RECEIVE = @extschema@.aging_recv,
    SEND = @extschema@.aging_send,
    INTERNALLENGTH = 8,
    ALIGNMENT = int4,
    STORAGE = plain
);

COMMENT ON TYPE @extschema@.aging IS
    'closed interval of whole days relative to a due date (1..30, 121.., ..0)';

-- functions

CREATE FUNCTION @extschema@.aging(lower integer, upper integer)
    RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME', 'aging_construct' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.aging(integer, integer) IS
    'aging interval from its first and last day, NULL meaning unbounded';

CREATE FUNCTION @extschema@.lower(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME', 'aging_lower' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.upper(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME', 'aging_upper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.default_scheme() RETURNS @extschema@.aging[]
    AS $$ SELECT '{..0,1..30,31..60,61..90,91..120,121..}'::@extschema@.aging[] $$
    LANGUAGE sql IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.default_scheme() IS
    'the buckets of the aged balance: not due, 1-30, 31-60, 61-90, 91-120, over 120 days';

CREATE FUNCTION @extschema@.bucket(days integer,
        scheme @extschema@.aging[] DEFAULT @extschema@.default_scheme())
    RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME', 'aging_bucket' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bucket(integer, @extschema@.aging[]) IS
    'the bucket of a scheme that holds a number of days';

CREATE FUNCTION @extschema@.label(@extschema@.aging, language text DEFAULT 'en')
    RETURNS text
    AS 'MODULE_PATHNAME', 'aging_label' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.label(@extschema@.aging, text) IS
    'name of an aging bucket in English or French: 1-30 days, over 120 days, not due';

CREATE FUNCTION @extschema@.days_overdue(due date, as_of date) RETURNS integer
    AS $$ SELECT $2 OPERATOR(pg_catalog.-) $1 $$
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.days_overdue(date, date) IS
    'days past the due date on a day: negative before it, 0 on it';

-- operator functions

CREATE FUNCTION @extschema@.aging_eq(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_ne(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_lt(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_le(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_gt(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_ge(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_cmp(@extschema@.aging, @extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_hash(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_hash_extended(@extschema@.aging, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contains_day(@extschema@.aging, integer) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_day_contained(integer, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contains(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contained(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_overlaps(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_to_int4range(@extschema@.aging) RETURNS int4range
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_from_int4range(int4range) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- operators

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR @extschema@.@> (
    LEFTARG = @extschema@.aging, RIGHTARG = integer,
    PROCEDURE = @extschema@.aging_contains_day,
    COMMUTATOR = OPERATOR(@extschema@.<@),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.<@ (
    LEFTARG = integer, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_day_contained,
    COMMUTATOR = OPERATOR(@extschema@.@>),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.@> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_contains,
    COMMUTATOR = OPERATOR(@extschema@.<@),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.<@ (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_contained,
    COMMUTATOR = OPERATOR(@extschema@.@>),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.&& (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_overlaps,
    COMMUTATOR = OPERATOR(@extschema@.&&),
    RESTRICT = areasel, JOIN = areajoinsel
);

-- operator classes

CREATE OPERATOR CLASS @extschema@.aging_ops
    DEFAULT FOR TYPE @extschema@.aging USING btree AS
        OPERATOR 1 @extschema@.< ,
        OPERATOR 2 @extschema@.<= ,
        OPERATOR 3 @extschema@.= ,
        OPERATOR 4 @extschema@.>= ,
        OPERATOR 5 @extschema@.> ,
        FUNCTION 1 @extschema@.aging_cmp(@extschema@.aging, @extschema@.aging);

CREATE OPERATOR CLASS @extschema@.aging_hash_ops
    DEFAULT FOR TYPE @extschema@.aging USING hash AS
        OPERATOR 1 @extschema@.= ,
        FUNCTION 1 @extschema@.aging_hash(@extschema@.aging),
        FUNCTION 2 @extschema@.aging_hash_extended(@extschema@.aging, bigint);

-- casts

CREATE CAST (@extschema@.aging AS int4range)
    WITH FUNCTION @extschema@.aging_to_int4range(@extschema@.aging);
CREATE CAST (int4range AS @extschema@.aging)
    WITH FUNCTION @extschema@.aging_from_int4range(int4range);

-------------------------------------------------------------------------------
-- Payment terms (src/terms.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.due_date(doc_date date, terms text,
        calendar text DEFAULT NULL)
    RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_due_date'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.due_date(date, text, text) IS
    'due date of a document under payment terms such as 30d, 45d+eom, eom+10d, 60d+nbd';

-------------------------------------------------------------------------------
-- Tables
--
-- Every per-customer table carries customer_id and has it first in its
-- primary key and unique constraints, so it can be distributed by customer.
-- Configuration tables are small.  Amounts are numeric: positive is a debit
-- (invoice, fee, interest), negative a credit (payment, credit note).
-- Columns marked "maintained" are written by the extension's triggers only.
-------------------------------------------------------------------------------

-- A dunning procedure.
CREATE TABLE @extschema@.policy (
    policy_id           text PRIMARY KEY,
    name                text NOT NULL,
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    grace_days          integer NOT NULL DEFAULT 0
                        CHECK (grace_days OPERATOR(pg_catalog.>=) 0),
    min_balance         numeric NOT NULL DEFAULT 0
                        CHECK (min_balance OPERATOR(pg_catalog.>=) 0),
    min_interval_days   integer NOT NULL DEFAULT 0
                        CHECK (min_interval_days OPERATOR(pg_catalog.>=) 0),
    allow_skip          boolean NOT NULL DEFAULT false,
    repeat_last         boolean NOT NULL DEFAULT false,
    statement           text NOT NULL DEFAULT 'overdue'
                        CHECK (statement OPERATOR(pg_catalog.=) 'overdue'
                               OR statement OPERATOR(pg_catalog.=) 'account'),
    excluded_sources    text[] NOT NULL DEFAULT '{}',
    excluded_methods    text[] NOT NULL DEFAULT '{}',
    interest_regime     text
                        CHECK (interest_regime OPERATOR(pg_catalog.=) ANY
                               ('{fr,eu,be,de,de_b2c,fixed}'::text[])),
    interest_rate       numeric
                        CHECK (interest_rate OPERATOR(pg_catalog.>=) 0),
    day_count           text NOT NULL DEFAULT 'act/365'
                        CHECK (day_count OPERATOR(pg_catalog.=) ANY
                               ('{act/365,act/360,30/360}'::text[])),
    compensation        numeric NOT NULL DEFAULT 0
                        CHECK (compensation OPERATOR(pg_catalog.>=) 0),
    post_charges        boolean NOT NULL DEFAULT false,
    insurer_notice_days integer
                        CHECK (insurer_notice_days OPERATOR(pg_catalog.>) 0),
    calendar            text,
    CHECK (interest_regime IS DISTINCT FROM 'fixed' OR interest_rate IS NOT NULL)
);
COMMENT ON TABLE @extschema@.policy IS 'a dunning procedure: thresholds, exclusions, interest and charges';

-- One level of a policy.
CREATE TABLE @extschema@.level (
    policy_id           text NOT NULL
                        REFERENCES @extschema@.policy ON UPDATE CASCADE ON DELETE CASCADE,
    level               integer NOT NULL CHECK (level OPERATOR(pg_catalog.>=) 1),
    min_days            integer NOT NULL,
    min_interval_days   integer NOT NULL DEFAULT 0
                        CHECK (min_interval_days OPERATOR(pg_catalog.>=) 0),
    min_amount          numeric NOT NULL DEFAULT 0
                        CHECK (min_amount OPERATOR(pg_catalog.>=) 0),
    fee                 numeric NOT NULL DEFAULT 0
                        CHECK (fee OPERATOR(pg_catalog.>=) 0),
    interest            boolean NOT NULL DEFAULT false,
    channel             text NOT NULL DEFAULT 'letter'
                        CHECK (channel OPERATOR(pg_catalog.=) ANY
                               ('{letter,email,phone,legal}'::text[])),
    template            text,
    final               boolean NOT NULL DEFAULT false,
    PRIMARY KEY (policy_id, level)
);
COMMENT ON TABLE @extschema@.level IS 'one reminder level of a policy (R1, R2, R3, formal notice)';

-- A level's minimum and fee in another currency.
CREATE TABLE @extschema@.level_amount (
    policy_id           text NOT NULL,
    level               integer NOT NULL,
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    min_amount          numeric NOT NULL DEFAULT 0
                        CHECK (min_amount OPERATOR(pg_catalog.>=) 0),
    fee                 numeric NOT NULL DEFAULT 0
                        CHECK (fee OPERATOR(pg_catalog.>=) 0),
    PRIMARY KEY (policy_id, level, currency),
    FOREIGN KEY (policy_id, level) REFERENCES @extschema@.level
        ON UPDATE CASCADE ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.level_amount IS 'minimum and fee of a level in another currency';

-- A non-business day of a calendar.
CREATE TABLE @extschema@.holiday (
    calendar            text NOT NULL,
    day                 date NOT NULL,
    name                text,
    PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE @extschema@.holiday IS 'non-business days of a calendar, used by nbd in payment terms';

-- A person who owns customers.
CREATE TABLE @extschema@.credit_manager (
    manager_id          text PRIMARY KEY,
    name                text NOT NULL,
    email               text,
    role_name           text UNIQUE
);
COMMENT ON TABLE @extschema@.credit_manager IS 'a credit manager; role_name maps a database role for row security';

-- A payer account.
CREATE TABLE @extschema@.customer (
    customer_id         text PRIMARY KEY,
    name                text NOT NULL,
    email               text,
    phone               text,
    language            text NOT NULL DEFAULT 'en'
                        CHECK (language OPERATOR(pg_catalog.~) '^[a-z]{2}([_-][A-Za-z]{2})?$'),
    policy_id           text REFERENCES @extschema@.policy ON UPDATE CASCADE,
    manager_id          text REFERENCES @extschema@.credit_manager ON UPDATE CASCADE,
    terms               text,
    calendar            text,
    blocked_until       date,
    block_reason        text,
    is_consumer         boolean NOT NULL DEFAULT false,
    insured             boolean NOT NULL DEFAULT false,
    credit_limit        numeric CHECK (credit_limit OPERATOR(pg_catalog.>=) 0),
    reminder_count      integer NOT NULL DEFAULT 0,    -- maintained
    last_reminded_on    date,                          -- maintained
    level               integer NOT NULL DEFAULT 0,    -- maintained
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.customer IS 'a payer account; reminder_count, last_reminded_on and level are maintained';
CREATE INDEX customer_manager_idx ON @extschema@.customer (manager_id);

-- A line on a customer account.
CREATE TABLE @extschema@.entry (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    entry_id            bigserial NOT NULL,
    kind                text NOT NULL
                        CHECK (kind OPERATOR(pg_catalog.=) ANY
                               ('{invoice,credit_note,payment,fee,interest,adjustment,writeoff}'::text[])),
    ref                 text,
    doc_date            date NOT NULL,
    due_date            date,
    amount              numeric NOT NULL,
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    payment_method      text,
    source              text,
    excluded            boolean NOT NULL DEFAULT false,
    status              text NOT NULL DEFAULT 'open'
                        CHECK (status OPERATOR(pg_catalog.=) ANY
                               ('{open,disputed,blocked,payment_plan,promise,litigation}'::text[])),
    status_note         text,
    disputed_amount     numeric,
    open_amount         numeric NOT NULL DEFAULT 0,    -- maintained
    letter_code         text COLLATE "C",              -- maintained
    lettered_on         date,                          -- maintained
    level               integer NOT NULL DEFAULT 0,    -- maintained
    reminder_count      integer NOT NULL DEFAULT 0,    -- maintained
    last_reminded_on    date,                          -- maintained
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (customer_id, entry_id),
    -- a debit is positive, a credit negative; adjustments go either way
    CONSTRAINT entry_sign CHECK (
        (kind OPERATOR(pg_catalog.=) ANY ('{invoice,fee,interest}'::text[])
            AND amount OPERATOR(pg_catalog.>) 0)
        OR (kind OPERATOR(pg_catalog.=) ANY ('{payment,credit_note}'::text[])
            AND amount OPERATOR(pg_catalog.<) 0)
        OR (kind OPERATOR(pg_catalog.=) ANY ('{adjustment,writeoff}'::text[])
            AND amount OPERATOR(pg_catalog.<>) 0)),
    -- allocations never take an entry past zero nor beyond its amount
    CONSTRAINT entry_open_amount CHECK (
        open_amount OPERATOR(pg_catalog.>=) least(0::numeric, amount)
        AND open_amount OPERATOR(pg_catalog.<=) greatest(0::numeric, amount)),
    CONSTRAINT entry_due_date CHECK (due_date OPERATOR(pg_catalog.>=) doc_date),
    CONSTRAINT entry_disputed_amount CHECK (
        disputed_amount OPERATOR(pg_catalog.>) 0
        AND disputed_amount OPERATOR(pg_catalog.<=) amount)
);
COMMENT ON TABLE @extschema@.entry IS 'a line on a customer account; open_amount, letter_code, lettered_on, level, reminder_count and last_reminded_on are maintained';
COMMENT ON COLUMN @extschema@.entry.due_date IS 'due date of a debit; NULL means due on doc_date';
COMMENT ON COLUMN @extschema@.entry.open_amount IS 'amount less allocations, kept by triggers on allocation';
-- No index covers open_amount, letter_code or lettered_on: lettering and
-- the allocation triggers rewrite them, and with no index to update those
-- rewrites are HOT (heap-only) when the page has room.  Nearly every entry
-- is rewritten once, when it is lettered: half of each page is left free so
-- that its rows' new versions fit beside them (with 85 %, a fifth of the
-- updates were HOT; with 50 %, all).
ALTER TABLE @extschema@.entry SET (fillfactor = 50);
CREATE INDEX entry_ref_idx ON @extschema@.entry (customer_id, ref);

-- A lettering group.
CREATE TABLE @extschema@.lettering (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    letter_code         text COLLATE "C" NOT NULL,     -- codes compare byte by byte
    partial             boolean NOT NULL DEFAULT false,
    strategy            text NOT NULL DEFAULT 'manual',
    writeoff            numeric NOT NULL DEFAULT 0,
    lettered_on         date,
    lettered_by         text NOT NULL DEFAULT CURRENT_USER,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (customer_id, letter_code),
    CONSTRAINT lettering_code CHECK (
        (partial AND letter_code OPERATOR(pg_catalog.~) '^[a-z]{3,}$')
        OR (NOT partial AND letter_code OPERATOR(pg_catalog.~) '^[A-Z]{3,}$'))
);
COMMENT ON TABLE @extschema@.lettering IS 'a lettering group: upper-case code when total, lower-case when partial';

-- Part of a credit applied to a debit.
CREATE TABLE @extschema@.allocation (
    customer_id         text NOT NULL,
    allocation_id       bigserial NOT NULL,
    letter_code         text COLLATE "C" NOT NULL,
    debit_id            bigint NOT NULL,
    credit_id           bigint NOT NULL,
    amount              numeric NOT NULL CHECK (amount OPERATOR(pg_catalog.>) 0),
    allocated_on        date,    -- maintained: the later doc_date of the two entries
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- the key leads with the group, so a group's allocations are one range
    PRIMARY KEY (customer_id, letter_code, allocation_id)
    -- The group and the two entries are checked by the triggers of
    -- counters.c rather than by foreign keys: allocation_check on insert,
    -- lettering_cascade when a group is renamed or removed, entry_guard when
    -- an entry is deleted.  Lettering writes allocations by the hundred
    -- thousand, and a foreign key costs a query per row and key.
);
COMMENT ON TABLE @extschema@.allocation IS 'an amount of a credit applied to a debit; dated the later doc_date of the two';
-- the allocations of an entry are found through the customer (primary key)
CREATE INDEX allocation_date_idx ON @extschema@.allocation (allocated_on);

-- One call of issue_reminders.
CREATE TABLE @extschema@.run (
    run_id              bigserial PRIMARY KEY,
    as_of               date NOT NULL,
    options             jsonb NOT NULL DEFAULT '{}',
    dry_run             boolean NOT NULL DEFAULT false,
    reminders           integer NOT NULL DEFAULT 0,
    started_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_by          text NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.run IS 'one call of issue_reminders';

-- One letter, email or call to one customer.
CREATE TABLE @extschema@.reminder (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    reminder_id         bigserial NOT NULL,
    run_id              bigint REFERENCES @extschema@.run,
    as_of               date NOT NULL,
    level               integer NOT NULL CHECK (level OPERATOR(pg_catalog.>=) 1),
    channel             text NOT NULL
                        CHECK (channel OPERATOR(pg_catalog.=) ANY
                               ('{letter,email,phone,legal,visit}'::text[])),
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    language            text,
    total_overdue       numeric NOT NULL DEFAULT 0,
    fees                numeric NOT NULL DEFAULT 0 CHECK (fees OPERATOR(pg_catalog.>=) 0),
    interest            numeric NOT NULL DEFAULT 0 CHECK (interest OPERATOR(pg_catalog.>=) 0),
    compensation        numeric NOT NULL DEFAULT 0 CHECK (compensation OPERATOR(pg_catalog.>=) 0),
    status              text NOT NULL DEFAULT 'issued'
                        CHECK (status OPERATOR(pg_catalog.=) ANY
                               ('{issued,queued,sent,printed,cancelled}'::text[])),
    subject             text,
    body                text,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by          text NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (customer_id, reminder_id)
);
COMMENT ON TABLE @extschema@.reminder IS 'one reminder (letter, email, call) to one customer';

-- An item on a reminder.
CREATE TABLE @extschema@.reminder_line (
    customer_id         text NOT NULL,
    reminder_id         bigint NOT NULL,
    entry_id            bigint NOT NULL,
    level               integer NOT NULL,
    days_overdue        integer NOT NULL,
    open_amount         numeric NOT NULL,
    interest            numeric NOT NULL DEFAULT 0,
    compensation        numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, reminder_id, entry_id),
    FOREIGN KEY (customer_id, reminder_id) REFERENCES @extschema@.reminder ON DELETE CASCADE,
    FOREIGN KEY (customer_id, entry_id) REFERENCES @extschema@.entry
);
COMMENT ON TABLE @extschema@.reminder_line IS 'an item on a reminder, with the level it was reminded at';
CREATE INDEX reminder_line_entry_idx ON @extschema@.reminder_line (customer_id, entry_id);

-- A promise to pay.
CREATE TABLE @extschema@.promise (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    promise_id          bigserial NOT NULL,
    entry_ids           bigint[] NOT NULL DEFAULT '{}',
    amount              numeric NOT NULL CHECK (amount OPERATOR(pg_catalog.>) 0),
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    promised_on         date NOT NULL,
    made_on             date NOT NULL,
    status              text NOT NULL DEFAULT 'open'
                        CHECK (status OPERATOR(pg_catalog.=) ANY
                               ('{open,kept,broken,cancelled}'::text[])),
    note                text,
    PRIMARY KEY (customer_id, promise_id),
    CHECK (promised_on OPERATOR(pg_catalog.>=) made_on)
);
COMMENT ON TABLE @extschema@.promise IS 'a promise to pay an amount by a date';

-- An agreed schedule of payments.
CREATE TABLE @extschema@.payment_plan (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    plan_id             bigserial NOT NULL,
    entry_ids           bigint[] NOT NULL,
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    agreed_on           date NOT NULL,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status OPERATOR(pg_catalog.=) ANY
                               ('{active,completed,broken,cancelled}'::text[])),
    note                text,
    PRIMARY KEY (customer_id, plan_id)
);
COMMENT ON TABLE @extschema@.payment_plan IS 'a payment plan agreed with a customer';

-- One installment of a payment plan.
CREATE TABLE @extschema@.installment (
    customer_id         text NOT NULL,
    plan_id             bigint NOT NULL,
    seq                 integer NOT NULL CHECK (seq OPERATOR(pg_catalog.>=) 1),
    due_on              date NOT NULL,
    amount              numeric NOT NULL CHECK (amount OPERATOR(pg_catalog.>) 0),
    paid_on             date,
    PRIMARY KEY (customer_id, plan_id, seq),
    FOREIGN KEY (customer_id, plan_id) REFERENCES @extschema@.payment_plan ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.installment IS 'an installment of a payment plan';

-- A follow-up step in the schedule (echeancier).
CREATE TABLE @extschema@.action (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    action_id           bigserial NOT NULL,
    kind                text NOT NULL
                        CHECK (kind OPERATOR(pg_catalog.=) ANY
                               ('{call,email,letter,promise_check,installment_check,insurer_notice,legal,task}'::text[])),
    entry_ids           bigint[] NOT NULL DEFAULT '{}',
    due_on              date NOT NULL,
    owner               text REFERENCES @extschema@.credit_manager ON UPDATE CASCADE,
    title               text NOT NULL,
    note                text,
    result              text,
    done_on             date,
    promise_id          bigint,
    plan_id             bigint,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by          text NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (customer_id, action_id),
    FOREIGN KEY (customer_id, promise_id) REFERENCES @extschema@.promise ON DELETE CASCADE,
    FOREIGN KEY (customer_id, plan_id) REFERENCES @extschema@.payment_plan ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.action IS 'a follow-up step: call, check of a promise or installment, insurer notice, task';
CREATE INDEX action_open_idx ON @extschema@.action (owner, due_on) WHERE done_on IS NULL;

-- The history of everything done to a customer.
CREATE TABLE @extschema@.activity (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    activity_id         bigserial NOT NULL,
    at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    kind                text NOT NULL,
    summary             text NOT NULL,
    refs                jsonb NOT NULL DEFAULT '{}',
    "by"                text NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (customer_id, activity_id)
);
COMMENT ON TABLE @extschema@.activity IS 'the history of a customer: reminders, calls, promises, plans, status changes, lettering, blocks';

-- Letter and email text per template key, language and channel.
CREATE TABLE @extschema@.template (
    key                 text NOT NULL,
    language            text NOT NULL,
    channel             text NOT NULL
                        CHECK (channel OPERATOR(pg_catalog.=) ANY
                               ('{letter,email,phone,legal}'::text[])),
    subject             text NOT NULL,
    body                text NOT NULL,
    shipped             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (key, language, channel)
);
COMMENT ON TABLE @extschema@.template IS 'reminder text per key, language and channel; shipped rows come with the extension';

-- Reference rates for statutory late interest.
CREATE TABLE @extschema@.reference_rate (
    series              text NOT NULL,
    valid_from          date NOT NULL,
    rate                numeric NOT NULL,
    shipped             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (series, valid_from)
);
COMMENT ON TABLE @extschema@.reference_rate IS 'reference rates (percent a year) by the day they take effect; shipped rows come with the extension';

-- User rows survive pg_dump / pg_restore.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.level'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.level_amount'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.holiday'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.credit_manager'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.customer'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.entry'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.entry_entry_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.lettering'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocation'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.allocation_allocation_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.run'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.run_run_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reminder'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reminder_reminder_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reminder_line'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.promise'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.promise_promise_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.payment_plan'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.payment_plan_plan_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.installment'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action_action_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activity'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.activity_activity_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.template'::regclass, 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reference_rate'::regclass, 'WHERE NOT shipped');

-------------------------------------------------------------------------------
-- Maintained columns (src/counters.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.entry_open_amount() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_entry_open_amount' LANGUAGE C;
CREATE FUNCTION @extschema@.allocation_check() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_allocation_check' LANGUAGE C;
CREATE FUNCTION @extschema@.allocation_apply() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_allocation_apply' LANGUAGE C;
CREATE FUNCTION @extschema@.allocation_truncated() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_allocation_truncated' LANGUAGE C;
CREATE FUNCTION @extschema@.entry_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_entry_guard' LANGUAGE C;
CREATE FUNCTION @extschema@.lettering_cascade() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_lettering_cascade' LANGUAGE C;

-- entry.open_amount: the amount on insert, kept by allocations after
CREATE TRIGGER entry_open_amount
    BEFORE INSERT OR UPDATE ON @extschema@.entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.entry_open_amount();

-- entry: an entry used by allocations is not deleted, nor truncated away
CREATE TRIGGER entry_guard
    BEFORE DELETE ON @extschema@.entry
    FOR EACH ROW EXECUTE FUNCTION @extschema@.entry_guard();
CREATE TRIGGER entry_guard_truncate
    BEFORE TRUNCATE ON @extschema@.entry
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.entry_guard();

-- allocation: lock and check the two entries, date the allocation
CREATE TRIGGER allocation_check
    BEFORE INSERT OR UPDATE ON @extschema@.allocation
    FOR EACH ROW EXECUTE FUNCTION @extschema@.allocation_check();

-- allocation: move the open amounts of the two entries
CREATE TRIGGER allocation_apply
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.allocation
    FOR EACH ROW EXECUTE FUNCTION @extschema@.allocation_apply();

-- lettering: removing a group removes its allocations, renaming or settling
-- it moves them and its entries to the new code and date
CREATE TRIGGER lettering_cascade
    AFTER UPDATE OR DELETE ON @extschema@.lettering
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lettering_cascade();
CREATE TRIGGER lettering_truncated
    AFTER TRUNCATE ON @extschema@.lettering
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.lettering_cascade();

CREATE TRIGGER allocation_truncated
    AFTER TRUNCATE ON @extschema@.allocation
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.allocation_truncated();

-------------------------------------------------------------------------------
-- Lettering (src/lettering.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.next_letter_code(text) RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_next_letter_code'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.next_letter_code(text) IS
    'the letter code after the one given: AAA -> AAB, AZZ -> BAA, ZZZ -> AAAA, in the same case';

CREATE FUNCTION @extschema@.letter(customer_id text, entry_ids bigint[],
        tolerance numeric DEFAULT 0)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_letter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.letter(text, bigint[], numeric) IS
    'letter entries of a customer together: credits to debits, oldest due first; returns the group code';

CREATE FUNCTION @extschema@.unletter(customer_id text, letter_code text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'dunning_unletter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.unletter(text, text) IS
    'remove a lettering group: open amounts come back, its write-offs are deleted';

CREATE FUNCTION @extschema@.auto_letter(customer_id text DEFAULT NULL,
        strategies text[] DEFAULT '{reference,exact,subset,fifo}',
        tolerance numeric DEFAULT 0,
        max_subset integer DEFAULT 10,
        dry_run boolean DEFAULT false)
    RETURNS TABLE (customer_id text, letter_code text, entry_id bigint,
                   allocated numeric, strategy text, partial boolean)
    AS 'MODULE_PATHNAME', 'dunning_auto_letter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.auto_letter(text, text[], numeric, integer, boolean) IS
    'letter one customer or the whole ledger with the strategies reference, exact, subset, fifo';

-- The lettering columns of the French FEC (fichier des écritures comptables):
-- EcritureLet and DateLet are blank for unlettered and partly lettered lines.
CREATE VIEW @extschema@.fec_lettering AS
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date, e.amount, e.currency,
       CASE WHEN e.letter_code OPERATOR(pg_catalog.~) '^[A-Z]+$'
            THEN e.letter_code ELSE '' END AS "EcritureLet",
       CASE WHEN e.letter_code OPERATOR(pg_catalog.~) '^[A-Z]+$'
             AND e.lettered_on IS NOT NULL
            THEN pg_catalog.to_char(e.lettered_on::timestamp, 'YYYYMMDD') ELSE '' END AS "DateLet"
  FROM @extschema@.entry e;
COMMENT ON VIEW @extschema@.fec_lettering IS
    'per entry, the FEC columns EcritureLet and DateLet (YYYYMMDD), blank unless totally lettered';

-------------------------------------------------------------------------------
-- Reference rates shipped with the extension (ECB main refinancing rate and
-- German base rate, from 2022 on).  Users add later rates as rows of their own.
-------------------------------------------------------------------------------

INSERT INTO @extschema@.reference_rate (series, valid_from, rate, shipped) VALUES
    -- in force on 1 January 2022: MRO 0.00 % since 16 March 2016, German
    -- base rate -0.88 % since 1 July 2016
    ('ecb_mro', '2016-03-16', 0.00, true),
    ('de_base', '2016-07-01', -0.88, true),
    ('ecb_mro', '2022-07-27', 0.50, true),
    ('ecb_mro', '2022-09-14', 1.25, true),
    ('ecb_mro', '2022-11-02', 2.00, true),
    ('ecb_mro', '2022-12-21', 2.50, true),
    ('ecb_mro', '2023-02-08', 3.00, true),
    ('ecb_mro', '2023-03-22', 3.50, true),
    ('ecb_mro', '2023-05-10', 3.75, true),
    ('ecb_mro', '2023-06-21', 4.00, true),
    ('ecb_mro', '2023-08-02', 4.25, true),
    ('ecb_mro', '2023-09-20', 4.50, true),
    ('ecb_mro', '2024-06-12', 4.25, true),
    ('ecb_mro', '2024-09-18', 3.65, true),
    ('ecb_mro', '2024-10-23', 3.40, true),
    ('ecb_mro', '2024-12-18', 3.15, true),
    ('ecb_mro', '2025-02-05', 2.90, true),
    ('ecb_mro', '2025-03-12', 2.65, true),
    ('ecb_mro', '2025-04-23', 2.40, true),
    ('ecb_mro', '2025-06-11', 2.15, true),
    ('de_base', '2023-01-01', 1.62, true),
    ('de_base', '2023-07-01', 3.12, true),
    ('de_base', '2024-01-01', 3.62, true),
    ('de_base', '2024-07-01', 3.37, true),
    ('de_base', '2025-01-01', 2.27, true),
    ('de_base', '2025-07-01', 1.27, true);

-------------------------------------------------------------------------------
-- Open items, aged balance and dashboard
--
-- Each view is computed as of dunning.as_of() and has a function twin of
-- the same name taking the date.  As-of is retrospective: entries dated
-- after the day and allocations dated after it are ignored, so the view
-- shows the ledger as it stood that day.  The twins are plain SQL
-- functions that the planner inlines, so a filter on the view (one
-- customer, one currency) reaches the tables.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.open_items(as_of date)
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
AS $$
-- (SELECT _as_of_arg($1)) is an init plan: the date is checked and computed
-- once per query, not once per row
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date,
       coalesce(e.due_date, e.doc_date),
       e.currency, e.amount,
       e.open_amount OPERATOR(pg_catalog.+) coalesce(l.back, 0),
       CASE WHEN e.amount OPERATOR(pg_catalog.>) 0
            THEN (SELECT @extschema@._as_of_arg($1)) OPERATOR(pg_catalog.-) coalesce(e.due_date, e.doc_date) END,
       CASE WHEN e.amount OPERATOR(pg_catalog.>) 0
            THEN @extschema@.bucket((SELECT @extschema@._as_of_arg($1)) OPERATOR(pg_catalog.-)
                                    coalesce(e.due_date, e.doc_date)) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source,
       e.letter_code, e.level, e.reminder_count, e.last_reminded_on, (SELECT @extschema@._as_of_arg($1))
  FROM @extschema@.entry e
  LEFT JOIN (
        -- allocations dated after the day are taken back
        SELECT x.customer_id, x.entry_id, pg_catalog.sum(x.back) AS back
          FROM (SELECT a.customer_id, a.debit_id AS entry_id, a.amount AS back
                  FROM @extschema@.allocation a
                 WHERE a.allocated_on OPERATOR(pg_catalog.>) $1
                UNION ALL
                SELECT a.customer_id, a.credit_id, OPERATOR(pg_catalog.-) a.amount
                  FROM @extschema@.allocation a
                 WHERE a.allocated_on OPERATOR(pg_catalog.>) $1) x
         GROUP BY x.customer_id, x.entry_id
       ) l ON l.customer_id OPERATOR(pg_catalog.=) e.customer_id
          AND l.entry_id OPERATOR(pg_catalog.=) e.entry_id
 WHERE (SELECT @extschema@._as_of_arg($1)) IS NOT NULL    -- checked even on an empty ledger
   AND e.doc_date OPERATOR(pg_catalog.<=) (SELECT @extschema@._as_of_arg($1))
   AND (e.open_amount OPERATOR(pg_catalog.<>) 0 OR l.entry_id IS NOT NULL)
$$;
COMMENT ON FUNCTION @extschema@.open_items(date) IS
    'open entries of the ledger as it stood on a day, with days overdue and bucket';

CREATE VIEW @extschema@.open_items AS
    SELECT * FROM @extschema@.open_items(@extschema@.as_of());
COMMENT ON VIEW @extschema@.open_items IS
    'open entries as of dunning.as_of(), with days overdue and bucket';


CREATE FUNCTION @extschema@.aged_balance(as_of date)
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
AS $$
-- One pass over the open items sums them by customer, currency and bucket
-- number k (0 unapplied credits, 1 not due, 2 to 6 the overdue buckets):
-- one expression and one sum per item, as cheap as a plain GROUP BY.  The
-- few rows per customer are then turned into columns, and named.
SELECT p.customer_id, c.name, c.manager_id, p.currency,
       p.not_due, p.d1_30, p.d31_60, p.d61_90, p.d91_120, p.d121,
       p.unapplied, p.overdue, p.total, p.open_items, p.overdue_items,
       p.oldest_due_date, $1
  FROM (SELECT k.customer_id, k.currency,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 1), 0) AS not_due,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 2), 0) AS d1_30,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 3), 0) AS d31_60,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 4), 0) AS d61_90,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 5), 0) AS d91_120,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 6), 0) AS d121,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.=) 0), 0) AS unapplied,
               coalesce(pg_catalog.sum(k.amount) FILTER (WHERE k.k OPERATOR(pg_catalog.>=) 2), 0) AS overdue,
               pg_catalog.sum(k.amount) AS total,
               pg_catalog.sum(k.items)::bigint AS open_items,
               coalesce(pg_catalog.sum(k.items) FILTER (WHERE k.k OPERATOR(pg_catalog.>=) 2), 0)::bigint AS overdue_items,
               pg_catalog.min(k.oldest) FILTER (WHERE k.k OPERATOR(pg_catalog.>=) 2) AS oldest_due_date
          FROM (SELECT o.customer_id, o.currency,
                       CASE WHEN o.amount OPERATOR(pg_catalog.<) 0 THEN 0
                            ELSE pg_catalog.width_bucket(o.days_overdue,
                                     '{1,31,61,91,121}'::pg_catalog.int4[]) OPERATOR(pg_catalog.+) 1
                       END AS k,
                       pg_catalog.sum(o.open_amount) AS amount,
                       pg_catalog.count(*) AS items,
                       pg_catalog.min(o.due_date) AS oldest
                  FROM @extschema@.open_items($1) o
                 GROUP BY 1, 2, 3) k
         GROUP BY k.customer_id, k.currency) p
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) p.customer_id
$$;
COMMENT ON FUNCTION @extschema@.aged_balance(date) IS
    'aged balance per customer and currency on a day: not due, 1-30, 31-60, 61-90, 91-120, over 120 days, unapplied credits, total';

CREATE VIEW @extschema@.aged_balance AS
    SELECT * FROM @extschema@.aged_balance(@extschema@.as_of());
COMMENT ON VIEW @extschema@.aged_balance IS
    'aged balance per customer and currency as of dunning.as_of()';


CREATE FUNCTION @extschema@.aged_buckets(as_of date,
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
AS $$
SELECT b.customer_id, b.currency, b.bucket,
       @extschema@.label(b.bucket, $3), b.amount, b.items, $1
  FROM (SELECT o.customer_id, o.currency,
               @extschema@.bucket(o.days_overdue, $2) AS bucket,
               pg_catalog.sum(o.open_amount) AS amount,
               pg_catalog.count(*) AS items
          FROM @extschema@.open_items($1) o
         WHERE o.days_overdue IS NOT NULL
         GROUP BY 1, 2, 3) b
$$;
COMMENT ON FUNCTION @extschema@.aged_buckets(date, @extschema@.aging[], text) IS
    'open debits per customer, currency and bucket of any scheme, one row per bucket, labelled';


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
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT s.currency, s.receivables, s.not_due, s.overdue, s.unapplied,
       s.receivables OPERATOR(pg_catalog.+) s.unapplied,
       pg_catalog.round(100 OPERATOR(pg_catalog.*) s.overdue
                        OPERATOR(pg_catalog./)
                        nullif(s.receivables, 0), 1),
       s.customers, s.late_customers, s.open_items, s.overdue_items,
       s.oldest_due_date, s.max_days_overdue, $1
  FROM (SELECT o.currency,
               coalesce(pg_catalog.sum(o.open_amount) FILTER (
                   WHERE o.days_overdue IS NOT NULL), 0) AS receivables,
               coalesce(pg_catalog.sum(o.open_amount) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.<=) 0), 0) AS not_due,
               coalesce(pg_catalog.sum(o.open_amount) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.>) 0), 0) AS overdue,
               coalesce(pg_catalog.sum(o.open_amount) FILTER (
                   WHERE o.days_overdue IS NULL), 0) AS unapplied,
               pg_catalog.count(DISTINCT o.customer_id) AS customers,
               pg_catalog.count(DISTINCT o.customer_id) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.>) 0) AS late_customers,
               pg_catalog.count(*) AS open_items,
               pg_catalog.count(*) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.>) 0) AS overdue_items,
               pg_catalog.min(o.due_date) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.>) 0) AS oldest_due_date,
               pg_catalog.max(o.days_overdue) FILTER (
                   WHERE o.days_overdue OPERATOR(pg_catalog.>) 0) AS max_days_overdue
          FROM @extschema@.open_items($1) o
         GROUP BY o.currency) s
$$;
COMMENT ON FUNCTION @extschema@.dashboard(date) IS
    'per currency on a day: receivables, not due, overdue, unapplied credits, late customers, oldest overdue';

CREATE VIEW @extschema@.dashboard AS
    SELECT * FROM @extschema@.dashboard(@extschema@.as_of());
COMMENT ON VIEW @extschema@.dashboard IS
    'per currency as of dunning.as_of(): receivables, overdue, late customers, oldest overdue';
