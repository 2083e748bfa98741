
-------------------------------------------------------------------------------
-- Follow-up: item status, customer blocks, the customer's history
-------------------------------------------------------------------------------

-- private: a customer named by a function exists
CREATE FUNCTION @extschema@._check_customer(customer_id text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF $1 IS NULL THEN
        RAISE EXCEPTION 'customer_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'Name the customer by its customer_id.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.customer c WHERE c.customer_id OPERATOR(pg_catalog.=) $1) THEN
        RAISE EXCEPTION 'unknown customer "%"', $1
            USING ERRCODE = '22023', DETAIL = 'Table dunning.customer has no such customer_id.';
    END IF;
END
$$;

CREATE FUNCTION @extschema@.set_status(customer_id text, entry_ids bigint[], status text,
                                       note text DEFAULT NULL,
                                       disputed_amount numeric DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_customer  text := $1;
    v_ids       bigint[] := $2;
    v_status    text := $3;
    v_note      text := $4;
    v_disputed  numeric := $5;
    v_bad       bigint;
    v_count     integer;
BEGIN
    PERFORM @extschema@._check_customer(v_customer);
    IF v_ids IS NULL OR v_status IS NULL THEN
        RAISE EXCEPTION 'entry_ids and status must not be null'
            USING ERRCODE = '22004', DETAIL = 'Name the items and the status to give them.';
    END IF;
    PERFORM @extschema@._check_array(v_ids, 'entry_ids', 'an entry_id of the customer');
    IF NOT v_status OPERATOR(pg_catalog.=) ANY ('{open,disputed,blocked,litigation}'::text[]) THEN
        RAISE EXCEPTION 'status "%" cannot be set by set_status', v_status
            USING ERRCODE = '22023',
                  DETAIL = 'set_status sets open, disputed, blocked or litigation; a promise or a payment plan gives its status to its items.';
    END IF;
    IF v_disputed IS NOT NULL THEN
        IF v_status OPERATOR(pg_catalog.<>) 'disputed' OR pg_catalog.cardinality(v_ids) OPERATOR(pg_catalog.<>) 1 THEN
            RAISE EXCEPTION 'disputed_amount goes with status disputed and one item'
                USING ERRCODE = '22023',
                      DETAIL = 'A partial dispute names the disputed part of one invoice; the rest of it is still dunned.';
        END IF;
        IF v_disputed OPERATOR(pg_catalog.<=) 0 OR v_disputed OPERATOR(pg_catalog.=) 'NaN'::numeric
           OR v_disputed OPERATOR(pg_catalog.>) (SELECT e.amount FROM @extschema@.entry e
                                                  WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
                                                    AND e.entry_id OPERATOR(pg_catalog.=) v_ids[1]) THEN
            RAISE EXCEPTION 'disputed_amount % is not a part of the item', v_disputed
                USING ERRCODE = '22023',
                      DETAIL = 'The disputed part is more than 0 and at most the amount of the invoice.';
        END IF;
    END IF;
    SELECT u INTO v_bad
      FROM pg_catalog.unnest(v_ids) u
     WHERE NOT EXISTS (SELECT 1 FROM @extschema@.entry e
                        WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
                          AND e.entry_id OPERATOR(pg_catalog.=) u
                          AND e.amount OPERATOR(pg_catalog.>) 0)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'customer % has no debit %', v_customer, v_bad
            USING ERRCODE = '22023',
                  DETAIL = 'A status is given to the customer''s invoices, fees and interest (entries with a positive amount).';
    END IF;

    UPDATE @extschema@.entry e
       SET status = v_status,
           status_note = v_note,
           disputed_amount = CASE WHEN v_status OPERATOR(pg_catalog.=) 'disputed' THEN v_disputed END
     WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_ids);
    GET DIAGNOSTICS v_count = ROW_COUNT;

    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    SELECT v_customer, 'status',
           pg_catalog.format('%s %s%s%s',
                             pg_catalog.string_agg(coalesce(e.ref, e.entry_id::text), ', ' ORDER BY e.entry_id),
                             v_status,
                             ' (' OPERATOR(pg_catalog.||) v_disputed OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||)
                                 pg_catalog.min(e.currency) OPERATOR(pg_catalog.||) ')',
                             ': ' OPERATOR(pg_catalog.||) v_note),
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
               'entry_ids', v_ids, 'status', v_status, 'disputed_amount', v_disputed))
      FROM @extschema@.entry e
     WHERE e.customer_id OPERATOR(pg_catalog.=) v_customer
       AND e.entry_id OPERATOR(pg_catalog.=) ANY (v_ids);
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION @extschema@.set_status(text, bigint[], text, text, numeric) IS
    'marks items open, disputed (whole or in part), blocked or in litigation, with a note';

CREATE FUNCTION @extschema@.block(customer_id text, until date, reason text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@._check_customer($1);
    IF $2 IS NULL THEN
        -- unblock
        UPDATE @extschema@.customer c SET blocked_until = NULL, block_reason = NULL
         WHERE c.customer_id OPERATOR(pg_catalog.=) $1;
        INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
        VALUES ($1, 'unblock', 'unblocked' OPERATOR(pg_catalog.||) coalesce(': ' OPERATOR(pg_catalog.||) $3, ''),
                '{}');
        RETURN;
    END IF;
    IF $3 IS NULL OR pg_catalog.btrim($3) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'a block needs a reason'
            USING ERRCODE = '22004', DETAIL = 'The reason is shown with every item the block holds back.';
    END IF;
    IF $2 OPERATOR(pg_catalog.<) @extschema@.as_of() THEN
        RAISE EXCEPTION 'cannot block customer % until %, a day past', $1, $2
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('A block lasts until the as-of day (%s) or later; pass NULL to unblock.',
                                             @extschema@.as_of());
    END IF;
    UPDATE @extschema@.customer c SET blocked_until = $2, block_reason = $3
     WHERE c.customer_id OPERATOR(pg_catalog.=) $1;
    INSERT INTO @extschema@.activity (customer_id, kind, summary, refs)
    VALUES ($1, 'block', pg_catalog.format('blocked until %s: %s', $2, $3),
            pg_catalog.jsonb_build_object('until', $2));
END
$$;
COMMENT ON FUNCTION @extschema@.block(text, date, text) IS
    'blocks a customer''s reminders until a day, with a reason; NULL until unblocks';

-- The history of each customer: what was done (reminders, cancellations,
-- status changes, blocks, ...) and the lettering groups, newest first.
CREATE VIEW @extschema@.customer_history AS
SELECT h.customer_id, h.at, h.kind, h.summary, h.refs, h."by"
  FROM (SELECT a.customer_id, a.at, a.kind, a.summary, a.refs, a."by", a.activity_id AS seq
          FROM @extschema@.activity a
        UNION ALL
        SELECT l.customer_id, l.created_at, 'lettering',
               pg_catalog.format('%s %s (%s%s)',
                                 CASE WHEN l.partial THEN 'partly lettered' ELSE 'lettered' END,
                                 l.letter_code, l.strategy,
                                 CASE WHEN l.writeoff OPERATOR(pg_catalog.<>) 0
                                      THEN ', write-off ' OPERATOR(pg_catalog.||) l.writeoff::text
                                      ELSE '' END),
               pg_catalog.jsonb_build_object('letter_code', l.letter_code, 'partial', l.partial),
               l.lettered_by, 0
          FROM @extschema@.lettering l) h
 ORDER BY h.customer_id, h.at DESC, h.seq DESC;
COMMENT ON VIEW @extschema@.customer_history IS
    'the history of each customer, newest first: reminders, cancellations, status changes, blocks, lettering, with who did it';
