
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
