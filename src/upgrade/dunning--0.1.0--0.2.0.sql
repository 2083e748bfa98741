\echo Use "ALTER EXTENSION dunning UPDATE TO '0.2.0'" to load this file. \quit

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

-------------------------------------------------------------------------------
-- Default templates, in English and French, for letters and emails.
--
-- A level uses the template named in level.template, else 'final' for a
-- final level, else 'level_1', 'level_2' or 'level_3' (levels above 3).
-- The context of a reminder is described in README ("Templates").  Users
-- add or override templates with rows of their own (shipped = false);
-- a user row of the same key, language and channel replaces a shipped one
-- by UPDATE (which makes it the user's: shipped is set false).
-------------------------------------------------------------------------------

INSERT INTO @extschema@.template (key, language, channel, subject, body, shipped) VALUES
('level_1', 'en', 'letter', 'Reminder: overdue items on your account',
$t$Dear {{customer.name}},

According to our records, the following items were still unpaid on {{reminder.date|date}}:

{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

This may be an oversight. If your payment has crossed this letter, please disregard it; otherwise we would be grateful if you would settle the amount at your earliest convenience.

Yours sincerely,
{{manager.name}}
$t$, true),
('level_2', 'en', 'letter', 'Second reminder: overdue items on your account',
$t$Dear {{customer.name}},

Despite our reminder, the following items were still unpaid on {{reminder.date|date}}:

{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

Please pay this amount within 10 days, or contact us if you disagree with any item.

Yours sincerely,
{{manager.name}}
$t$, true),
('level_3', 'en', 'letter', 'Third reminder: payment required',
$t$Dear {{customer.name}},

We have reminded you twice of the following items, which were still unpaid on {{reminder.date|date}}:

{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

Unless we receive your payment within 8 days, we will take further steps to recover the debt.

Yours sincerely,
{{manager.name}}
$t$, true),
('final', 'en', 'letter', 'Formal notice to pay',
$t$Dear {{customer.name}},

FORMAL NOTICE

Our previous reminders have remained without effect. We hereby give you formal notice to pay, within 8 days of this letter, the following items, unpaid on {{reminder.date|date}}:

{{#items}}  {{ref}} of {{doc_date|date}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days overdue)
{{/items}}
Total overdue: {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Fees: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Fixed compensation for recovery costs: {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

Failing payment within this time, we will refer the matter for legal recovery without further notice, at your expense.

{{manager.name}}
$t$, true),
('level_1', 'en', 'email', 'Reminder: {{reminder.total|money}} {{reminder.currency}} overdue',
$t$Dear {{customer.name}},

Our records show {{reminder.total_overdue|money}} {{reminder.currency}} overdue on your account on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

If you have already paid, please ignore this message. Otherwise, thank you for settling it soon.

{{manager.name}}
$t$, true),
('level_2', 'en', 'email', 'Second reminder: {{reminder.total|money}} {{reminder.currency}} overdue',
$t$Dear {{customer.name}},

Despite our reminder, {{reminder.total_overdue|money}} {{reminder.currency}} was still overdue on your account on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
{{#reminder.fees}}Reminder fee: {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Late interest: {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total to pay: {{reminder.total|money}} {{reminder.currency}}

Please pay within 10 days, or reply to this message if you disagree with an item.

{{manager.name}}
$t$, true),
('level_3', 'en', 'email', 'Third reminder: payment required',
$t$Dear {{customer.name}},

We have reminded you twice; {{reminder.total_overdue|money}} {{reminder.currency}} was still overdue on {{reminder.date|date}}:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
Total to pay: {{reminder.total|money}} {{reminder.currency}}

Unless we receive your payment within 8 days, we will take further steps.

{{manager.name}}
$t$, true),
('final', 'en', 'email', 'Formal notice to pay',
$t$Dear {{customer.name}},

Our reminders have remained without effect. We give you formal notice to pay {{reminder.total|money}} {{reminder.currency}} within 8 days:

{{#items}}- {{ref}}, due {{due_date|date}}: {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} days)
{{/items}}
Failing payment, the matter will be referred for legal recovery without further notice.

{{manager.name}}
$t$, true),
('level_1', 'fr', 'letter', 'Relance : factures échues',
$t$Madame, Monsieur,

Sauf erreur de notre part, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}}
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Il s'agit sans doute d'un oubli. Si votre règlement a croisé ce courrier, nous vous prions de ne pas en tenir compte ; dans le cas contraire, nous vous remercions de bien vouloir procéder au paiement dans les meilleurs délais.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('level_2', 'fr', 'letter', 'Deuxième relance : factures échues',
$t$Madame, Monsieur,

Malgré notre précédente relance, les pièces suivantes restaient impayées au {{reminder.date|date}} :

{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Nous vous prions de régler ce montant sous 10 jours, ou de nous contacter si une pièce vous semble contestable.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('level_3', 'fr', 'letter', 'Troisième relance : règlement exigé',
$t$Madame, Monsieur,

Nous vous avons relancé à deux reprises pour les pièces suivantes, toujours impayées au {{reminder.date|date}} :

{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Sans règlement sous 8 jours, nous engagerons les démarches nécessaires au recouvrement de notre créance.

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.
{{manager.name}}
$t$, true),
('final', 'fr', 'letter', 'Mise en demeure de payer',
$t$Madame, Monsieur,

MISE EN DEMEURE

Nos relances successives étant restées sans effet, nous vous mettons en demeure de régler, dans un délai de 8 jours à compter de la présente, les pièces suivantes, impayées au {{reminder.date|date}} :

{{#items}}  {{ref}} du {{doc_date|date}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours de retard)
{{/items}}
Total échu : {{reminder.total_overdue|money}} {{reminder.currency}}
{{#reminder.fees}}Frais : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}{{#reminder.compensation}}Indemnité forfaitaire pour frais de recouvrement : {{reminder.compensation|money}} {{reminder.currency}}
{{/reminder.compensation}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

À défaut de paiement dans ce délai, nous transmettrons le dossier pour recouvrement judiciaire, sans autre avis et à vos frais.

{{manager.name}}
$t$, true),
('level_1', 'fr', 'email', 'Relance : {{reminder.total|money}} {{reminder.currency}} échus',
$t$Madame, Monsieur,

Sauf erreur de notre part, {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus sur votre compte au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}}
{{/items}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Si vous avez déjà réglé, merci de ne pas tenir compte de ce message.

{{manager.name}}
$t$, true),
('level_2', 'fr', 'email', 'Deuxième relance : {{reminder.total|money}} {{reminder.currency}} échus',
$t$Madame, Monsieur,

Malgré notre relance, {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
{{#reminder.fees}}Frais de relance : {{reminder.fees|money}} {{reminder.currency}}
{{/reminder.fees}}{{#reminder.interest}}Pénalités de retard : {{reminder.interest|money}} {{reminder.currency}}
{{/reminder.interest}}Total à régler : {{reminder.total|money}} {{reminder.currency}}

Merci de régler sous 10 jours, ou de nous répondre si une pièce vous semble contestable.

{{manager.name}}
$t$, true),
('level_3', 'fr', 'email', 'Troisième relance : règlement exigé',
$t$Madame, Monsieur,

Nous vous avons relancé à deux reprises ; {{reminder.total_overdue|money}} {{reminder.currency}} restaient échus au {{reminder.date|date}} :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
Total à régler : {{reminder.total|money}} {{reminder.currency}}

Sans règlement sous 8 jours, nous engagerons les démarches de recouvrement.

{{manager.name}}
$t$, true),
('final', 'fr', 'email', 'Mise en demeure de payer',
$t$Madame, Monsieur,

Nos relances étant restées sans effet, nous vous mettons en demeure de régler {{reminder.total|money}} {{reminder.currency}} sous 8 jours :

{{#items}}- {{ref}}, échue le {{due_date|date}} : {{open_amount|money}} {{reminder.currency}} ({{days_overdue}} jours)
{{/items}}
À défaut, le dossier sera transmis pour recouvrement judiciaire sans autre avis.

{{manager.name}}
$t$, true),
('payment_plan', 'en', 'email', 'Your payment plan of {{plan.agreed_on|date}}',
$t$Dear {{customer.name}},

As agreed on {{plan.agreed_on|date}}, you will pay {{plan.total|money}} {{plan.currency}} in {{plan.installments}} installments:

{{#installments}}- {{due_on|date}}: {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Note: {{plan.note}}
{{/plan.note}}
While the installments are paid on time, we will send no reminder for these items. A missed installment ends the plan.

{{manager.name}}
$t$, true),
('payment_plan', 'fr', 'email', 'Votre échéancier de paiement du {{plan.agreed_on|date}}',
$t$Madame, Monsieur,

Comme convenu le {{plan.agreed_on|date}}, vous réglerez {{plan.total|money}} {{plan.currency}} en {{plan.installments}} échéances :

{{#installments}}- {{due_on|date}} : {{amount|money}} {{plan.currency}}
{{/installments}}
{{#plan.note}}Note : {{plan.note}}
{{/plan.note}}
Tant que les échéances sont respectées, nous ne vous adresserons aucune relance pour ces pièces. Une échéance manquée met fin à l'échéancier.

{{manager.name}}
$t$, true);

-------------------------------------------------------------------------------
-- Item status, reminder proposal, issuing (SPEC 4.3, 4.4, 5)
--
-- _items(as_of, ...) judges every open entry once: its hold (an item
-- exclusion), its escalation (src/escalation.c), the level it would be
-- dunned at, and, per customer and currency, the letter it would be on.
-- item_status, reminder_proposal_item, reminder_proposal and
-- issue_reminders read it.
-------------------------------------------------------------------------------

-- private: the open entries on a day, for the proposal.  Like open_items,
-- but as two disjoint sets: the entries open now that no allocation dated
-- after the day touches, and the entries such allocations touch (open now
-- or reopened by them).  Each set is filtered where it is read, so the
-- planner never sorts or joins the whole ledger.
CREATE FUNCTION @extschema@._open_entries(as_of date)
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
    as_of               date
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
WITH back AS MATERIALIZED (
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
)
-- open now, and no allocation dated after the day
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date, coalesce(e.due_date, e.doc_date),
       e.currency, e.amount, e.open_amount,
       CASE WHEN e.amount OPERATOR(pg_catalog.>) 0
            THEN (SELECT @extschema@._as_of_arg($1)) OPERATOR(pg_catalog.-) coalesce(e.due_date, e.doc_date) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source, e.level,
       e.reminder_count, e.last_reminded_on, (SELECT @extschema@._as_of_arg($1))
  FROM @extschema@.entry e
 -- (SELECT _as_of_arg($1)) is an init plan: checked and computed once
 WHERE e.doc_date OPERATOR(pg_catalog.<=) (SELECT @extschema@._as_of_arg($1))
   AND e.open_amount OPERATOR(pg_catalog.<>) 0
   AND NOT EXISTS (SELECT 1 FROM back b
                    WHERE b.customer_id OPERATOR(pg_catalog.=) e.customer_id
                      AND b.entry_id OPERATOR(pg_catalog.=) e.entry_id)
UNION ALL
-- allocations dated after the day give back what they took
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date, coalesce(e.due_date, e.doc_date),
       e.currency, e.amount, e.open_amount OPERATOR(pg_catalog.+) b.back,
       CASE WHEN e.amount OPERATOR(pg_catalog.>) 0
            THEN (SELECT @extschema@._as_of_arg($1)) OPERATOR(pg_catalog.-) coalesce(e.due_date, e.doc_date) END,
       e.status, e.disputed_amount, e.excluded, e.payment_method, e.source, e.level,
       e.reminder_count, e.last_reminded_on, (SELECT @extschema@._as_of_arg($1))
  FROM back b
  JOIN @extschema@.entry e ON e.customer_id OPERATOR(pg_catalog.=) b.customer_id
                          AND e.entry_id OPERATOR(pg_catalog.=) b.entry_id
 WHERE e.doc_date OPERATOR(pg_catalog.<=) (SELECT @extschema@._as_of_arg($1))
   AND e.open_amount OPERATOR(pg_catalog.+) b.back OPERATOR(pg_catalog.<>) 0
$$;

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
AS $$
SELECT o.customer_id, o.entry_id, o.kind, o.ref, o.doc_date, o.due_date,
       o.currency, o.amount, o.open_amount, o.days_overdue, o.status,
       o.disputed_amount, o.payment_method, o.source, o.level,
       o.reminder_count, o.last_reminded_on,
       c.policy_id, c.manager_id, p.statement, p.min_balance,
       c.name, c.language, c.is_consumer, p.currency,
       p.interest_regime, p.interest_rate, p.day_count, p.compensation,
       p.post_charges, c.reminder_count, c.last_reminded_on, c.level,
       x.hold, x.esc, x.customer_blocked, x.customer_interval, o.as_of,
       x.dun_level, x.claimable, $2 IS NOT NULL
  FROM @extschema@._open_entries($1) o
  JOIN @extschema@.customer c
    ON c.customer_id OPERATOR(pg_catalog.=) o.customer_id
  LEFT JOIN @extschema@.policy p
    ON p.policy_id OPERATOR(pg_catalog.=) c.policy_id
  -- items under an open promise not yet due, or in an active plan with no
  -- missed installment (a promise is named first)
  LEFT JOIN (SELECT h.customer_id, h.entry_id, pg_catalog.max(h.kind) AS kind
               FROM (SELECT pr.customer_id, u.entry_id, 'promise' AS kind
                       FROM @extschema@.promise pr,
                            pg_catalog.unnest(pr.entry_ids) u(entry_id)
                      WHERE pr.status OPERATOR(pg_catalog.=) 'open'
                        AND pr.made_on OPERATOR(pg_catalog.<=) $1
                        AND pr.promised_on OPERATOR(pg_catalog.>=) $1
                     UNION ALL
                     SELECT pp.customer_id, u.entry_id, 'payment_plan'
                       FROM @extschema@.payment_plan pp,
                            pg_catalog.unnest(pp.entry_ids) u(entry_id)
                      WHERE pp.status OPERATOR(pg_catalog.=) 'active'
                        AND pp.agreed_on OPERATOR(pg_catalog.<=) $1
                        -- missed: an installment's day has passed and the
                        -- payments lettered to the plan's items since it was
                        -- agreed do not cover the installments due so far
                        AND NOT EXISTS (
                            SELECT 1 FROM @extschema@.installment i
                             WHERE i.customer_id OPERATOR(pg_catalog.=) pp.customer_id
                               AND i.plan_id OPERATOR(pg_catalog.=) pp.plan_id
                               AND i.due_on OPERATOR(pg_catalog.<) $1
                               AND (SELECT pg_catalog.sum(i2.amount) FROM @extschema@.installment i2
                                     WHERE i2.customer_id OPERATOR(pg_catalog.=) pp.customer_id
                                       AND i2.plan_id OPERATOR(pg_catalog.=) pp.plan_id
                                       AND i2.seq OPERATOR(pg_catalog.<=) i.seq)
                                   OPERATOR(pg_catalog.>)
                                   (SELECT coalesce(pg_catalog.sum(a.amount), 0) FROM @extschema@.allocation a
                                     WHERE a.customer_id OPERATOR(pg_catalog.=) pp.customer_id
                                       AND a.debit_id OPERATOR(pg_catalog.=) ANY (pp.entry_ids)
                                       AND a.allocated_on OPERATOR(pg_catalog.>=) pp.agreed_on
                                       AND a.allocated_on OPERATOR(pg_catalog.<=) $1))) h
              GROUP BY h.customer_id, h.entry_id) ph
    ON ph.customer_id OPERATOR(pg_catalog.=) o.customer_id
   AND ph.entry_id OPERATOR(pg_catalog.=) o.entry_id
  -- The judgement of the item, in two steps that read each other.  OFFSET 0
  -- keeps each step a step: the planner would otherwise copy hold and esc
  -- into every expression that reads them (and evaluate them each time).
  -- Being lateral, the steps leave a filter on the customer free to reach
  -- the ledger's index.
  CROSS JOIN LATERAL (
        SELECT k.hold, k.esc, k.customer_blocked, k.customer_interval,
               CASE WHEN o.amount OPERATOR(pg_catalog.<=) 0
                      OR k.hold IS NOT NULL OR k.customer_blocked THEN NULL
                    WHEN $4 IS NOT NULL
                     AND NOT coalesce(o.payment_method OPERATOR(pg_catalog.=) ANY ($4), false)
                    THEN NULL
                    WHEN $2 IS NOT NULL
                    THEN CASE WHEN o.days_overdue OPERATOR(pg_catalog.>) 0
                               AND o.level OPERATOR(pg_catalog.<) $2
                               AND k.esc OPERATOR(pg_catalog.<>) 0 THEN $2 END
                    WHEN k.esc OPERATOR(pg_catalog.>) 0 THEN k.esc
                    WHEN $3 AND o.level OPERATOR(pg_catalog.>=) 1
                     AND o.days_overdue OPERATOR(pg_catalog.>) 0
                     AND k.esc OPERATOR(pg_catalog.<=) -3 THEN o.level
               END AS dun_level,
               -- what a letter may claim: overdue items nothing holds back
               -- (and those a courtesy level reminds before they are due),
               -- less the disputed part, less the open credits
               CASE WHEN o.amount OPERATOR(pg_catalog.<) 0 THEN o.open_amount
                    WHEN (o.days_overdue OPERATOR(pg_catalog.>) 0 OR k.esc OPERATOR(pg_catalog.>) 0)
                     AND k.hold IS NULL
                    THEN greatest(o.open_amount OPERATOR(pg_catalog.-)
                                  CASE WHEN o.status OPERATOR(pg_catalog.=) 'disputed'
                                       THEN coalesce(o.disputed_amount, 0) ELSE 0 END,
                                  0)
                    ELSE 0 END AS claimable
          FROM (SELECT CASE WHEN o.amount OPERATOR(pg_catalog.<=) 0 OR p.policy_id IS NULL THEN NULL
                            WHEN o.excluded THEN 'excluded'
                            WHEN o.source OPERATOR(pg_catalog.=) ANY (p.excluded_sources) THEN 'source_excluded'
                            WHEN o.payment_method OPERATOR(pg_catalog.=) ANY (p.excluded_methods) THEN 'method_excluded'
                            WHEN o.status OPERATOR(pg_catalog.=) 'disputed'
                             AND (o.disputed_amount IS NULL
                                  OR o.disputed_amount OPERATOR(pg_catalog.>=) o.open_amount) THEN 'disputed'
                            WHEN o.status OPERATOR(pg_catalog.=) 'blocked'
                              OR o.status OPERATOR(pg_catalog.=) 'litigation' THEN 'blocked'
                            WHEN ph.kind IS NOT NULL THEN ph.kind
                       END AS hold,
                       CASE WHEN o.amount OPERATOR(pg_catalog.>) 0
                            THEN @extschema@._escalate(c.policy_id, o.days_overdue, o.level,
                                                       o.last_reminded_on, o.as_of) END AS esc,
                       coalesce(c.blocked_until OPERATOR(pg_catalog.>=) o.as_of, false) AS customer_blocked,
                       NOT $3 AND $2 IS NULL AND c.last_reminded_on IS NOT NULL
                       AND o.as_of OPERATOR(pg_catalog.-) c.last_reminded_on
                           OPERATOR(pg_catalog.<) greatest(p.min_interval_days, 1) AS customer_interval
                OFFSET 0) k
        OFFSET 0) x
$$;

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
AS $$
SELECT w.customer_id, w.entry_id, w.kind, w.ref, w.doc_date, w.due_date, w.currency,
       w.amount, w.open_amount, w.days_overdue, w.status, w.disputed_amount,
       w.payment_method, w.source, w.level, w.reminder_count, w.last_reminded_on,
       w.policy_id, w.manager_id, w.statement, w.hold, w.esc, w.dun_level, w.claimable,
       w.letter_level, w.overdue_total, w.min_balance, w.customer_blocked,
       w.customer_interval, w.on_letter,
       CASE WHEN w.amount OPERATOR(pg_catalog.<=) 0 THEN NULL
            WHEN w.hold IS NOT NULL THEN w.hold
            WHEN w.customer_blocked THEN 'customer_blocked'
            WHEN w.dun_level IS NULL
            THEN coalesce((ARRAY['excluded','not_due','grace','last_level','below_min_days','interval'])
                              [1 OPERATOR(pg_catalog.-) w.esc],
                          CASE WHEN w.days_overdue OPERATOR(pg_catalog.<=) 0 THEN 'not_due'
                               ELSE 'last_level' END)
            WHEN w.customer_interval THEN 'customer_interval'
            WHEN NOT w.on_letter THEN 'below_min_balance'
            ELSE 'proposed' END,
       w.customer_reminders, w.customer_last, w.customer_level, w.as_of,
       w.name, w.language, w.is_consumer, w.policy_currency, w.interest_regime,
       w.interest_rate, w.day_count, w.compensation, w.post_charges
  FROM (SELECT t.*,
               t.letter_level IS NOT NULL
               AND NOT t.customer_interval
               AND t.overdue_total OPERATOR(pg_catalog.>) 0
               AND (t.force OR t.overdue_total OPERATOR(pg_catalog.>=)
                    greatest(t.min_balance,
                             @extschema@._level_min(t.policy_id, t.letter_level, t.currency)))
               AS on_letter
          FROM (SELECT d.*,
                       CASE WHEN pg_catalog.max(d.dun_level) OVER c IS NOT NULL
                            THEN coalesce($2, pg_catalog.max(d.dun_level) OVER c) END AS letter_level,
                       pg_catalog.sum(d.claimable) OVER c AS overdue_total
                  FROM @extschema@._judged($1, $2, $3, $4) d
                -- by customer first, so that a filter on customer_id reaches
                -- the ledger's index
                WINDOW c AS (PARTITION BY d.customer_id, d.currency)) t) w
$$;

-------------------------------------------------------------------------------
-- item_status: every open debit with the level it is due for, or the one
-- reason that holds it back, and that reason in a sentence.
-------------------------------------------------------------------------------

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
AS $$
SELECT i.customer_id, i.entry_id, i.kind, i.ref, i.doc_date, i.due_date, i.currency,
       i.amount, i.open_amount, i.days_overdue, i.status, i.level, i.reminder_count,
       i.last_reminded_on, i.dun_level, i.reason,
       CASE WHEN i.reason OPERATOR(pg_catalog.=) 'excluded' AND i.hold IS NOT NULL
            THEN 'the item is marked excluded'
            WHEN i.reason OPERATOR(pg_catalog.=) 'source_excluded'
            THEN pg_catalog.format('source %s is excluded by policy %s', i.source, i.policy_id)
            WHEN i.reason OPERATOR(pg_catalog.=) 'method_excluded'
            THEN pg_catalog.format('payment method %s is excluded by policy %s', i.payment_method, i.policy_id)
            WHEN i.reason OPERATOR(pg_catalog.=) 'disputed'
            THEN 'the item is disputed'
            WHEN i.reason OPERATOR(pg_catalog.=) 'blocked'
            THEN pg_catalog.format('the item is %s', CASE WHEN i.status OPERATOR(pg_catalog.=) 'litigation'
                                                          THEN 'in litigation' ELSE 'blocked' END)
            WHEN i.reason OPERATOR(pg_catalog.=) 'promise'
            THEN 'an open promise to pay covers the item'
            WHEN i.reason OPERATOR(pg_catalog.=) 'payment_plan'
            THEN 'a payment plan with no missed installment covers the item'
            WHEN i.reason OPERATOR(pg_catalog.=) 'customer_blocked'
            THEN (SELECT pg_catalog.format('the customer is blocked until %s%s', c.blocked_until,
                                           ': ' OPERATOR(pg_catalog.||) c.block_reason)
                    FROM @extschema@.customer c
                   WHERE c.customer_id OPERATOR(pg_catalog.=) i.customer_id)
            WHEN i.reason OPERATOR(pg_catalog.=) 'customer_interval'
            THEN pg_catalog.format('level %s is due, but the customer was reminded on %s; policy %s waits %s days between letters',
                                   i.dun_level, i.customer_last, i.policy_id,
                                   (SELECT greatest(p.min_interval_days, 1) FROM @extschema@.policy p
                                     WHERE p.policy_id OPERATOR(pg_catalog.=) i.policy_id))
            WHEN i.reason OPERATOR(pg_catalog.=) 'below_min_balance'
            THEN pg_catalog.format('level %s is due, but the overdue total %s %s is under the minimum %s',
                                   i.dun_level, i.overdue_total, i.currency,
                                   greatest(i.min_balance,
                                            @extschema@._level_min(i.policy_id, i.letter_level, i.currency)))
            ELSE @extschema@._escalate_note(i.policy_id, i.days_overdue, i.level,
                                             i.last_reminded_on, i.as_of)
       END,
       i.letter_level, i.overdue_total, i.policy_id, i.manager_id, i.as_of
  FROM @extschema@._items($1, NULL, false, NULL) i
 WHERE i.amount OPERATOR(pg_catalog.>) 0
$$;
COMMENT ON FUNCTION @extschema@.item_status(date) IS
    'every open debit on a day: the level it is due for, or the reason it is held back';

CREATE VIEW @extschema@.item_status AS
    SELECT * FROM @extschema@.item_status(@extschema@.as_of());
COMMENT ON VIEW @extschema@.item_status IS
    'every open debit as of dunning.as_of(): next level, reason code and explanation';

-------------------------------------------------------------------------------
-- The proposal: the items of each letter to send, then the letters.
-------------------------------------------------------------------------------

-- private: the interest and the flat compensation a letter charges on an
-- item it dunns at a level (NULL: an item it only lists).
--   interest: on an overdue invoice, when that level charges interest and
--   the policy has a regime; on the open amount to the day, and on each
--   payment dated after the due date until its date (the open amount falls
--   at each payment); from the due date, or with post_charges from the last
--   reminder that charged interest on the item; rounded once.
--   compensation: once per late invoice, never to consumers, in the
--   policy's currency.
-- A table function, so that the planner inlines it into the query.
CREATE FUNCTION @extschema@._item_charges(customer_id text, entry_id bigint, kind text,
                                          days_overdue integer, open_amount numeric,
                                          due_date date, currency text, as_of date,
                                          policy_id text, level integer,
                                          policy_currency text, regime text,
                                          annual_rate numeric, day_count text,
                                          post_charges boolean, compensation numeric,
                                          is_consumer boolean)
RETURNS TABLE (interest numeric, compensation numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT CASE WHEN $10 IS NOT NULL AND $3 OPERATOR(pg_catalog.=) 'invoice'
             AND $4 OPERATOR(pg_catalog.>) 0 AND $12 IS NOT NULL
             AND @extschema@._level_interest($9, $10)
            THEN pg_catalog.round(
                   @extschema@._late_interest($5, f.from_date, $8, $12, $13, $14)
                   OPERATOR(pg_catalog.+)
                   coalesce((SELECT pg_catalog.sum(@extschema@._late_interest(
                                        a.amount, f.from_date, a.allocated_on, $12, $13, $14))
                               FROM @extschema@.allocation a
                              WHERE a.customer_id OPERATOR(pg_catalog.=) $1
                                AND a.debit_id OPERATOR(pg_catalog.=) $2
                                AND a.allocated_on OPERATOR(pg_catalog.>) f.from_date
                                AND a.allocated_on OPERATOR(pg_catalog.<=) $8), 0),
                   2)
            ELSE 0 END,
       CASE WHEN $10 IS NOT NULL AND $3 OPERATOR(pg_catalog.=) 'invoice'
             AND $4 OPERATOR(pg_catalog.>) 0
             AND $16 OPERATOR(pg_catalog.>) 0 AND NOT $17
             AND $7 OPERATOR(pg_catalog.=) $11
             AND NOT EXISTS (SELECT 1
                               FROM @extschema@.reminder_line rl
                               JOIN @extschema@.reminder r
                                 ON r.customer_id OPERATOR(pg_catalog.=) rl.customer_id
                                AND r.reminder_id OPERATOR(pg_catalog.=) rl.reminder_id
                              WHERE rl.customer_id OPERATOR(pg_catalog.=) $1
                                AND rl.entry_id OPERATOR(pg_catalog.=) $2
                                AND rl.compensation OPERATOR(pg_catalog.>) 0
                                AND r.status OPERATOR(pg_catalog.<>) 'cancelled')
            THEN $16 ELSE 0 END
  FROM (SELECT CASE WHEN $15
                    THEN greatest($6,
                                  (SELECT pg_catalog.max(r.as_of)
                                     FROM @extschema@.reminder_line rl
                                     JOIN @extschema@.reminder r
                                       ON r.customer_id OPERATOR(pg_catalog.=) rl.customer_id
                                      AND r.reminder_id OPERATOR(pg_catalog.=) rl.reminder_id
                                    WHERE rl.customer_id OPERATOR(pg_catalog.=) $1
                                      AND rl.entry_id OPERATOR(pg_catalog.=) $2
                                      AND rl.interest OPERATOR(pg_catalog.>) 0
                                      AND r.status OPERATOR(pg_catalog.<>) 'cancelled'))
                    ELSE $6 END AS from_date) f
$$;

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
AS $$
SELECT x.*,
       (pg_catalog.count(*) OVER w)::integer,
       (pg_catalog.count(*) FILTER (WHERE x.dunned) OVER w)::integer,
       pg_catalog.sum(x.interest) OVER w,
       pg_catalog.sum(x.compensation) OVER w,
       pg_catalog.row_number() OVER w
  FROM (
SELECT i.customer_id, i.currency, i.letter_level, i.entry_id, i.kind, i.ref, i.doc_date,
       i.due_date, i.days_overdue, i.amount, i.open_amount, i.level,
       coalesce(i.dun_level, i.level) AS new_level, i.dun_level IS NOT NULL AS dunned, i.reason,
       ch.interest, ch.compensation,
       i.overdue_total, i.policy_id, i.manager_id, i.customer_reminders, i.customer_last,
       i.customer_level, i.as_of,
       i.name, i.language, i.post_charges,
       @extschema@._level_fee(i.policy_id, i.letter_level, i.currency)
  FROM @extschema@._items($1, $2, $3, $4) i
 CROSS JOIN LATERAL @extschema@._item_charges(
        i.customer_id, i.entry_id, i.kind, i.days_overdue, i.open_amount, i.due_date,
        i.currency, i.as_of, i.policy_id, i.dun_level, i.policy_currency, i.interest_regime,
        i.interest_rate, i.day_count, i.post_charges, i.compensation, i.is_consumer) ch
 WHERE i.on_letter
   AND (i.dun_level IS NOT NULL
        OR i.statement OPERATOR(pg_catalog.=) 'account'
        OR i.amount OPERATOR(pg_catalog.<) 0
        OR i.days_overdue OPERATOR(pg_catalog.>) 0)
       ) x
WINDOW w AS (PARTITION BY x.customer_id, x.currency)
$$;

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
AS $$
SELECT li.customer_id, li.currency, li.letter_level, li.entry_id, li.kind, li.ref,
       li.doc_date, li.due_date, li.days_overdue, li.amount, li.open_amount,
       li.current_level, li.new_level, li.dunned, li.reason, li.interest,
       li.compensation, li.as_of
  FROM @extschema@._letter_items($1, NULL, false, NULL) li
$$;
COMMENT ON FUNCTION @extschema@.reminder_proposal_item(date) IS
    'the items of each letter the proposal of a day would send';

CREATE VIEW @extschema@.reminder_proposal_item AS
    SELECT * FROM @extschema@.reminder_proposal_item(@extschema@.as_of());
COMMENT ON VIEW @extschema@.reminder_proposal_item IS
    'the items of each proposed letter as of dunning.as_of(); dunned items move to new_level';

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
AS $$
-- One pass: the judged items summed per customer and currency, then the
-- letter's rules (the same as _items', which item_status and issuing use;
-- the regression tests check that both agree).
SELECT g.customer_id COLLATE pg_catalog."default", g.name, g.currency COLLATE pg_catalog."default",
       g.letter_level, l.channel,
       coalesce(l.template, CASE WHEN l.final THEN 'final'
                                 ELSE 'level_' OPERATOR(pg_catalog.||) least(g.letter_level, 3)::text END),
       g.items, g.dunned_items, g.overdue_total, f.fee, g.interest, g.compensation,
       g.overdue_total OPERATOR(pg_catalog.+) f.fee OPERATOR(pg_catalog.+) g.interest
           OPERATOR(pg_catalog.+) g.compensation,
       g.manager_id, g.policy_id, g.as_of
  FROM (SELECT j.customer_id COLLATE "C" AS customer_id, j.currency COLLATE "C" AS currency,
               j.name, j.manager_id, j.policy_id,
               pg_catalog.max(j.dun_level) AS letter_level,
               pg_catalog.sum(j.claimable) AS overdue_total,
               (pg_catalog.count(*) FILTER (
                    WHERE j.dun_level IS NOT NULL OR j.statement OPERATOR(pg_catalog.=) 'account'
                       OR j.amount OPERATOR(pg_catalog.<) 0
                       OR j.days_overdue OPERATOR(pg_catalog.>) 0))::integer AS items,
               (pg_catalog.count(*) FILTER (WHERE j.dun_level IS NOT NULL))::integer AS dunned_items,
               pg_catalog.sum(ch.interest) AS interest,
               pg_catalog.sum(ch.compensation) AS compensation,
               pg_catalog.bool_or(j.customer_interval) AS customer_interval,
               pg_catalog.max(j.min_balance) AS min_balance,
               pg_catalog.max(j.as_of) AS as_of
          FROM @extschema@._judged($1, NULL, false, NULL) j
         CROSS JOIN LATERAL @extschema@._item_charges(
                j.customer_id, j.entry_id, j.kind, j.days_overdue, j.open_amount, j.due_date,
                j.currency, j.as_of, j.policy_id, j.dun_level, j.policy_currency, j.interest_regime,
                j.interest_rate, j.day_count, j.post_charges, j.compensation, j.is_consumer) ch
         -- groups need no linguistic order: bytes sort faster.  Name,
         -- manager and policy are the customer's: grouping by them costs
         -- less than looking them up again.
         GROUP BY j.customer_id COLLATE "C", j.currency COLLATE "C", j.name, j.manager_id,
                  j.policy_id) g
  JOIN @extschema@.level l ON l.policy_id OPERATOR(pg_catalog.=) g.policy_id
                          AND l.level OPERATOR(pg_catalog.=) g.letter_level,
       LATERAL (SELECT @extschema@._level_fee(g.policy_id, g.letter_level, g.currency) AS fee) f
 WHERE g.letter_level IS NOT NULL
   AND NOT g.customer_interval
   AND g.overdue_total OPERATOR(pg_catalog.>) 0
   AND g.overdue_total OPERATOR(pg_catalog.>=)
       greatest(g.min_balance, @extschema@._level_min(g.policy_id, g.letter_level, g.currency))
$$;
COMMENT ON FUNCTION @extschema@.reminder_proposal(date) IS
    'one row per letter the proposal of a day would send';

CREATE VIEW @extschema@.reminder_proposal AS
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
AS $$
SELECT o.currency, o.level, pg_catalog.count(DISTINCT o.customer_id), pg_catalog.count(*),
       pg_catalog.sum(o.open_amount), $1
  FROM @extschema@.open_items($1) o
 WHERE o.days_overdue OPERATOR(pg_catalog.>) 0
 GROUP BY o.currency, o.level
$$;
COMMENT ON FUNCTION @extschema@.overdue_by_level(date) IS
    'overdue items on a day by currency and current reminder level (0: never reminded)';

CREATE VIEW @extschema@.overdue_by_level AS
    SELECT * FROM @extschema@.overdue_by_level(@extschema@.as_of());
COMMENT ON VIEW @extschema@.overdue_by_level IS
    'overdue items as of dunning.as_of() by currency and reminder level: customers, items, amount';

CREATE VIEW @extschema@.outbox AS
SELECT r.customer_id, r.reminder_id, NULL::bigint AS message_id, 'reminder' AS kind,
       r.channel, r.status, c.name, c.email,
       r.language, r.subject, r.body, r.level, r.currency, r.total_overdue,
       r.fees, r.interest, r.compensation,
       r.total_overdue OPERATOR(pg_catalog.+) r.fees OPERATOR(pg_catalog.+) r.interest
           OPERATOR(pg_catalog.+) r.compensation AS total,
       r.as_of, r.created_at, c.manager_id
  FROM @extschema@.reminder r
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) r.customer_id
 WHERE (r.status OPERATOR(pg_catalog.=) 'queued' AND r.channel OPERATOR(pg_catalog.=) 'email')
    OR (r.status OPERATOR(pg_catalog.=) 'issued'
        AND (r.channel OPERATOR(pg_catalog.=) 'letter' OR r.channel OPERATOR(pg_catalog.=) 'legal'))
UNION ALL
SELECT m.customer_id, NULL, m.message_id, m.kind, m.channel, m.status, c.name, c.email,
       m.language, m.subject, m.body, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       m.created_at::date, m.created_at, c.manager_id
  FROM @extschema@.message m
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) m.customer_id
 WHERE m.status OPERATOR(pg_catalog.=) 'queued';
COMMENT ON VIEW @extschema@.outbox IS
    'reminders waiting to be emailed (queued) or printed (issued letters), and other messages queued (payment plan confirmations); dunning.mark_sent takes them out';
CREATE INDEX reminder_outbox_idx ON @extschema@.reminder (created_at)
    WHERE status OPERATOR(pg_catalog.=) 'queued' OR status OPERATOR(pg_catalog.=) 'issued';

-------------------------------------------------------------------------------
-- Issuing, cancelling and sending reminders
-------------------------------------------------------------------------------

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
AS $$
SELECT t.subject, t.body
  FROM @extschema@.template t
 WHERE t.key OPERATOR(pg_catalog.=) $1
   AND t.language OPERATOR(pg_catalog.=) ANY (ARRAY[$2, pg_catalog.left($2, 2), 'en'])
   AND t.channel OPERATOR(pg_catalog.=) ANY (ARRAY[$3, 'letter'])
 ORDER BY t.language OPERATOR(pg_catalog.=) $2 DESC,
          t.language OPERATOR(pg_catalog.=) pg_catalog.left($2, 2) DESC,
          t.channel OPERATOR(pg_catalog.=) $3 DESC
 LIMIT 1
$$;

-- private: an array argument is NULL (all), or holds values and no NULL
CREATE FUNCTION @extschema@._check_array(value anyarray, name text, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.cardinality(value) OPERATOR(pg_catalog.=) 0 THEN
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
    d           date := issue_reminders.as_of;
    v_customers text[] := issue_reminders.customers;
    v_methods   text[] := issue_reminders.payment_methods;
    v_min       numeric := issue_reminders.min_amount;
    v_level     integer := issue_reminders.level;
    v_reissue   boolean := issue_reminders.reissue;
    v_manager   text := issue_reminders.manager_id;
    v_dry       boolean := issue_reminders.dry_run;
    v_run       bigint;
    v_bad       text;
    v_date      date;
    v_count     integer;
BEGIN
    -- the arguments
    IF d IS NULL OR v_reissue IS NULL OR v_dry IS NULL THEN
        RAISE EXCEPTION 'as_of, reissue and dry_run must not be null'
            USING ERRCODE = '22004',
                  DETAIL = 'Leave them out for their defaults: dunning.as_of(), false, false.';
    END IF;
    IF d OPERATOR(pg_catalog.>) CURRENT_DATE THEN
        RAISE EXCEPTION 'cannot issue reminders as of %, a day to come', d
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Reminders are issued as of today (%s) or a day before.', CURRENT_DATE);
    END IF;
    IF v_customers IS NOT NULL THEN
        PERFORM @extschema@._check_array(v_customers, 'customers', 'a customer_id');
        SELECT u INTO v_bad
          FROM pg_catalog.unnest(v_customers) u
         WHERE NOT EXISTS (SELECT 1 FROM @extschema@.customer c
                            WHERE c.customer_id OPERATOR(pg_catalog.=) u)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'unknown customer "%"', v_bad
                USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
        END IF;
    END IF;
    IF v_methods IS NOT NULL THEN
        PERFORM @extschema@._check_array(v_methods, 'payment_methods', 'a payment method such as ''transfer''');
    END IF;
    IF v_min OPERATOR(pg_catalog.<) 0 OR v_min OPERATOR(pg_catalog.=) 'NaN'::numeric THEN
        RAISE EXCEPTION 'min_amount must be 0 or more'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('min_amount is %s; letters whose overdue total is under it are not issued.', v_min);
    END IF;
    IF v_level OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'level must be 1 or more'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('level is %s; levels are numbered from 1.', v_level);
    END IF;
    IF v_manager IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM @extschema@.credit_manager m
             WHERE m.manager_id OPERATOR(pg_catalog.=) v_manager) THEN
        RAISE EXCEPTION 'unknown credit manager "%"', v_manager
            USING ERRCODE = '22023', DETAIL = 'Table dunning.credit_manager has no such manager_id.';
    END IF;
    IF v_level IS NOT NULL THEN
        SELECT c.policy_id INTO v_bad
          FROM @extschema@.customer c
         WHERE (v_customers IS NULL OR c.customer_id OPERATOR(pg_catalog.=) ANY (v_customers))
           AND (v_manager IS NULL OR c.manager_id OPERATOR(pg_catalog.=) v_manager)
           AND c.policy_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM @extschema@.level l
                            WHERE l.policy_id OPERATOR(pg_catalog.=) c.policy_id
                              AND l.level OPERATOR(pg_catalog.=) v_level)
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
     WHERE (v_customers IS NULL OR c.customer_id OPERATOR(pg_catalog.=) ANY (v_customers))
       AND (v_manager IS NULL OR c.manager_id OPERATOR(pg_catalog.=) v_manager)
       AND c.last_reminded_on OPERATOR(pg_catalog.>) d
     ORDER BY c.customer_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'customer % was reminded on %, after %', v_bad, v_date, d
            USING ERRCODE = '55000',
                  DETAIL = 'Reminders are issued in date order: a run as of a day cannot come after one as of a later day.',
                  HINT = 'Issue as of that day or later, or leave the customer out.';
    END IF;

    IF NOT v_dry THEN
        INSERT INTO @extschema@.run (as_of, options, dry_run)
        VALUES (d, pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                    'customers', v_customers, 'payment_methods', v_methods,
                    'min_amount', v_min, 'level', v_level, 'reissue', v_reissue,
                    'manager_id', v_manager)),
                false)
        RETURNING run_id INTO v_run;
    END IF;

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
     WHERE (v_customers IS NULL OR li.customer_id OPERATOR(pg_catalog.=) ANY (v_customers))
       AND (v_manager IS NULL OR li.manager_id OPERATOR(pg_catalog.=) v_manager)
       AND (v_min IS NULL OR li.overdue_total OPERATOR(pg_catalog.>=) v_min);
    ANALYZE pg_temp.dunning_issue_items;

    -- one row per letter, with the ids it takes
    CREATE TEMP TABLE dunning_issue_letters ON COMMIT DROP AS
    SELECT li.*, lv.channel, lv.final,
           coalesce(lv.template,
                    CASE WHEN lv.final THEN 'final'
                         ELSE 'level_' OPERATOR(pg_catalog.||) least(li.letter_level, 3)::text END) AS template,
           li.overdue_total OPERATOR(pg_catalog.+) li.fees OPERATOR(pg_catalog.+) li.letter_interest
               OPERATOR(pg_catalog.+) li.letter_compensation AS total,
           CASE WHEN v_dry THEN NULL
                ELSE pg_catalog.nextval('dunning.reminder_reminder_id_seq') END AS rid,
           CASE WHEN NOT v_dry AND li.post_charges AND li.fees OPERATOR(pg_catalog.>) 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS fee_entry,
           CASE WHEN NOT v_dry AND li.post_charges AND li.letter_interest OPERATOR(pg_catalog.>) 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS interest_entry,
           CASE WHEN NOT v_dry AND li.post_charges AND li.letter_compensation OPERATOR(pg_catalog.>) 0
                THEN pg_catalog.nextval('dunning.entry_entry_id_seq') END AS compensation_entry
      FROM pg_temp.dunning_issue_items li
      JOIN @extschema@.level lv ON lv.policy_id OPERATOR(pg_catalog.=) li.policy_id
                               AND lv.level OPERATOR(pg_catalog.=) li.letter_level
     WHERE li.letter_row OPERATOR(pg_catalog.=) 1;

    IF NOT v_dry THEN
        -- Lock the customers, in order.  A customer whose counters moved
        -- since the letters were computed was reminded by another session
        -- meanwhile: it is left out (READ COMMITTED re-reads the locked row
        -- and the condition no longer holds).
        CREATE TEMP TABLE dunning_issue_locked ON COMMIT DROP AS
        SELECT x.customer_id
          FROM (SELECT c.customer_id
                  FROM @extschema@.customer c
                  JOIN (SELECT DISTINCT l.customer_id, l.customer_reminders, l.customer_last,
                                        l.customer_level
                          FROM pg_temp.dunning_issue_letters l) s
                    ON s.customer_id OPERATOR(pg_catalog.=) c.customer_id
                 WHERE c.reminder_count OPERATOR(pg_catalog.=) s.customer_reminders
                   AND (c.last_reminded_on IS NULL) OPERATOR(pg_catalog.=) (s.customer_last IS NULL)
                   AND coalesce(c.last_reminded_on OPERATOR(pg_catalog.=) s.customer_last, true)
                   AND c.level OPERATOR(pg_catalog.=) s.customer_level
                 ORDER BY c.customer_id
                   FOR UPDATE OF c) x;
        DELETE FROM pg_temp.dunning_issue_letters l
         WHERE NOT EXISTS (SELECT 1 FROM pg_temp.dunning_issue_locked k
                            WHERE k.customer_id OPERATOR(pg_catalog.=) l.customer_id);
    END IF;
    ANALYZE pg_temp.dunning_issue_letters;

    -- the reminders, rendered in the customer's language
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
                   'language', l.language,
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
          JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) l.customer_id
          JOIN item_lists il ON il.customer_id OPERATOR(pg_catalog.=) l.customer_id
                            AND il.currency OPERATOR(pg_catalog.=) l.currency
          LEFT JOIN @extschema@.credit_manager m ON m.manager_id OPERATOR(pg_catalog.=) l.manager_id
          LEFT JOIN LATERAL @extschema@._template(l.template, l.language, l.channel) t ON true
    ), out_rows AS (
        SELECT r.customer_id, r.rid AS reminder_id, v_run AS run_id, r.as_of,
               r.letter_level AS level, r.channel, r.currency, r.language,
               r.overdue_total AS total_overdue, r.fees, r.letter_interest AS interest,
               r.letter_compensation AS compensation,
               CASE WHEN r.channel OPERATOR(pg_catalog.=) 'email' THEN 'queued' ELSE 'issued' END AS status,
               @extschema@.render(r.subject_tpl, r.context) AS subject,
               @extschema@.render(r.body_tpl, r.context) AS body,
               NULL::timestamptz AS sent_at, pg_catalog.now() AS created_at,
               CURRENT_USER::text AS created_by,
               pg_catalog.array_remove(ARRAY[r.fee_entry, r.interest_entry, r.compensation_entry],
                                       NULL::bigint) AS charge_entry_ids
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

    IF v_dry THEN
        RETURN;
    END IF;

    -- the lines: their triggers move the items' counters
    INSERT INTO @extschema@.reminder_line
        (customer_id, reminder_id, entry_id, level, days_overdue, open_amount,
         interest, compensation, dunned)
    SELECT i.customer_id, l.rid, i.entry_id, i.new_level, coalesce(i.days_overdue, 0),
           i.open_amount, i.interest, i.compensation, i.dunned
      FROM pg_temp.dunning_issue_items i
      JOIN pg_temp.dunning_issue_letters l
        ON l.customer_id OPERATOR(pg_catalog.=) i.customer_id
       AND l.currency OPERATOR(pg_catalog.=) i.currency;

    -- with post_charges, fees, interest and compensation on the account
    INSERT INTO @extschema@.entry
        (customer_id, entry_id, kind, ref, doc_date, due_date, amount, currency, source)
    SELECT l.customer_id, x.entry_id, x.kind,
           pg_catalog.format('reminder %s %s', l.rid, x.what), d, d, x.amount, l.currency, 'dunning'
      FROM pg_temp.dunning_issue_letters l,
           LATERAL (VALUES (l.fee_entry, 'fee', 'fee', l.fees),
                           (l.interest_entry, 'interest', 'interest', l.letter_interest),
                           (l.compensation_entry, 'fee', 'compensation', l.letter_compensation)
                   ) x(entry_id, kind, what, amount)
     WHERE x.entry_id IS NOT NULL;

    -- the history
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    SELECT l.customer_id, 'reminder',
           pg_catalog.format('level %s reminder (%s): %s %s overdue', l.letter_level, l.channel,
                             pg_catalog.round(l.overdue_total, 2), l.currency),
           pg_catalog.jsonb_build_object('reminder_id', l.rid, 'run_id', v_run,
                                         'level', l.letter_level, 'as_of', l.as_of)
      FROM pg_temp.dunning_issue_letters l;

    SELECT pg_catalog.count(*)::integer INTO v_count FROM pg_temp.dunning_issue_letters;
    UPDATE @extschema@.run SET reminders = v_count WHERE run_id OPERATOR(pg_catalog.=) v_run;

    -- the mailer listens: one notification per queued email
    PERFORM pg_catalog.pg_notify('dunning_outbox',
                pg_catalog.jsonb_build_object('customer_id', l.customer_id,
                                              'reminder_id', l.rid)::text)
       FROM pg_temp.dunning_issue_letters l
      WHERE l.channel OPERATOR(pg_catalog.=) 'email'
      ORDER BY l.customer_id, l.rid;
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
     WHERE x.customer_id OPERATOR(pg_catalog.=) $1
       AND x.reminder_id OPERATOR(pg_catalog.=) $2
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no reminder %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.reminder has no such row.';
    END IF;
    IF r.status OPERATOR(pg_catalog.=) 'cancelled' THEN
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
     WHERE e.customer_id OPERATOR(pg_catalog.=) $1
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (r.charge_entry_ids)
       AND e.open_amount OPERATOR(pg_catalog.<>) e.amount
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot cancel reminder % of customer %: its charge "%" is lettered', $2, $1, v_ref
            USING ERRCODE = '55000',
                  DETAIL = 'The fee and interest entries a reminder posted are deleted with it.',
                  HINT = 'Unletter the charge first.';
    END IF;
    DELETE FROM @extschema@.entry e
     WHERE e.customer_id OPERATOR(pg_catalog.=) $1
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (r.charge_entry_ids);
    UPDATE @extschema@.reminder x SET status = 'cancelled'
     WHERE x.customer_id OPERATOR(pg_catalog.=) $1
       AND x.reminder_id OPERATOR(pg_catalog.=) $2
    RETURNING * INTO r;
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, 'reminder_cancelled',
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
    IF r.status OPERATOR(pg_catalog.=) ANY ('{sent,printed}'::text[]) THEN
        RAISE EXCEPTION 'reminder % of customer % was already sent at %', $2, $1, r.sent_at
            USING ERRCODE = '55000', DETAIL = 'A reminder leaves the outbox once.';
    END IF;
    UPDATE @extschema@.reminder x
       SET status = CASE WHEN x.channel OPERATOR(pg_catalog.=) ANY ('{letter,legal}'::text[])
                         THEN 'printed' ELSE 'sent' END,
           sent_at = $3
     WHERE x.customer_id OPERATOR(pg_catalog.=) $1
       AND x.reminder_id OPERATOR(pg_catalog.=) $2
    RETURNING * INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_sent(text, bigint, timestamptz) IS
    'takes a reminder out of the outbox: sent (email, phone) or printed (letter, legal)';

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
    IF NOT EXISTS (SELECT 1 FROM @extschema@.customer c WHERE c.customer_id OPERATOR(pg_catalog.=) $1) THEN
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
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_ids IS NULL OR v_status IS NULL THEN
        RAISE EXCEPTION 'entry_ids and status must not be null'
            USING ERRCODE = '22004', DETAIL = 'Name the items and the status to give them.';
    END IF;
    PERFORM @extschema@._check_array(v_ids, 'entry_ids', 'an entry_id of the customer');
    IF NOT v_status OPERATOR(pg_catalog.=) ANY ('{open,disputed,blocked,litigation}'::text[]) THEN
        RAISE EXCEPTION 'status "%" cannot be set by set_status', v_status
            USING ERRCODE = '22023',
                  DETAIL = 'set_status sets open, disputed, blocked or litigation; a promise or a payment plan gives its status to its items.';
    END IF;
    IF v_disputed IS NOT NULL THEN
        IF v_status OPERATOR(pg_catalog.<>) 'disputed' OR pg_catalog.cardinality(v_ids) OPERATOR(pg_catalog.<>) 1 THEN
            RAISE EXCEPTION 'disputed_amount goes with status disputed and one item'
                USING ERRCODE = '22023',
                      DETAIL = 'A partial dispute names the disputed part of one invoice; the rest of it is still dunned.';
        END IF;
        IF v_disputed OPERATOR(pg_catalog.<=) 0 OR v_disputed OPERATOR(pg_catalog.=) 'NaN'::numeric
           OR v_disputed OPERATOR(pg_catalog.>) (SELECT e.amount FROM @extschema@.entry e
                                                  WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
                                                    AND e.entry_id OPERATOR(pg_catalog.=) v_ids[1]) THEN
            RAISE EXCEPTION 'disputed_amount % is not a part of the item', v_disputed
                USING ERRCODE = '22023',
                      DETAIL = 'The disputed part is more than 0 and at most the amount of the invoice.';
        END IF;
    END IF;
    SELECT u INTO v_bad
      FROM pg_catalog.unnest(v_ids) u
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.entry e
                        WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
                          AND e.entry_id OPERATOR(pg_catalog.=) u
                          AND e.amount OPERATOR(pg_catalog.>) 0)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'customer % has no debit %', v_customer, v_bad
            USING ERRCODE = '22023',
                  DETAIL = 'A status is given to the customer''s invoices, fees and interest (entries with a positive amount).';
    END IF;

    UPDATE @extschema@.entry e
       SET status = v_status,
           status_note = v_note,
           disputed_amount = CASE WHEN v_status OPERATOR(pg_catalog.=) 'disputed' THEN v_disputed END
     WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_ids);
    GET DIAGNOSTICS v_count = ROW_COUNT;

    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    SELECT v_customer, 'status',
           pg_catalog.format('%s %s%s%s',
                             pg_catalog.string_agg(coalesce(e.ref, e.entry_id::text), ', ' ORDER BY e.entry_id),
                             v_status,
                             ' (' OPERATOR(pg_catalog.||) v_disputed OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
                                 pg_catalog.min(e.currency) OPERATOR(pg_catalog.||) ')',
                             ': ' OPERATOR(pg_catalog.||) v_note),
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'entry_ids', v_ids, 'status', v_status, 'disputed_amount', v_disputed))
      FROM @extschema@.entry e
     WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_ids);
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
         WHERE c.customer_id OPERATOR(pg_catalog.=) $1;
        INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
        VALUES ($1, 'unblock', 'unblocked' OPERATOR(pg_catalog.||) coalesce(': ' OPERATOR(pg_catalog.||) $3, ''),
                '{}');
        RETURN;
    END IF;
    IF $3 IS NULL OR pg_catalog.btrim($3) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a block needs a reason'
            USING ERRCODE = '22004', DETAIL = 'The reason is shown with every item the block holds back.';
    END IF;
    IF $2 OPERATOR(pg_catalog.<) @extschema@.as_of() THEN
        RAISE EXCEPTION 'cannot block customer % until %, a day past', $1, $2
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('A block lasts until the as-of day (%s) or later; pass NULL to unblock.',
                                             @extschema@.as_of());
    END IF;
    UPDATE @extschema@.customer c SET blocked_until = $2, block_reason = $3
     WHERE c.customer_id OPERATOR(pg_catalog.=) $1;
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, 'block', pg_catalog.format('blocked until %s: %s', $2, $3),
            pg_catalog.jsonb_build_object('until', $2));
END
$$;
COMMENT ON FUNCTION @extschema@.block(text, date, text) IS
    'blocks a customer''s reminders until a day, with a reason; NULL until unblocks';

-- The history of each customer: what was done (reminders, cancellations,
-- status changes, blocks, ...) and the lettering groups, newest first.
CREATE VIEW @extschema@.customer_history AS
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
                            WHERE o.customer_id OPERATOR(pg_catalog.=) $1
                              AND o.entry_id OPERATOR(pg_catalog.=) u
                              AND o.amount OPERATOR(pg_catalog.>) 0)
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
     WHERE o.customer_id OPERATOR(pg_catalog.=) $1
       AND o.amount OPERATOR(pg_catalog.>) 0
       AND CASE WHEN $2 IS NULL THEN o.days_overdue OPERATOR(pg_catalog.>) 0
                ELSE o.entry_id OPERATOR(pg_catalog.=) ANY ($2) END
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
    v_activity  bigint;
    c           record;
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_channel IS NULL OR v_note IS NULL OR v_counts IS NULL THEN
        RAISE EXCEPTION 'channel, note and counts_as_reminder must not be null'
            USING ERRCODE = '22004', DETAIL = 'A contact says how the customer was reached and what was said.';
    END IF;
    IF NOT v_channel OPERATOR(pg_catalog.=) ANY ('{phone,visit,email,letter}'::text[]) THEN
        RAISE EXCEPTION 'unknown contact channel "%"', v_channel
            USING ERRCODE = '22023', DETAIL = 'A contact is a phone call, a visit, an email or a letter.';
    END IF;
    IF (v_promised IS NULL) OPERATOR(pg_catalog.<>) (v_amount IS NULL) THEN
        RAISE EXCEPTION 'a promise needs both promised_on and promised_amount'
            USING ERRCODE = '22023', DETAIL = 'The customer promises an amount by a date.';
    END IF;
    IF v_promised OPERATOR(pg_catalog.<) d THEN
        RAISE EXCEPTION 'a promise to pay on %, a day past', v_promised
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('A promise is for the as-of day (%s) or later.', d);
    END IF;
    IF v_amount OPERATOR(pg_catalog.<=) 0 OR v_amount OPERATOR(pg_catalog.=) 'NaN'::numeric THEN
        RAISE EXCEPTION 'promised amount % is not an amount to pay', v_amount
            USING ERRCODE = '22023', DETAIL = 'A promised amount is more than 0.';
    END IF;
    IF v_next OPERATOR(pg_catalog.<) d THEN
        RAISE EXCEPTION 'next action on %, a day past', v_next
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The next action is on the as-of day (%s) or later.', d);
    END IF;
    SELECT cu.manager_id, cu.last_reminded_on INTO v_manager, v_last
      FROM @extschema@.customer cu WHERE cu.customer_id OPERATOR(pg_catalog.=) v_customer;
    SELECT pg_catalog.array_agg(i.entry_id ORDER BY i.entry_id),
           pg_catalog.min(i.currency), pg_catalog.count(DISTINCT i.currency)::int
      INTO v_items, v_currency, v_id
      FROM @extschema@._contact_items(v_customer, v_ids, d) i;
    IF v_promised IS NOT NULL THEN
        IF v_items IS NULL THEN
            RAISE EXCEPTION 'customer % has nothing overdue to promise', v_customer
                USING ERRCODE = '22023', DETAIL = 'Name the items of the promise with entry_ids.';
        END IF;
        IF v_id OPERATOR(pg_catalog.>) 1 THEN
            RAISE EXCEPTION 'a promise covers items of one currency'
                USING ERRCODE = '22023', DETAIL = 'Log one promise per currency, naming its items.';
        END IF;
    END IF;

    -- a contact that counts as a reminder: one reminder per currency, each
    -- item at its level (at least 1); the triggers move the counters
    IF v_counts AND v_items IS NOT NULL THEN
        IF v_last OPERATOR(pg_catalog.>) d THEN
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
            INSERT INTO @extschema@.reminder_line (customer_id, reminder_id, entry_id, level,
                                                   days_overdue, open_amount)
            SELECT v_customer, v_id, i.entry_id, greatest(i.level, 1), i.days_overdue, i.open_amount
              FROM @extschema@._contact_items(v_customer, v_ids, d) i
             WHERE i.currency OPERATOR(pg_catalog.=) c.currency;
            v_reminders := v_reminders OPERATOR(pg_catalog.||) v_id;
        END LOOP;
    END IF;

    -- a promise holds the items until its day; its check is scheduled then
    IF v_promised IS NOT NULL THEN
        INSERT INTO @extschema@.promise (customer_id, entry_ids, amount, currency, promised_on,
                                         made_on, note)
        VALUES (v_customer, v_items, v_amount, v_currency, v_promised, d, v_note)
        RETURNING promise_id INTO v_promise;
        UPDATE @extschema@.entry e SET status = 'promise', status_note = v_note
         WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
           AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_items);
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, promise_id)
        VALUES (v_customer, 'promise_check', v_items, v_promised, v_manager,
                pg_catalog.format('check the promise of %s %s for %s', v_amount, v_currency, v_promised),
                v_promise)
        RETURNING action_id INTO v_id;
        v_actions := v_actions OPERATOR(pg_catalog.||) v_id;
    END IF;
    IF v_next IS NOT NULL THEN
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, note)
        VALUES (v_customer, 'call', coalesce(v_items, '{}'), v_next, v_manager, 'call back', v_note)
        RETURNING action_id INTO v_id;
        v_actions := v_actions OPERATOR(pg_catalog.||) v_id;
    END IF;

    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES (v_customer, 'contact',
            pg_catalog.format('%s: %s%s', v_channel, v_note,
                              ' (promise of ' OPERATOR(pg_catalog.||) v_amount OPERATOR(pg_catalog.||) ' '
                                  OPERATOR(pg_catalog.||) v_currency OPERATOR(pg_catalog.||) ' by '
                                  OPERATOR(pg_catalog.||) v_promised OPERATOR(pg_catalog.||) ')'),
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'entry_ids', v_items, 'reminder_ids', v_reminders, 'promise_id', v_promise,
                'action_ids', v_actions)))
    RETURNING activity_id INTO v_activity;
    RETURN v_activity;
END
$$;
COMMENT ON FUNCTION @extschema@.log_contact(text, text, text, date, numeric, bigint[], date, boolean) IS
    'logs a call, visit, email or letter: counted as a reminder, with a promise to pay (items held, a check scheduled) and a next action';

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
    p       @extschema@.promise;
    v_paid  numeric;
    v_next  bigint;
BEGIN
    PERFORM @extschema@._check_customer($1);
    IF $2 IS NULL OR $3 IS NULL THEN
        RAISE EXCEPTION 'action_id and result must not be null'
            USING ERRCODE = '22004', DETAIL = 'Say which action is done and how it went.';
    END IF;
    SELECT * INTO a FROM @extschema@.action x
     WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.action_id OPERATOR(pg_catalog.=) $2
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no action %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.action has no such row.';
    END IF;
    IF a.done_on IS NOT NULL THEN
        RAISE EXCEPTION 'action % of customer % was done on %', $2, $1, a.done_on
            USING ERRCODE = '55000', DETAIL = 'An action is completed once.';
    END IF;
    IF $4 OPERATOR(pg_catalog.<) d THEN
        RAISE EXCEPTION 'next action on %, a day past', $4
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('The next action is on the as-of day (%s) or later.', d);
    END IF;
    UPDATE @extschema@.action x SET done_on = d, result = $3
     WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.action_id OPERATOR(pg_catalog.=) $2;

    -- a promise check settles the promise: kept when the payments lettered
    -- to its items by its day reach the amount, broken otherwise; its items
    -- are no longer held (dunned again at their level if still open)
    IF a.kind OPERATOR(pg_catalog.=) 'promise_check' AND a.promise_id IS NOT NULL THEN
        SELECT * INTO p FROM @extschema@.promise x
         WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.promise_id OPERATOR(pg_catalog.=) a.promise_id
           FOR UPDATE;
        IF p.status OPERATOR(pg_catalog.=) 'open' THEN
            SELECT coalesce(pg_catalog.sum(al.amount), 0) INTO v_paid
              FROM @extschema@.allocation al
             WHERE al.customer_id OPERATOR(pg_catalog.=) $1
               AND al.debit_id OPERATOR(pg_catalog.=) ANY (p.entry_ids)
               AND al.allocated_on OPERATOR(pg_catalog.<=) p.promised_on
               AND al.allocated_on OPERATOR(pg_catalog.>=) p.made_on;
            UPDATE @extschema@.promise x
               SET status = CASE WHEN v_paid OPERATOR(pg_catalog.>=) p.amount THEN 'kept' ELSE 'broken' END
             WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.promise_id OPERATOR(pg_catalog.=) p.promise_id;
            UPDATE @extschema@.entry e SET status = 'open', status_note = NULL
             WHERE e.customer_id OPERATOR(pg_catalog.=) $1
               AND e.entry_id OPERATOR(pg_catalog.=) ANY (p.entry_ids)
               AND e.status OPERATOR(pg_catalog.=) 'promise';
            INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
            VALUES ($1, 'promise',
                    pg_catalog.format('promise of %s %s for %s %s: %s paid by then', p.amount, p.currency,
                                      p.promised_on,
                                      CASE WHEN v_paid OPERATOR(pg_catalog.>=) p.amount THEN 'kept' ELSE 'broken' END,
                                      v_paid),
                    pg_catalog.jsonb_build_object('promise_id', p.promise_id, 'paid', v_paid));
        END IF;
    END IF;

    -- an installment check: paid when the payments lettered to the plan's
    -- items since it was agreed cover the installments due so far; then
    -- the check moves to the next installment (or the plan is completed).
    -- Otherwise the installment is missed: the plan is broken and its
    -- items are dunned again.
    IF a.kind OPERATOR(pg_catalog.=) 'installment_check' AND a.plan_id IS NOT NULL THEN
        DECLARE
            pl      @extschema@.payment_plan;
            inst    @extschema@.installment;
            v_due   numeric;
            nxt     @extschema@.installment;
        BEGIN
            SELECT * INTO pl FROM @extschema@.payment_plan x
             WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.plan_id OPERATOR(pg_catalog.=) a.plan_id
               FOR UPDATE;
            SELECT * INTO inst FROM @extschema@.installment i
             WHERE i.customer_id OPERATOR(pg_catalog.=) $1 AND i.plan_id OPERATOR(pg_catalog.=) pl.plan_id
               AND i.paid_on IS NULL
             ORDER BY i.seq LIMIT 1;
            IF pl.status OPERATOR(pg_catalog.=) 'active' AND inst.seq IS NOT NULL THEN
                SELECT coalesce(pg_catalog.sum(al.amount), 0) INTO v_paid
                  FROM @extschema@.allocation al
                 WHERE al.customer_id OPERATOR(pg_catalog.=) $1
                   AND al.debit_id OPERATOR(pg_catalog.=) ANY (pl.entry_ids)
                   AND al.allocated_on OPERATOR(pg_catalog.>=) pl.agreed_on
                   AND al.allocated_on OPERATOR(pg_catalog.<=) d;
                SELECT pg_catalog.sum(i.amount) INTO v_due FROM @extschema@.installment i
                 WHERE i.customer_id OPERATOR(pg_catalog.=) $1 AND i.plan_id OPERATOR(pg_catalog.=) pl.plan_id
                   AND i.seq OPERATOR(pg_catalog.<=) inst.seq;
                IF v_paid OPERATOR(pg_catalog.>=) v_due THEN
                    UPDATE @extschema@.installment i SET paid_on = d
                     WHERE i.customer_id OPERATOR(pg_catalog.=) $1 AND i.plan_id OPERATOR(pg_catalog.=) pl.plan_id
                       AND i.seq OPERATOR(pg_catalog.=) inst.seq;
                    SELECT * INTO nxt FROM @extschema@.installment i
                     WHERE i.customer_id OPERATOR(pg_catalog.=) $1 AND i.plan_id OPERATOR(pg_catalog.=) pl.plan_id
                       AND i.seq OPERATOR(pg_catalog.>) inst.seq
                     ORDER BY i.seq LIMIT 1;
                    IF nxt.seq IS NOT NULL THEN
                        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, plan_id)
                        VALUES ($1, 'installment_check', pl.entry_ids, nxt.due_on, a.owner,
                                pg_catalog.format('installment %s of %s: %s %s', nxt.seq,
                                                  (SELECT pg_catalog.count(*) FROM @extschema@.installment i
                                                    WHERE i.customer_id OPERATOR(pg_catalog.=) $1
                                                      AND i.plan_id OPERATOR(pg_catalog.=) pl.plan_id),
                                                  nxt.amount, pl.currency),
                                pl.plan_id);
                    ELSE
                        UPDATE @extschema@.payment_plan x SET status = 'completed'
                         WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.plan_id OPERATOR(pg_catalog.=) pl.plan_id;
                        UPDATE @extschema@.entry e SET status = 'open', status_note = NULL
                         WHERE e.customer_id OPERATOR(pg_catalog.=) $1
                           AND e.entry_id OPERATOR(pg_catalog.=) ANY (pl.entry_ids)
                           AND e.status OPERATOR(pg_catalog.=) 'payment_plan';
                    END IF;
                    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
                    VALUES ($1, 'installment',
                            pg_catalog.format('installment %s of plan %s paid (%s of %s due so far)',
                                              inst.seq, pl.plan_id, v_paid, v_due),
                            pg_catalog.jsonb_build_object('plan_id', pl.plan_id, 'seq', inst.seq));
                ELSE
                    UPDATE @extschema@.payment_plan x SET status = 'broken'
                     WHERE x.customer_id OPERATOR(pg_catalog.=) $1 AND x.plan_id OPERATOR(pg_catalog.=) pl.plan_id;
                    UPDATE @extschema@.entry e SET status = 'open', status_note = NULL
                     WHERE e.customer_id OPERATOR(pg_catalog.=) $1
                       AND e.entry_id OPERATOR(pg_catalog.=) ANY (pl.entry_ids)
                       AND e.status OPERATOR(pg_catalog.=) 'payment_plan';
                    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
                    VALUES ($1, 'installment',
                            pg_catalog.format('installment %s of plan %s missed (%s of %s due so far): plan broken',
                                              inst.seq, pl.plan_id, v_paid, v_due),
                            pg_catalog.jsonb_build_object('plan_id', pl.plan_id, 'seq', inst.seq));
                END IF;
            END IF;
        END;
    END IF;

    IF $4 IS NOT NULL THEN
        INSERT INTO @extschema@.action (customer_id, kind, entry_ids, due_on, owner, title, note)
        VALUES ($1, CASE WHEN a.kind OPERATOR(pg_catalog.=) 'promise_check' THEN 'call' ELSE a.kind END,
                a.entry_ids, $4, a.owner, 'follow-up: ' OPERATOR(pg_catalog.||) a.title, $3)
        RETURNING action_id INTO v_next;
    END IF;
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, 'action_done', pg_catalog.format('%s done: %s', a.title, $3),
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
AS $$
SELECT s.due_on, s.owner, s.customer_id, c.name, s.kind, s.title, s.amount, s.currency,
       (SELECT @extschema@._as_of_arg($1)) OPERATOR(pg_catalog.-) s.due_on,
       CASE WHEN s.due_on OPERATOR(pg_catalog.<) (SELECT @extschema@._as_of_arg($1)) THEN 'late'
            WHEN s.due_on OPERATOR(pg_catalog.=) (SELECT @extschema@._as_of_arg($1)) THEN 'today'
            ELSE 'upcoming' END,
       s.action_id, s.entry_ids, s.note, (SELECT @extschema@._as_of_arg($1))
  FROM (-- open actions; a promise check shows the promised amount, others
        -- what is open on their items
        SELECT a.due_on, a.owner, a.customer_id, a.kind, a.title,
               coalesce(p.amount, i.amount) AS amount, coalesce(p.currency, i.currency) AS currency,
               a.action_id, a.entry_ids, a.note
          FROM @extschema@.action a
          LEFT JOIN @extschema@.promise p
            ON p.customer_id OPERATOR(pg_catalog.=) a.customer_id
           AND p.promise_id OPERATOR(pg_catalog.=) a.promise_id
          LEFT JOIN LATERAL (
                SELECT pg_catalog.sum(e.open_amount) AS amount, pg_catalog.min(e.currency) AS currency
                  FROM @extschema@.open_items($1) e
                 WHERE e.customer_id OPERATOR(pg_catalog.=) a.customer_id
                   AND e.entry_id OPERATOR(pg_catalog.=) ANY (a.entry_ids)) i ON true
         WHERE a.done_on IS NULL
        UNION ALL
        -- credit insurance: an overdue invoice of an insured customer must
        -- be notified within the policy's days of its original due date
        SELECT o.due_date OPERATOR(pg_catalog.+) pol.insurer_notice_days, c.manager_id, o.customer_id,
               'insurer_notice',
               pg_catalog.format('notify the credit insurer of %s (due %s)', coalesce(o.ref, o.entry_id::text),
                                 o.due_date),
               o.open_amount, o.currency, NULL, ARRAY[o.entry_id], NULL
          FROM @extschema@.open_items($1) o
          JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) o.customer_id
          JOIN @extschema@.policy pol ON pol.policy_id OPERATOR(pg_catalog.=) c.policy_id
         WHERE c.insured AND pol.insurer_notice_days IS NOT NULL
           AND o.amount OPERATOR(pg_catalog.>) 0 AND o.kind OPERATOR(pg_catalog.=) 'invoice'
           AND o.days_overdue OPERATOR(pg_catalog.>) 0
           -- not once the insurer is notified (an insurer_notice action done)
           AND NOT EXISTS (SELECT 1 FROM @extschema@.action n
                            WHERE n.customer_id OPERATOR(pg_catalog.=) o.customer_id
                              AND n.kind OPERATOR(pg_catalog.=) 'insurer_notice'
                              AND o.entry_id OPERATOR(pg_catalog.=) ANY (n.entry_ids))) s
  JOIN @extschema@.customer c ON c.customer_id OPERATOR(pg_catalog.=) s.customer_id
$$;
COMMENT ON FUNCTION @extschema@.followup_schedule(date) IS
    'what is due on which day and for whom: open actions and credit-insurer deadlines, with owner, amount and days late';

CREATE VIEW @extschema@.followup_schedule AS
    SELECT * FROM @extschema@.followup_schedule(@extschema@.as_of());
COMMENT ON VIEW @extschema@.followup_schedule IS
    'the follow-up schedule as of dunning.as_of(): per owner, what is late, due today and upcoming';

-- Collection KPIs of a period, in one currency.
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
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_from      date := $1;
    v_to        date := $2;
    v_cur       text := $3;
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
    IF v_from OPERATOR(pg_catalog.>) v_to THEN
        RAISE EXCEPTION 'the period % to % is in the wrong order', v_from, v_to
            USING ERRCODE = '22023', DETAIL = 'from_date is on or before to_date.';
    END IF;
    IF NOT @extschema@._is_currency(v_cur) THEN
        RAISE EXCEPTION 'invalid currency "%"', v_cur
            USING ERRCODE = '22023', DETAIL = 'A currency is an ISO 4217 code such as EUR.';
    END IF;
    v_days := v_to OPERATOR(pg_catalog.-) v_from OPERATOR(pg_catalog.+) 1;

    SELECT coalesce(pg_catalog.sum(e.amount), 0) INTO v_sales
      FROM @extschema@.entry e
     WHERE e.kind OPERATOR(pg_catalog.=) 'invoice' AND e.currency OPERATOR(pg_catalog.=) v_cur
       AND e.doc_date OPERATOR(pg_catalog.>=) v_from AND e.doc_date OPERATOR(pg_catalog.<=) v_to;
    SELECT coalesce(pg_catalog.sum(o.open_amount), 0) INTO v_begin
      FROM @extschema@.open_items(v_from OPERATOR(pg_catalog.-) 1) o
     WHERE o.currency OPERATOR(pg_catalog.=) v_cur;
    SELECT coalesce(pg_catalog.sum(o.open_amount), 0),
           coalesce(pg_catalog.sum(o.open_amount) FILTER (WHERE o.amount OPERATOR(pg_catalog.>) 0
                                                          AND o.days_overdue OPERATOR(pg_catalog.<=) 0), 0)
      INTO v_end, v_current
      FROM @extschema@.open_items(v_to) o
     WHERE o.currency OPERATOR(pg_catalog.=) v_cur;

    -- countback: the ending receivables are matched against the credit
    -- sales of 30-day months counted back from to_date, newest first
    v_left := v_end;
    WHILE v_left OPERATOR(pg_catalog.>) 0 AND k OPERATOR(pg_catalog.<) 120 LOOP
        SELECT coalesce(pg_catalog.sum(e.amount), 0) INTO v_month
          FROM @extschema@.entry e
         WHERE e.kind OPERATOR(pg_catalog.=) 'invoice' AND e.currency OPERATOR(pg_catalog.=) v_cur
           AND e.doc_date OPERATOR(pg_catalog.>) (v_to OPERATOR(pg_catalog.-) (30 OPERATOR(pg_catalog.*) (k OPERATOR(pg_catalog.+) 1)))
           AND e.doc_date OPERATOR(pg_catalog.<=) (v_to OPERATOR(pg_catalog.-) (30 OPERATOR(pg_catalog.*) k));
        IF v_month OPERATOR(pg_catalog.>=) v_left THEN
            v_countback := v_countback OPERATOR(pg_catalog.+) ((30 OPERATOR(pg_catalog.*) v_left) OPERATOR(pg_catalog./) v_month);
            v_left := 0;
        ELSE
            v_countback := v_countback OPERATOR(pg_catalog.+) 30;
            v_left := v_left OPERATOR(pg_catalog.-) v_month;
        END IF;
        k := k OPERATOR(pg_catalog.+) 1;
    END LOOP;

    RETURN QUERY SELECT
        v_days, v_sales, v_begin, v_end, v_current,
        v_end OPERATOR(pg_catalog.-) v_current,
        pg_catalog.round((v_end OPERATOR(pg_catalog./) nullif(v_sales, 0)) OPERATOR(pg_catalog.*) v_days, 1),
        pg_catalog.round(v_countback, 1),
        pg_catalog.round((v_current OPERATOR(pg_catalog./) nullif(v_sales, 0)) OPERATOR(pg_catalog.*) v_days, 1),
        pg_catalog.round(((v_end OPERATOR(pg_catalog.-) v_current) OPERATOR(pg_catalog./) nullif(v_sales, 0))
                         OPERATOR(pg_catalog.*) v_days, 1),
        pg_catalog.round((100 OPERATOR(pg_catalog.*)
                          ((v_begin OPERATOR(pg_catalog.+) v_sales) OPERATOR(pg_catalog.-) v_end))
                         OPERATOR(pg_catalog./)
                         nullif((v_begin OPERATOR(pg_catalog.+) v_sales) OPERATOR(pg_catalog.-) v_current, 0), 1);
END
$$;
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
    IF pg_catalog.cardinality(v_amounts) OPERATOR(pg_catalog.<>) v_n THEN
        RAISE EXCEPTION 'a plan of % due dates and % amounts', v_n, pg_catalog.cardinality(v_amounts)
            USING ERRCODE = '22023', DETAIL = 'Each installment has a due date and an amount.';
    END IF;
    IF v_dates[1] OPERATOR(pg_catalog.<) d THEN
        RAISE EXCEPTION 'the first installment is due on %, a day past', v_dates[1]
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Installments fall on the as-of day (%s) or later.', d);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.generate_series(2, v_n) i
                WHERE v_dates[i] OPERATOR(pg_catalog.<=) v_dates[i OPERATOR(pg_catalog.-) 1]) THEN
        RAISE EXCEPTION 'the installments'' due dates are in the wrong order'
            USING ERRCODE = '22023', DETAIL = 'Each installment falls after the one before.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(v_amounts) a
                WHERE a OPERATOR(pg_catalog.<=) 0 OR a OPERATOR(pg_catalog.=) 'NaN'::numeric) THEN
        RAISE EXCEPTION 'an installment of 0 or less'
            USING ERRCODE = '22023', DETAIL = 'Every installment is an amount to pay.';
    END IF;
    SELECT pg_catalog.sum(i.open_amount), pg_catalog.min(i.currency), pg_catalog.count(DISTINCT i.currency)::int
      INTO v_open, v_currency, v_n
      FROM @extschema@._contact_items(v_customer, v_ids, d) i;
    IF v_n OPERATOR(pg_catalog.>) 1 THEN
        RAISE EXCEPTION 'a plan covers items of one currency'
            USING ERRCODE = '22023', DETAIL = 'Agree one plan per currency.';
    END IF;
    SELECT pg_catalog.sum(a) INTO v_total FROM pg_catalog.unnest(v_amounts) a;
    IF v_total OPERATOR(pg_catalog.<>) v_open THEN
        RAISE EXCEPTION 'the installments come to % %, the items to % %', v_total, v_currency, v_open, v_currency
            USING ERRCODE = '22023', DETAIL = 'A plan''s installments add up to what is open on its items.';
    END IF;

    INSERT INTO @extschema@.payment_plan (customer_id, entry_ids, currency, agreed_on, note)
    VALUES (v_customer, v_ids, v_currency, d, v_note)
    RETURNING plan_id INTO v_plan;
    INSERT INTO @extschema@.installment (customer_id, plan_id, seq, due_on, amount)
    SELECT v_customer, v_plan, i, v_dates[i], v_amounts[i]
      FROM pg_catalog.generate_series(1, pg_catalog.cardinality(v_dates)) i;
    UPDATE @extschema@.entry e SET status = 'payment_plan', status_note = v_note
     WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_ids);
    SELECT c.name, c.email, c.phone, c.language, c.manager_id, m.name AS manager_name, m.email AS manager_email
      INTO cu
      FROM @extschema@.customer c
      LEFT JOIN @extschema@.credit_manager m ON m.manager_id OPERATOR(pg_catalog.=) c.manager_id
     WHERE c.customer_id OPERATOR(pg_catalog.=) v_customer;
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

    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES (v_customer, 'payment_plan',
            pg_catalog.format('payment plan of %s %s in %s installments, from %s%s', v_total, v_currency,
                              pg_catalog.cardinality(v_dates), v_dates[1], ': ' OPERATOR(pg_catalog.||) v_note),
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
     WHERE m.customer_id OPERATOR(pg_catalog.=) $1 AND m.message_id OPERATOR(pg_catalog.=) $2 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no message %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.message has no such row.';
    END IF;
    IF v_status OPERATOR(pg_catalog.<>) 'queued' THEN
        RAISE EXCEPTION 'message % of customer % is %', $2, $1, v_status
            USING ERRCODE = '55000', DETAIL = 'A message leaves the outbox once.';
    END IF;
    UPDATE @extschema@.message m SET status = 'sent', sent_at = $3
     WHERE m.customer_id OPERATOR(pg_catalog.=) $1 AND m.message_id OPERATOR(pg_catalog.=) $2;
END
$$;
COMMENT ON FUNCTION @extschema@.mark_message_sent(text, bigint, timestamptz) IS
    'takes a message (a payment plan''s confirmation) out of the outbox';

-------------------------------------------------------------------------------
-- 0.2.0 fixes to 0.1.0 objects
-------------------------------------------------------------------------------

-- dashboard: its overdue percentage used NULLIF, which looks "=" up through
-- the caller's search_path (sql/security.sql plants a hostile one)
DROP VIEW @extschema@.dashboard;
DROP FUNCTION @extschema@.dashboard(date);
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
       -- not NULLIF: it looks "=" up through the caller's search_path
       pg_catalog.round(100 OPERATOR(pg_catalog.*) s.overdue
                        OPERATOR(pg_catalog./)
                        CASE WHEN s.receivables OPERATOR(pg_catalog.<>) 0 THEN s.receivables END, 1),
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
