
-------------------------------------------------------------------------------
-- Escalation (SPEC 4.3, src/escalation.c): the level an item is due for,
-- and a level's minimum, fee and interest in a currency.  The verdict codes
-- of _escalate are named once, in reminders.sql (README "Item status").
-------------------------------------------------------------------------------

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
