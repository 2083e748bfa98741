
-------------------------------------------------------------------------------
-- Late interest (src/interest.c; README "Charges")
-------------------------------------------------------------------------------

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
