-- dunning: accounts-receivable dunning inside PostgreSQL.
--
-- This install script is built by `make` from the files of src/, one per
-- concept, in the order of the Makefile's SQL_SOURCES; each object is
-- created in exactly one of them (README "Layout").  Do not edit the built
-- dunning--X.Y.Z.sql; edit the sources.  The scripts of released versions
-- are frozen in src/upgrade/.

\echo Use "CREATE EXTENSION dunning" to load this file. \quit

-- PostgreSQL 15 or later: the views are security_invoker (15), the SQL
-- bodies BEGIN ATOMIC (14)
DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::integer OPERATOR(pg_catalog.<) 150000 THEN
        RAISE EXCEPTION 'dunning needs PostgreSQL 15 or later'
            USING ERRCODE = '0A000',
                  DETAIL = pg_catalog.format('This server is %s; the views of dunning read their tables as the querying role (security_invoker), which PostgreSQL 15 brought.',
                                             pg_catalog.current_setting('server_version'));
    END IF;
END
$$;

-------------------------------------------------------------------------------
-- The as-of date
-------------------------------------------------------------------------------

-- dunning.as_of(): the setting dunning.as_of (YYYY-MM-DD) when set, else
-- today in the business time zone of dunning.time_zone, else current_date
-- (README "The as-of date").  Every view is computed as of this date.
CREATE FUNCTION @extschema@.as_of() RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_as_of'
    LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.as_of() IS
    'the as-of date of the dunning views: setting dunning.as_of, else today in dunning.time_zone, else current_date';

-- private: today in the business time zone (dunning.time_zone, else the
-- session's), whatever dunning.as_of says
CREATE FUNCTION @extschema@._today() RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_today'
    LANGUAGE C STABLE PARALLEL SAFE;

-- private: the as-of argument of a view's function twin, refused when NULL
CREATE FUNCTION @extschema@._as_of_arg(date) RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_as_of_arg'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- private: an address fit for an SMTP envelope and a mail header: one @,
-- a dot in the domain, no space, control character, bracket or quote
CREATE FUNCTION @extschema@._is_email(text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN $1 OPERATOR(pg_catalog.~) '^[^@[:space:][:cntrl:]<>()\[\],;:"\\]+@[^@[:space:][:cntrl:]<>()\[\],;:"\\]+\.[^@[:space:][:cntrl:]<>()\[\],;:"\\.]+$'
   AND pg_catalog.octet_length($1) OPERATOR(pg_catalog.<=) 254;

-- private: the form of an ISO 4217 currency code, for the tables' checks
CREATE FUNCTION @extschema@._is_currency(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_currency'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
