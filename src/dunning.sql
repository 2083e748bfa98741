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
