
-------------------------------------------------------------------------------
-- 0.2.0: escalation, late interest, templates (src/escalation.c,
-- src/interest.c, src/render.c)
--
-- Every file from here on is also the upgrade script from 0.1.0 (see the
-- Makefile): it only adds objects, and changes 0.1.0 tables with ALTER.
-------------------------------------------------------------------------------

-- A reminder line either dunns its item (moves it to the line's level) or
-- only lists it (other overdue items, credits, the account statement).
ALTER TABLE @extschema@.reminder_line
    ADD COLUMN dunned boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN @extschema@.reminder_line.dunned IS
    'true when the reminder dunns the item at the line''s level; false when it only lists it';

-- The fee and interest entries a reminder posted (policy.post_charges).
ALTER TABLE @extschema@.reminder
    ADD COLUMN charge_entry_ids bigint[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN @extschema@.reminder.charge_entry_ids IS
    'entries of kind fee or interest posted by this reminder (policy.post_charges)';
CREATE INDEX reminder_run_idx ON @extschema@.reminder (run_id);

-- allocation: foreign keys to its group and its two entries, for pg_dump.
-- pg_dump loads the data of an extension's tables in the order of the
-- foreign keys between them; without these, allocations came before the
-- entries they link and pg_restore failed (allocation_check found no
-- entry).  The triggers of counters.c keep the integrity (a foreign key's
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

-- An email or letter to a customer that is not a reminder (the
-- confirmation of a payment plan): queued in the outbox like reminders.
CREATE TABLE @extschema@.message (
    customer_id         text NOT NULL
                        REFERENCES @extschema@.customer ON UPDATE CASCADE,
    message_id          bigserial NOT NULL,
    kind                text NOT NULL,
    channel             text NOT NULL DEFAULT 'email'
                        CHECK (channel OPERATOR(pg_catalog.=) ANY ('{letter,email}'::text[])),
    language            text,
    subject             text NOT NULL,
    body                text NOT NULL,
    status              text NOT NULL DEFAULT 'queued'
                        CHECK (status OPERATOR(pg_catalog.=) ANY ('{queued,sent,cancelled}'::text[])),
    plan_id             bigint,
    sent_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by          text NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (customer_id, message_id)
);
COMMENT ON TABLE @extschema@.message IS 'an email or letter that is not a reminder, such as a payment plan''s confirmation';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.message'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.message_message_id_seq'::regclass, '');

-- private: the level an item is due for (> 0) or why not (<= 0)
CREATE FUNCTION @extschema@._escalate(policy_id text, days integer, level integer,
                                      last_reminded_on date, as_of date)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'dunning_escalate'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the same verdict in a sentence
CREATE FUNCTION @extschema@._escalate_note(policy_id text, days integer, level integer,
                                           last_reminded_on date, as_of date)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_escalate_note'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: a level's minimum and fee in a currency
CREATE FUNCTION @extschema@._level_min(policy_id text, level integer, currency text)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_level_min'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._level_interest(policy_id text, level integer)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_level_interest'
    LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._level_fee(policy_id text, level integer, currency text)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_level_fee'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.late_interest(amount numeric, due date, until date,
                                          regime text, day_count text DEFAULT 'act/365')
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_late_interest_regime'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.late_interest(numeric, date, date, text, text) IS
    'statutory late interest (fr, eu, be, de, de_b2c) from the day after due to until, rounded to the cent';

CREATE FUNCTION @extschema@.late_interest(amount numeric, due date, until date,
                                          annual_rate numeric, day_count text DEFAULT 'act/365')
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_late_interest_rate'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.late_interest(numeric, date, date, numeric, text) IS
    'late interest at a fixed annual rate (percent) from the day after due to until, rounded to the cent';

-- private: unrounded, the regime or (NULL or 'fixed' regime) the rate
CREATE FUNCTION @extschema@._late_interest(amount numeric, due date, until date,
                                           regime text, annual_rate numeric, day_count text)
    RETURNS numeric
    AS 'MODULE_PATHNAME', 'dunning_late_interest_exact'
    LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.render(template text, context jsonb)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_render'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.render(text, jsonb) IS
    'fills a template: {{a.b}}, {{x|money}}, {{d|date}}, {{#items}}...{{/items}}, {{^x}}...{{/x}}';

-------------------------------------------------------------------------------
-- Reminder counters (src/counters.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.reminder_counters() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_reminder_counters' LANGUAGE C;
CREATE FUNCTION @extschema@.reminder_line_counters() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_reminder_line_counters' LANGUAGE C;
CREATE FUNCTION @extschema@.reminder_flush() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_reminder_flush' LANGUAGE C;
CREATE FUNCTION @extschema@.reminder_truncated() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_reminder_truncated' LANGUAGE C;
CREATE FUNCTION @extschema@.customer_counters() RETURNS trigger
    AS 'MODULE_PATHNAME', 'dunning_customer_counters' LANGUAGE C;

-- customer: reminder_count, last_reminded_on and level are the reminders'
CREATE TRIGGER customer_counters
    BEFORE INSERT OR UPDATE ON @extschema@.customer
    FOR EACH ROW EXECUTE FUNCTION @extschema@.customer_counters();

-- reminder: the customer's counters.  The row trigger notes new reminders,
-- the statement trigger counts them in one UPDATE.
CREATE TRIGGER reminder_counters
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.reminder
    FOR EACH ROW EXECUTE FUNCTION @extschema@.reminder_counters();
CREATE TRIGGER reminder_flush
    AFTER INSERT ON @extschema@.reminder
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.reminder_flush('customer');
CREATE TRIGGER reminder_truncated
    AFTER TRUNCATE ON @extschema@.reminder
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.reminder_truncated('customer');

-- reminder_line: the entry's counters
CREATE TRIGGER reminder_line_counters
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.reminder_line
    FOR EACH ROW EXECUTE FUNCTION @extschema@.reminder_line_counters();
CREATE TRIGGER reminder_line_flush
    AFTER INSERT ON @extschema@.reminder_line
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.reminder_flush('entry');
CREATE TRIGGER reminder_line_truncated
    AFTER TRUNCATE ON @extschema@.reminder_line
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.reminder_truncated('entry');
