-------------------------------------------------------------------------------
-- 0.4.0: no NaN or infinite amount where an amount is meant
--
-- numeric accepts 'NaN', 'Infinity' and '-Infinity', and the tables' own
-- checks let them through (NaN sorts above every number, so an invoice of
-- NaN is "> 0"): an ERP inserting one would have had an invoice no
-- lettering can settle and a proposal whose totals are NaN.  The functions
-- refused them already (bad_input.sql); now the tables do too, like the
-- infinite days of 0.3.0.  _is_finite reads the numeric's header, cheaper
-- than two comparisons on the entry updates of lettering.  The maintained
-- columns (open amounts, a reminder's totals) come from these.
-------------------------------------------------------------------------------
CREATE FUNCTION @extschema@._is_finite(numeric) RETURNS boolean
    AS 'MODULE_PATHNAME', 'dunning_is_finite'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $do$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES ('entry', 'amount'), ('entry', 'disputed_amount'), ('allocation', 'amount'),
                                   ('lettering', 'writeoff'), ('customer', 'credit_limit'),
                                   ('promise', 'amount'), ('installment', 'amount'),
                                   ('policy', 'min_balance'), ('policy', 'compensation'), ('policy', 'interest_rate'),
                                   ('level', 'min_amount'), ('level', 'fee'),
                                   ('level_amount', 'min_amount'), ('level_amount', 'fee'),
                                   ('reference_rate', 'rate')) v(t, col) LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ADD CONSTRAINT %I CHECK (@extschema@._is_finite(%I))',
                                  c.t, c.t || '_' || c.col || '_finite', c.col);
    END LOOP;
END
$do$;
