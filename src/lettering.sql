
-------------------------------------------------------------------------------
-- Lettering (src/lettering.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.next_letter_code(text) RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_next_letter_code'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.next_letter_code(text) IS
    'the letter code after the one given: AAA -> AAB, AZZ -> BAA, ZZZ -> AAAA, in the same case';

CREATE FUNCTION @extschema@.letter(customer_id text, entry_ids bigint[],
        tolerance numeric DEFAULT 0)
    RETURNS text
    AS 'MODULE_PATHNAME', 'dunning_letter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.letter(text, bigint[], numeric) IS
    'letter entries of a customer together: credits to debits, oldest due first; returns the group code';

CREATE FUNCTION @extschema@.unletter(customer_id text, letter_code text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'dunning_unletter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.unletter(text, text) IS
    'remove a lettering group: open amounts come back, its write-offs are deleted';

CREATE FUNCTION @extschema@.auto_letter(customer_id text DEFAULT NULL,
        strategies text[] DEFAULT '{reference,exact,subset,fifo}',
        tolerance numeric DEFAULT 0,
        max_subset integer DEFAULT 10,
        dry_run boolean DEFAULT false)
    RETURNS TABLE (customer_id text, letter_code text, entry_id bigint,
                   allocated numeric, strategy text, partial boolean)
    AS 'MODULE_PATHNAME', 'dunning_auto_letter'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.auto_letter(text, text[], numeric, integer, boolean) IS
    'letter one customer or the whole ledger with the strategies reference, exact, subset, fifo';

-- The lettering columns of the French FEC (fichier des écritures comptables):
-- EcritureLet and DateLet are blank for unlettered and partly lettered lines.
CREATE VIEW @extschema@.fec_lettering WITH (security_invoker = true) AS
SELECT e.customer_id, e.entry_id, e.kind, e.ref, e.doc_date, e.amount, e.currency,
       CASE WHEN e.letter_code OPERATOR(pg_catalog.~) '^[A-Z]+$'
            THEN e.letter_code ELSE '' END AS "EcritureLet",
       CASE WHEN e.letter_code OPERATOR(pg_catalog.~) '^[A-Z]+$'
             AND e.lettered_on IS NOT NULL
            THEN pg_catalog.to_char(e.lettered_on::timestamp, 'YYYYMMDD') ELSE '' END AS "DateLet"
  FROM @extschema@.entry e;
COMMENT ON VIEW @extschema@.fec_lettering IS
    'per entry, the FEC columns EcritureLet and DateLet (YYYYMMDD), blank unless totally lettered';
