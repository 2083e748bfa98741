
-------------------------------------------------------------------------------
-- Reminder counters (src/counters.c; README "Counters")
--
-- The flow turns back here, and only here: the counters the reminders set
-- on entry and customer are what the next escalation reads.
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
