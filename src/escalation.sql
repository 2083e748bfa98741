
-------------------------------------------------------------------------------
-- Escalation (src/escalation.c; README "Escalation"): the level an item is due for,
-- and a level's minimum, fee and interest in a currency.  The verdict codes
-- of _escalate are named once, in src/escalation.c, and read by SQL through
-- _verdict_reason and _verdict_at_level.
-------------------------------------------------------------------------------

-- private: the level an item is due for (> 0) or why not (<= 0)
CREATE FUNCTION @extschema@._escalate(policy_id text, days integer, level integer,
                                      last_reminded_on date, as_of date)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'dunning_escalate'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the reason code (item_status) of a verdict that is not a level
-- (0 excluded, -1 not_due, -2 grace, -3 last_level, -4 below_min_days,
-- -5 interval), NULL for a level; the codes are named in src/escalation.c
CREATE FUNCTION @extschema@._verdict_reason(verdict integer)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_verdict_reason'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- private: is an item with this verdict at its level already (last_level,
-- below_min_days, interval), so that reissue sends it again at its level?
CREATE FUNCTION @extschema@._verdict_at_level(verdict integer)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_verdict_at_level'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- private: the same verdict in a sentence
CREATE FUNCTION @extschema@._escalate_note(policy_id text, days integer, level integer,
                                           last_reminded_on date, as_of date)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_escalate_note'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: item_status's explanation of a reason code, in a sentence (the
-- reasons of the item itself: customer_blocked and below_min_balance are
-- worded by item_status); any other reason is the verdict's sentence
CREATE FUNCTION @extschema@._item_note(policy_id text, days integer, level integer,
                                       last_reminded_on date, as_of date, reason text,
                                       hold text, status text, source text,
                                       payment_method text, dun_level integer,
                                       customer_last date)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_item_note'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the template a level's letters use: the level's own, else
-- 'final' for a final level, else 'level_1' to 'level_3' (levels above 3
-- take 'level_3'); issuing, the printed letter and the proposal's final
-- function (src/escalation.c) all ask it
CREATE FUNCTION @extschema@._level_template(template text, final boolean, level integer)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT coalesce($1, CASE WHEN $2 THEN 'final' ELSE 'level_' || least($3, 3)::text END);
END;

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
