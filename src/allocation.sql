
-------------------------------------------------------------------------------
-- Open amounts kept from allocations (src/allocation.c; README "Open amounts")
--
-- entry.open_amount is the amount less what allocations take from it; the
-- triggers here are its only writers, check each allocation's entries and
-- group, and carry a group's rename or removal to its allocations.
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
