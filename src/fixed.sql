-------------------------------------------------------------------------------
-- Amounts read from numeric's digits (src/fixed.c)
--
-- No NaN or infinite amount where an amount is meant (0.4.0):
-- numeric accepts 'NaN', 'Infinity' and '-Infinity', and the tables' own
-- checks let them through (NaN sorts above every number, so an invoice of
-- NaN is "> 0"): an ERP inserting one would have had an invoice no
-- lettering can settle and a proposal whose totals are NaN.  The functions
-- refuse them (bad_input.sql), and so do the tables' checks
-- <table>_<column>_finite (schema.sql), like those on infinite days.
-- _is_finite reads the numeric's header, cheaper than two comparisons on
-- the entry updates of lettering.  The maintained columns (open amounts, a
-- reminder's totals) come from these.
-------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._is_finite(numeric) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_finite'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
