
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
    CHECK (interest_regime IS DISTINCT FROM 'fixed' OR interest_rate IS NOT NULL),
    -- credit control (credit.sql): a customer is on hold once an item is
    -- overdue more than these days, or once it is dunned at this level
    hold_overdue_days   integer
                        CHECK (hold_overdue_days OPERATOR(pg_catalog.>) 0),
    hold_level          integer
                        CHECK (hold_level OPERATOR(pg_catalog.>=) 1),
    CONSTRAINT policy_min_balance_finite CHECK (@extschema@._is_finite(min_balance)),
    CONSTRAINT policy_compensation_finite CHECK (@extschema@._is_finite(compensation)),
    CONSTRAINT policy_interest_rate_finite CHECK (@extschema@._is_finite(interest_rate))
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
    -- delivery: the deadline printed on the letter, and what its email carries
    payment_days        integer NOT NULL DEFAULT 10
                        CHECK (payment_days OPERATOR(pg_catalog.>=) 0),
    attach_letter       boolean NOT NULL DEFAULT false,
    attach_invoices     boolean NOT NULL DEFAULT false,
    -- the unattended day (daily.sql): daily_run issues the level's
    -- reminders; false: they wait in the proposal for a credit manager
    auto                boolean NOT NULL DEFAULT true,
    PRIMARY KEY (policy_id, level),
    CONSTRAINT level_min_amount_finite CHECK (@extschema@._is_finite(min_amount)),
    CONSTRAINT level_fee_finite CHECK (@extschema@._is_finite(fee))
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
        ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT level_amount_min_amount_finite CHECK (@extschema@._is_finite(min_amount)),
    CONSTRAINT level_amount_fee_finite CHECK (@extschema@._is_finite(fee))
);
COMMENT ON TABLE @extschema@.level_amount IS 'minimum and fee of a level in another currency';

-- A non-business day of a calendar.
CREATE TABLE @extschema@.holiday (
    calendar            text NOT NULL,
    day                 date NOT NULL,
    name                text,
    PRIMARY KEY (calendar, day),
    CONSTRAINT holiday_day_finite CHECK (pg_catalog.isfinite(day))
);
COMMENT ON TABLE @extschema@.holiday IS 'non-business days of a calendar, used by nbd in payment terms';

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

-- A person who owns customers.
CREATE TABLE @extschema@.credit_manager (
    manager_id          text PRIMARY KEY,
    name                text NOT NULL,
    email               text,
    role_name           text UNIQUE,
    -- the language of the day's summary (daily.sql)
    language            text NOT NULL DEFAULT 'en'
                        CHECK (language OPERATOR(pg_catalog.~) '^[a-z]{2}([_-][A-Za-z]{2})?$')
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
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    -- credit control (credit.sql), in the currency of the customer's policy:
    -- the orders the ERP has confirmed and not yet invoiced, and the credit
    -- insurer's cover
    open_orders         numeric NOT NULL DEFAULT 0
                        CHECK (open_orders OPERATOR(pg_catalog.>=) 0),
    insured_limit       numeric CHECK (insured_limit OPERATOR(pg_catalog.>=) 0),
    -- delivery (pdf.sql, smtp.sql): who writes to the customer (NULL: the
    -- only company) and where letters go
    company_id          text REFERENCES @extschema@.company,
    address             text,              -- street lines, newline-separated
    postal_code         text,
    city                text,
    country             text CHECK (country OPERATOR(pg_catalog.~) '^[A-Z]{2}$'),
    CONSTRAINT customer_credit_limit_finite CHECK (@extschema@._is_finite(credit_limit)),
    CONSTRAINT customer_open_orders_finite CHECK (@extschema@._is_finite(open_orders)),
    CONSTRAINT customer_insured_limit_finite CHECK (@extschema@._is_finite(insured_limit))
);
COMMENT ON TABLE @extschema@.customer IS 'a payer account; reminder_count, last_reminded_on and level are maintained';
COMMENT ON COLUMN @extschema@.customer.credit_limit IS
    'the most the customer may owe, open orders included, in the currency of its policy (credit_status)';
COMMENT ON COLUMN @extschema@.customer.open_orders IS
    'orders confirmed and not yet invoiced, kept by the ERP, in the currency of the policy (credit_status)';
COMMENT ON COLUMN @extschema@.customer.insured_limit IS
    'the credit insurer''s cover for this customer, in the currency of the policy (credit_status)';
CREATE INDEX customer_manager_idx ON @extschema@.customer (manager_id);

-- A line on a customer account.
CREATE TABLE @extschema@.entry (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
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
    compensated         boolean NOT NULL DEFAULT false, -- maintained
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
        AND disputed_amount OPERATOR(pg_catalog.<=) amount),
    CONSTRAINT entry_amount_finite CHECK (@extschema@._is_finite(amount)),
    CONSTRAINT entry_disputed_amount_finite CHECK (@extschema@._is_finite(disputed_amount)),
    CONSTRAINT entry_doc_date_finite CHECK (pg_catalog.isfinite(doc_date)),
    CONSTRAINT entry_due_date_finite CHECK (pg_catalog.isfinite(due_date))
)
-- No index covers open_amount, letter_code or lettered_on: lettering and
-- the allocation triggers rewrite them, and with no index to update those
-- rewrites are HOT (heap-only) when the page has room.  Nearly every entry
-- is rewritten once, when it is lettered: half of each page is left free so
-- that its rows' new versions fit beside them (with 85 %, a fifth of the
-- updates were HOT; with 50 %, all).
WITH (fillfactor = 50);
COMMENT ON TABLE @extschema@.entry IS 'a line on a customer account; open_amount, letter_code, lettered_on, level, reminder_count, last_reminded_on and compensated are maintained';
COMMENT ON COLUMN @extschema@.entry.due_date IS 'due date of a debit; NULL means due on doc_date';
COMMENT ON COLUMN @extschema@.entry.open_amount IS 'amount less allocations, kept by triggers on allocation';
COMMENT ON COLUMN @extschema@.entry.compensated IS
    'a reminder not cancelled charged this invoice the flat compensation (policy.compensation), which is charged once; kept by triggers on reminder and reminder_line';
CREATE INDEX entry_ref_idx ON @extschema@.entry (customer_id, ref);
-- the items in litigation, a hold of credit control (credit.sql); lettering
-- never changes status, so its updates stay heap-only
CREATE INDEX entry_litigation_idx ON @extschema@.entry (customer_id, currency)
    WHERE status OPERATOR(pg_catalog.=) 'litigation';

-- A lettering group.
CREATE TABLE @extschema@.lettering (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
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
        OR (NOT partial AND letter_code OPERATOR(pg_catalog.~) '^[A-Z]{3,}$')),
    CONSTRAINT lettering_writeoff_finite CHECK (@extschema@._is_finite(writeoff))
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
    PRIMARY KEY (customer_id, letter_code, allocation_id),
    CONSTRAINT allocation_amount_finite CHECK (@extschema@._is_finite(amount))
    -- The group and the two entries are checked by the triggers of
    -- allocation.c rather than by foreign keys: allocation_check on insert,
    -- lettering_cascade when a group is renamed or removed, entry_guard when
    -- an entry is deleted.  Lettering writes allocations by the hundred
    -- thousand, and a foreign key costs a query per row and key.
);
COMMENT ON TABLE @extschema@.allocation IS 'an amount of a credit applied to a debit; dated the later doc_date of the two';
-- the allocations of an entry are found through the customer (primary key)
CREATE INDEX allocation_date_idx ON @extschema@.allocation (allocated_on);
-- allocation's foreign keys to its group and its two entries, for pg_dump.
-- pg_dump loads the data of an extension's tables in the order of the
-- foreign keys between them; without these, allocations came before the
-- entries they link and pg_restore failed (allocation_check found no
-- entry).  The triggers of allocation.c keep the integrity (a foreign key's
-- check costs a query per allocation, see the table's comment), so the
-- constraints' own triggers are disabled: the constraints only order the
-- dump.
ALTER TABLE @extschema@.allocation
    ADD CONSTRAINT allocation_group_fkey FOREIGN KEY (customer_id, letter_code)
        REFERENCES @extschema@.lettering NOT VALID,
    ADD CONSTRAINT allocation_debit_fkey FOREIGN KEY (customer_id, debit_id)
        REFERENCES @extschema@.entry NOT VALID,
    ADD CONSTRAINT allocation_credit_fkey FOREIGN KEY (customer_id, credit_id)
        REFERENCES @extschema@.entry NOT VALID;
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tg.tgname, tg.tgrelid::pg_catalog.regclass AS rel
               FROM pg_catalog.pg_trigger tg
               JOIN pg_catalog.pg_constraint c ON c.oid OPERATOR(pg_catalog.=) tg.tgconstraint
              WHERE c.conrelid OPERATOR(pg_catalog.=) 'dunning.allocation'::pg_catalog.regclass
                AND c.contype OPERATOR(pg_catalog.=) 'f'
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', t.rel, t.tgname);
    END LOOP;
END
$$;

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
                        REFERENCES @extschema@.customer,
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
                               ('{issued,queued,sent,printed,cancelled,failed}'::text[])),
    subject             text,
    body                text,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by          text NOT NULL DEFAULT CURRENT_USER,
    -- the fee and interest entries it posted (policy.post_charges)
    charge_entry_ids    bigint[] NOT NULL DEFAULT '{}',
    -- delivery by email (send_outbox, smtp.sql)
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    next_attempt_at     timestamptz,
    smtp_reply          text,
    smtp_message_id     text,
    PRIMARY KEY (customer_id, reminder_id),
    CONSTRAINT reminder_sent_at_finite CHECK (pg_catalog.isfinite(sent_at))
);
COMMENT ON TABLE @extschema@.reminder IS 'one reminder (letter, email, call) to one customer';
COMMENT ON COLUMN @extschema@.reminder.charge_entry_ids IS
    'entries of kind fee or interest posted by this reminder (policy.post_charges)';
CREATE INDEX reminder_run_idx ON @extschema@.reminder (run_id);
-- the outbox (reminders.sql) reads the reminders waiting to be sent or printed
CREATE INDEX reminder_outbox_idx ON @extschema@.reminder (created_at)
    WHERE status OPERATOR(pg_catalog.=) 'queued' OR status OPERATOR(pg_catalog.=) 'issued';
-- send_outbox takes the oldest queued email, one at a time: in this order
CREATE INDEX reminder_queued_idx ON @extschema@.reminder (created_at, customer_id, reminder_id)
    WHERE status OPERATOR(pg_catalog.=) 'queued';

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
    -- a line either dunns its item (moves it to the line's level) or only
    -- lists it (other overdue items, credits, the account statement)
    dunned              boolean NOT NULL DEFAULT true,
    PRIMARY KEY (customer_id, reminder_id, entry_id),
    FOREIGN KEY (customer_id, reminder_id) REFERENCES @extschema@.reminder ON DELETE CASCADE,
    FOREIGN KEY (customer_id, entry_id) REFERENCES @extschema@.entry
);
COMMENT ON TABLE @extschema@.reminder_line IS 'an item on a reminder, with the level it was reminded at';
COMMENT ON COLUMN @extschema@.reminder_line.dunned IS
    'true when the reminder dunns the item at the line''s level; false when it only lists it';
CREATE INDEX reminder_line_entry_idx ON @extschema@.reminder_line (customer_id, entry_id);

-- A promise to pay.
CREATE TABLE @extschema@.promise (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
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
    CHECK (promised_on OPERATOR(pg_catalog.>=) made_on),
    CONSTRAINT promise_amount_finite CHECK (@extschema@._is_finite(amount)),
    CONSTRAINT promise_promised_on_finite CHECK (pg_catalog.isfinite(promised_on)),
    CONSTRAINT promise_made_on_finite CHECK (pg_catalog.isfinite(made_on))
);
COMMENT ON TABLE @extschema@.promise IS 'a promise to pay an amount by a date';

-- An agreed schedule of payments.
CREATE TABLE @extschema@.payment_plan (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
    plan_id             bigserial NOT NULL,
    entry_ids           bigint[] NOT NULL,
    currency            text NOT NULL
                        CHECK (@extschema@._is_currency(currency)),
    agreed_on           date NOT NULL,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status OPERATOR(pg_catalog.=) ANY
                               ('{active,completed,broken,cancelled}'::text[])),
    note                text,
    PRIMARY KEY (customer_id, plan_id),
    CONSTRAINT payment_plan_agreed_on_finite CHECK (pg_catalog.isfinite(agreed_on))
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
    FOREIGN KEY (customer_id, plan_id) REFERENCES @extschema@.payment_plan ON DELETE CASCADE,
    CONSTRAINT installment_amount_finite CHECK (@extschema@._is_finite(amount)),
    CONSTRAINT installment_due_on_finite CHECK (pg_catalog.isfinite(due_on)),
    CONSTRAINT installment_paid_on_finite CHECK (pg_catalog.isfinite(paid_on))
);
COMMENT ON TABLE @extschema@.installment IS 'an installment of a payment plan';

-- A follow-up step in the schedule (echeancier).
CREATE TABLE @extschema@.action (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
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
    FOREIGN KEY (customer_id, plan_id) REFERENCES @extschema@.payment_plan ON DELETE CASCADE,
    CONSTRAINT action_due_on_finite CHECK (pg_catalog.isfinite(due_on)),
    CONSTRAINT action_done_on_finite CHECK (pg_catalog.isfinite(done_on))
);
COMMENT ON TABLE @extschema@.action IS 'a follow-up step: call, check of a promise or installment, insurer notice, task';
CREATE INDEX action_open_idx ON @extschema@.action (owner, due_on) WHERE done_on IS NULL;

-- The history of everything done to a customer.
CREATE TABLE @extschema@.activity (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
    activity_id         bigserial NOT NULL,
    at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    kind                text NOT NULL,
    summary             text NOT NULL,
    refs                jsonb NOT NULL DEFAULT '{}',
    "by"                text NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (customer_id, activity_id)
);
COMMENT ON TABLE @extschema@.activity IS 'the history of a customer: reminders, calls, promises, plans, status changes, lettering, blocks';

-- An email or letter to a customer that is not a reminder (the
-- confirmation of a payment plan): queued in the outbox like reminders.
CREATE TABLE @extschema@.message (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer,
    message_id          bigserial NOT NULL,
    kind                text NOT NULL,
    channel             text NOT NULL DEFAULT 'email'
                        CHECK (channel OPERATOR(pg_catalog.=) ANY ('{letter,email}'::text[])),
    language            text,
    subject             text NOT NULL,
    body                text NOT NULL,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status OPERATOR(pg_catalog.=) ANY ('{queued,sent,printed,cancelled,failed}'::text[])),
    plan_id             bigint,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by          text NOT NULL DEFAULT CURRENT_USER,
    -- delivery by email (send_outbox, smtp.sql)
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    next_attempt_at     timestamptz,
    smtp_reply          text,
    smtp_message_id     text,
    PRIMARY KEY (customer_id, message_id),
    CONSTRAINT message_sent_at_finite CHECK (pg_catalog.isfinite(sent_at))
);
COMMENT ON TABLE @extschema@.message IS 'an email or letter that is not a reminder, such as a payment plan''s confirmation';
CREATE INDEX message_queued_idx ON @extschema@.message (created_at, customer_id, message_id)
    WHERE status OPERATOR(pg_catalog.=) 'queued';

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
    PRIMARY KEY (series, valid_from),
    CONSTRAINT reference_rate_rate_finite CHECK (@extschema@._is_finite(rate)),
    CONSTRAINT reference_rate_valid_from_finite CHECK (pg_catalog.isfinite(valid_from))
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
SELECT pg_catalog.pg_extension_config_dump('@extschema@.message'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.message_message_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.company'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contact'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.contact_contact_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document_document_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_daily_run_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_error'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.daily_run_error_error_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest_digest_id_seq'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.template'::regclass, 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.reference_rate'::regclass, 'WHERE NOT shipped');
