
-------------------------------------------------------------------------------
-- Payment terms (src/terms.c)
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.due_date(doc_date date, terms text,
        calendar text DEFAULT NULL)
    RETURNS date
    AS 'MODULE_PATHNAME', 'dunning_due_date'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.due_date(date, text, text) IS
    'due date of a document under payment terms such as 30d, 45d+eom, eom+10d, 60d+nbd';
