
-------------------------------------------------------------------------------
-- The aging interval type dunning.aging (src/aging.c)
-------------------------------------------------------------------------------

CREATE TYPE @extschema@.aging;

CREATE FUNCTION @extschema@.aging_in(cstring) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_out(@extschema@.aging) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_recv(internal) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_send(@extschema@.aging) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.aging (
    INPUT = @extschema@.aging_in,
    OUTPUT = @extschema@.aging_out,
    RECEIVE = @extschema@.aging_recv,
    SEND = @extschema@.aging_send,
    INTERNALLENGTH = 8,
    ALIGNMENT = int4,
    STORAGE = plain
);

COMMENT ON TYPE @extschema@.aging IS
    'closed interval of whole days relative to a due date (1..30, 121.., ..0)';

-- functions

CREATE FUNCTION @extschema@.aging(lower integer, upper integer)
    RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME', 'aging_construct' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.aging(integer, integer) IS
    'aging interval from its first and last day, NULL meaning unbounded';

CREATE FUNCTION @extschema@.lower(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME', 'aging_lower' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.upper(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME', 'aging_upper' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.default_scheme() RETURNS @extschema@.aging[]
    AS $$ SELECT '{..0,1..30,31..60,61..90,91..120,121..}'::@extschema@.aging[] $$
    LANGUAGE sql IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.default_scheme() IS
    'the buckets of the aged balance: not due, 1-30, 31-60, 61-90, 91-120, over 120 days';

CREATE FUNCTION @extschema@.bucket(days integer,
        scheme @extschema@.aging[] DEFAULT @extschema@.default_scheme())
    RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME', 'aging_bucket' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bucket(integer, @extschema@.aging[]) IS
    'the bucket of a scheme that holds a number of days';

CREATE FUNCTION @extschema@.label(@extschema@.aging, language text DEFAULT 'en')
    RETURNS text
    AS 'MODULE_PATHNAME', 'aging_label' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.label(@extschema@.aging, text) IS
    'name of an aging bucket in English or French: 1-30 days, over 120 days, not due';

CREATE FUNCTION @extschema@.days_overdue(due date, as_of date) RETURNS integer
    AS $$ SELECT $2 OPERATOR(pg_catalog.-) $1 $$
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.days_overdue(date, date) IS
    'days past the due date on a day: negative before it, 0 on it';

-- operator functions

CREATE FUNCTION @extschema@.aging_eq(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_ne(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_lt(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_le(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_gt(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_ge(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_cmp(@extschema@.aging, @extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_hash(@extschema@.aging) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_hash_extended(@extschema@.aging, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contains_day(@extschema@.aging, integer) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_day_contained(integer, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contains(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_contained(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_overlaps(@extschema@.aging, @extschema@.aging) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_to_int4range(@extschema@.aging) RETURNS int4range
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.aging_from_int4range(int4range) RETURNS @extschema@.aging
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- operators

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR @extschema@.@> (
    LEFTARG = @extschema@.aging, RIGHTARG = integer,
    PROCEDURE = @extschema@.aging_contains_day,
    COMMUTATOR = OPERATOR(@extschema@.<@),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.<@ (
    LEFTARG = integer, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_day_contained,
    COMMUTATOR = OPERATOR(@extschema@.@>),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.@> (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_contains,
    COMMUTATOR = OPERATOR(@extschema@.<@),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.<@ (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_contained,
    COMMUTATOR = OPERATOR(@extschema@.@>),
    RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR @extschema@.&& (
    LEFTARG = @extschema@.aging, RIGHTARG = @extschema@.aging,
    PROCEDURE = @extschema@.aging_overlaps,
    COMMUTATOR = OPERATOR(@extschema@.&&),
    RESTRICT = areasel, JOIN = areajoinsel
);

-- operator classes

CREATE OPERATOR CLASS @extschema@.aging_ops
    DEFAULT FOR TYPE @extschema@.aging USING btree AS
        OPERATOR 1 @extschema@.< ,
        OPERATOR 2 @extschema@.<= ,
        OPERATOR 3 @extschema@.= ,
        OPERATOR 4 @extschema@.>= ,
        OPERATOR 5 @extschema@.> ,
        FUNCTION 1 @extschema@.aging_cmp(@extschema@.aging, @extschema@.aging);

CREATE OPERATOR CLASS @extschema@.aging_hash_ops
    DEFAULT FOR TYPE @extschema@.aging USING hash AS
        OPERATOR 1 @extschema@.= ,
        FUNCTION 1 @extschema@.aging_hash(@extschema@.aging),
        FUNCTION 2 @extschema@.aging_hash_extended(@extschema@.aging, bigint);

-- min and max, in the order of the btree class (BI tools aggregate buckets)

CREATE FUNCTION @extschema@._aging_smaller(@extschema@.aging, @extschema@.aging) RETURNS @extschema@.aging
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN $1 OPERATOR(@extschema@.<=) $2 THEN $1 ELSE $2 END;
CREATE FUNCTION @extschema@._aging_larger(@extschema@.aging, @extschema@.aging) RETURNS @extschema@.aging
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN $1 OPERATOR(@extschema@.>=) $2 THEN $1 ELSE $2 END;
CREATE AGGREGATE @extschema@.min(@extschema@.aging) (
    SFUNC = @extschema@._aging_smaller, STYPE = @extschema@.aging,
    COMBINEFUNC = @extschema@._aging_smaller, SORTOP = OPERATOR(@extschema@.<), PARALLEL = SAFE
);
CREATE AGGREGATE @extschema@.max(@extschema@.aging) (
    SFUNC = @extschema@._aging_larger, STYPE = @extschema@.aging,
    COMBINEFUNC = @extschema@._aging_larger, SORTOP = OPERATOR(@extschema@.>), PARALLEL = SAFE
);

-- casts

CREATE CAST (@extschema@.aging AS int4range)
    WITH FUNCTION @extschema@.aging_to_int4range(@extschema@.aging);
CREATE CAST (int4range AS @extschema@.aging)
    WITH FUNCTION @extschema@.aging_from_int4range(int4range);
