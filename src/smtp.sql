
-------------------------------------------------------------------------------
-- Emails (README "Delivery"): send_outbox sends the queued reminders and
-- messages through the SMTP server of dunning.smtp_url.
--
-- _email writes one email as MIME (RFC 5322, 2045, 2047, 2231): the text
-- body, and per the level the letter's PDF and the invoices' documents.
-- _smtp_send (src/smtp.c, in dunning_delivery, with libcurl) hands it over.
-- send_outbox commits after each email, recording the outcome on the
-- reminder or message.
-------------------------------------------------------------------------------

-- private: a header value as RFC 2047 encoded words of at most 45 bytes of
-- UTF-8 each, folded; control characters (a header injection) become spaces
CREATE FUNCTION @extschema@._mime_words(value text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text := regexp_replace($1, '[[:cntrl:]]', ' ', 'g');
    v_words text[] := '{}';
    v_word text := '';
    v_char text;
BEGIN
    IF v ~ '^[ -~]*$' AND v !~ '=\?' AND length(v) <= 70 THEN
        RETURN v;
    END IF;
    FOREACH v_char IN ARRAY regexp_split_to_array(v, '') LOOP
        IF octet_length(v_word) + octet_length(v_char) > 45 THEN
            v_words := v_words || ('=?UTF-8?B?' || encode(convert_to(v_word, 'UTF8'), 'base64') || '?=');
            v_word := '';
        END IF;
        v_word := v_word || v_char;
    END LOOP;
    IF v_word <> '' OR cardinality(v_words) = 0 THEN
        v_words := v_words || ('=?UTF-8?B?' || encode(convert_to(v_word, 'UTF8'), 'base64') || '?=');
    END IF;
    RETURN array_to_string(v_words, E'\r\n ');
END
$$;

-- private: bytes as base64 in lines of 76 characters ending in CRLF
CREATE FUNCTION @extschema@._mime_base64(content bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
SELECT replace(encode($1, 'base64'), E'\n', E'\r\n') || E'\r\n';
END;

-- private: one attachment part
CREATE FUNCTION @extschema@._mime_part(filename text, media_type text, content bytea)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT 'Content-Type: ' || $2 || E'\r\n'
       || 'Content-Disposition: attachment; filename="'
       || regexp_replace($1, '[^ -~]|["\\]', '_', 'g') || '"'
       || CASE WHEN $1 !~ '^[ -~]*$'
               THEN E';\r\n filename*=UTF-8''''' || (SELECT string_agg(
                        CASE WHEN b ~ '^[A-Za-z0-9._-]$' THEN b
                             ELSE (SELECT string_agg('%' || upper(encode(substr(convert_to(b, 'UTF8'), i, 1), 'hex')), '')
                                     FROM generate_series(1, octet_length(convert_to(b, 'UTF8'))) i) END, '')
                        FROM regexp_split_to_table($1, '') b)
               ELSE '' END
       || E'\r\nContent-Transfer-Encoding: base64\r\n\r\n'
       || @extschema@._mime_base64($3);
END;

-- The email of a reminder (kind 'reminder'), a message (kind 'message') or
-- a credit manager's summary of the day (kind 'digest': customer_id is then
-- the manager's id): its envelope and its MIME text.  "to" is empty when
-- there is no address.
CREATE FUNCTION @extschema@._email(kind text, customer_id text, id bigint,
                                   OUT sender text, OUT "to" text[], OUT cc text[],
                                   OUT message_id text, OUT mime text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    c @extschema@.customer;
    k @extschema@.company;
    lv @extschema@.level;
    v_subject text;
    v_body text;
    v_lang text;
    v_parts text[] := '{}';
    v_boundary text;
    v_domain text;
    v_at timestamptz := now();
BEGIN
    IF kind = 'digest' THEN
        -- to a credit manager, from the sender of the only (or first) company
        SELECT x.* INTO k FROM @extschema@.company x ORDER BY x.company_id LIMIT 1;
        SELECT g.subject, g.body, g.language,
               CASE WHEN @extschema@._is_email(m.email) THEN ARRAY[m.email] ELSE '{}' END
          INTO v_subject, v_body, v_lang, "to"
          FROM @extschema@.digest g
          JOIN @extschema@.credit_manager m ON m.manager_id = g.manager_id
         WHERE g.digest_id = $3;
        cc := '{}';
    ELSE
        SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $2;
        k := @extschema@._company_of($2);
        SELECT coalesce(array_agg(t.email ORDER BY t.contact_id) FILTER (WHERE t.role = 'dunning'), '{}'),
               coalesce(array_agg(t.email ORDER BY t.contact_id) FILTER (WHERE t.role = 'accounting'), '{}')
          INTO "to", cc
          FROM @extschema@.contact t WHERE t.customer_id = $2;
        IF cardinality("to") = 0 AND @extschema@._is_email(c.email) THEN
            "to" := ARRAY[c.email];
        END IF;
    END IF;
    sender := coalesce(nullif(current_setting('dunning.smtp_from', true), ''), k.email);
    IF sender IS NULL OR NOT @extschema@._is_email(sender) THEN
        RAISE EXCEPTION 'no sender address for the emails of company %', k.company_id
            USING ERRCODE = '55000',
                  DETAIL = 'The sender is dunning.smtp_from, else the email of the customer''s company.';
    END IF;
    IF kind = 'reminder' THEN
        SELECT r.subject, r.body, r.language INTO v_subject, v_body, v_lang
          FROM @extschema@.reminder r WHERE r.customer_id = $2 AND r.reminder_id = $3;
        SELECT l.* INTO lv
          FROM @extschema@.reminder r
          JOIN @extschema@.level l ON l.policy_id = c.policy_id AND l.level = r.level
         WHERE r.customer_id = $2 AND r.reminder_id = $3;
        IF lv.attach_letter THEN
            v_parts := v_parts || @extschema@._mime_part('reminder-' || $3 || '.pdf', 'application/pdf',
                                                         @extschema@.letter_pdf($2, $3));
        END IF;
        IF lv.attach_invoices THEN
            SELECT v_parts || coalesce(array_agg(@extschema@._mime_part(d.filename, d.media_type, d.content)
                                                 ORDER BY d.entry_id, d.document_id), '{}')
              INTO v_parts
              FROM @extschema@.document d
             WHERE d.customer_id = $2
               AND d.entry_id IN (SELECT l.entry_id FROM @extschema@.reminder_line l
                                   WHERE l.customer_id = $2 AND l.reminder_id = $3 AND l.dunned);
        END IF;
    ELSIF kind = 'message' THEN
        SELECT g.subject, g.body, g.language INTO v_subject, v_body, v_lang
          FROM @extschema@.message g WHERE g.customer_id = $2 AND g.message_id = $3;
    END IF;
    v_domain := split_part(sender, '@', 2);
    -- the same for every attempt at one email: a server that got it twice
    -- (a crash between its reply and our commit) can drop the second
    message_id := '<dunning.' || left(kind, 1) || $3 || '.'
                  || md5(kind || ':' || $2 || ':' || $3) || '@' || v_domain || '>';
    v_boundary := 'dunning-' || md5(message_id);
    mime := 'Date: ' || to_char(v_at AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS') || E' +0000\r\n'
         || 'From: ' || @extschema@._mime_words(k.name) || ' <' || sender || E'>\r\n'
         || CASE WHEN cardinality("to") > 0 THEN 'To: ' || array_to_string("to", E',\r\n ') || E'\r\n' ELSE '' END
         || CASE WHEN cardinality(cc) > 0 THEN 'Cc: ' || array_to_string(cc, E',\r\n ') || E'\r\n' ELSE '' END
         || 'Subject: ' || @extschema@._mime_words(coalesce(v_subject, '')) || E'\r\n'
         || 'Message-ID: ' || message_id || E'\r\n'
         || CASE WHEN v_lang IS NOT NULL THEN 'Content-Language: ' || v_lang || E'\r\n' ELSE '' END
         || E'MIME-Version: 1.0\r\n';
    IF cardinality(v_parts) = 0 THEN
        mime := mime || E'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
             || @extschema@._mime_base64(convert_to(coalesce(v_body, ''), 'UTF8'));
    ELSE
        mime := mime || 'Content-Type: multipart/mixed; boundary="' || v_boundary || E'"\r\n\r\n'
             || '--' || v_boundary || E'\r\n'
             || E'Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n'
             || @extschema@._mime_base64(convert_to(coalesce(v_body, ''), 'UTF8'))
             || (SELECT string_agg('--' || v_boundary || E'\r\n' || p, '') FROM unnest(v_parts) p)
             || '--' || v_boundary || E'--\r\n';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@._email(text, text, bigint) IS
    'the email of a reminder or message: sender, recipients (dunning contacts, else customer.email; accounting contacts in copy) and MIME text';

-- private: hands one message to the SMTP server (src/smtp.c)
CREATE FUNCTION @extschema@._smtp_send(recipients text[], sender text, message text,
                                       OUT outcome text, OUT code integer, OUT reply text)
AS '$libdir/dunning_delivery', '_smtp_send'
LANGUAGE C VOLATILE;

-- private: the outcome of one attempt, on the reminder or message, with
-- the history line
CREATE FUNCTION @extschema@._email_outcome(kind text, customer_id text, id bigint,
                                           outcome text, code integer, reply text,
                                           message_id text, recipients text[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_max integer := coalesce(nullif(current_setting('dunning.smtp_max_attempts', true), '')::integer, 5);
    v_delay integer := coalesce(nullif(current_setting('dunning.smtp_retry_minutes', true), '')::integer, 5);
    v_status text;
BEGIN
    -- one statement for the three tables an email comes from: the attempt
    -- counted; sent, failed (5xx, or the last attempt) or queued again after
    -- a growing delay (the retry delay, then twice it, four times ...)
    EXECUTE format($q$
        UPDATE @extschema@.%1$I x
           SET attempts = x.attempts + 1,
               status = CASE WHEN $1 = 'sent' THEN 'sent'
                             WHEN $1 = 'permanent' OR x.attempts + 1 >= $2 THEN 'failed'
                             ELSE 'queued' END,
               sent_at = CASE WHEN $1 = 'sent' THEN clock_timestamp() END,
               smtp_reply = $3,
               smtp_message_id = CASE WHEN $1 = 'sent' THEN $4 END,
               last_error = CASE WHEN $1 <> 'sent' THEN $3 END,
               next_attempt_at = CASE WHEN $1 NOT IN ('sent', 'permanent') AND x.attempts + 1 < $2
                                      THEN clock_timestamp()
                                           + make_interval(mins => $5 * (2 ^ least(x.attempts, 16))::integer) END
         WHERE %2$s
        RETURNING x.status$q$,
        kind,
        CASE kind WHEN 'reminder' THEN 'x.customer_id = $6 AND x.reminder_id = $7'
                  WHEN 'message' THEN 'x.customer_id = $6 AND x.message_id = $7'
                  ELSE 'x.digest_id = $7' END)
      INTO v_status
      USING outcome, v_max, reply, message_id, v_delay, $2, $3;
    IF v_status <> 'queued' AND kind <> 'digest' THEN     -- a summary has no customer's history
        PERFORM @extschema@._history($2, 'email',
                   format('%s %s %s to %s: %s', kind, $3,
                          CASE v_status WHEN 'sent' THEN 'emailed' ELSE 'failed' END,
                          array_to_string(recipients, ', '), reply),
                   jsonb_build_object(kind || '_id', $3, 'status', v_status, 'code', code,
                                      'message_id', CASE WHEN v_status = 'sent' THEN message_id END));
    END IF;
END
$$;

-- private: an email with no address becomes a letter, in the next print
-- batch (a summary whose manager has no valid address is failed)
CREATE FUNCTION @extschema@._email_to_letter(kind text, customer_id text, id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF kind = 'digest' THEN
        UPDATE @extschema@.digest g SET status = 'failed', last_error = 'the credit manager has no valid email address'
         WHERE g.digest_id = $3;
        RETURN;
    END IF;
    IF kind = 'reminder' THEN
        UPDATE @extschema@.reminder r
           SET channel = 'letter', status = 'issued',
               last_error = 'no email address: printed instead', next_attempt_at = NULL
         WHERE r.customer_id = $2 AND r.reminder_id = $3;
    ELSE
        UPDATE @extschema@.message g
           SET channel = 'letter',
               last_error = 'no email address: printed instead', next_attempt_at = NULL
         WHERE g.customer_id = $2 AND g.message_id = $3;
    END IF;
    PERFORM @extschema@._history($2, 'email',
               format('%s %s has no email address (no dunning contact, no customer.email): it goes to the next print batch',
                      kind, $3),
               jsonb_build_object(kind || '_id', $3, 'channel', 'letter'));
END
$$;

-- Sends the emails waiting in the outbox, oldest first, one transaction
-- each.  No SET clause: a procedure that commits cannot have one, so every
-- name is qualified.
CREATE PROCEDURE @extschema@.send_outbox(max_messages integer DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    v_kind text;
    v_customer text;
    v_id bigint;
    e record;
    s record;
    v_sent integer := 0;
    v_failed integer := 0;
    v_retry integer := 0;
    v_letters integer := 0;
    v_done integer := 0;
    v_down boolean := false;
BEGIN
    IF max_messages IS NOT NULL AND max_messages OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION 'max_messages must not be negative'
            USING ERRCODE = '22023', DETAIL = 'NULL sends every email due.';
    END IF;
    -- load dunning.so, which defines the settings read below
    PERFORM @extschema@.as_of();
    IF COALESCE(pg_catalog.current_setting('dunning.smtp_url', true), '') OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION 'dunning.smtp_url is not set'
            USING ERRCODE = '55000', DETAIL = 'send_outbox sends through the SMTP server of this setting.',
                  HINT = 'ALTER SYSTEM SET dunning.smtp_url = ''smtp://mail.example.com:25''; SELECT pg_reload_conf();';
    END IF;
    LOOP
        EXIT WHEN v_down OR (max_messages IS NOT NULL AND v_done OPERATOR(pg_catalog.>=) max_messages);
        v_kind := 'reminder';
        SELECT r.customer_id, r.reminder_id INTO v_customer, v_id
          FROM @extschema@.reminder r
         WHERE r.status OPERATOR(pg_catalog.=) 'queued' AND r.channel OPERATOR(pg_catalog.=) 'email'
           AND (r.next_attempt_at IS NULL OR r.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
         ORDER BY r.created_at, r.customer_id, r.reminder_id
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            v_kind := 'message';
            SELECT g.customer_id, g.message_id INTO v_customer, v_id
              FROM @extschema@.message g
             WHERE g.status OPERATOR(pg_catalog.=) 'queued' AND g.channel OPERATOR(pg_catalog.=) 'email'
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
             ORDER BY g.created_at, g.customer_id, g.message_id
             LIMIT 1
               FOR UPDATE SKIP LOCKED;
        END IF;
        IF NOT FOUND THEN
            -- the credit managers' summaries of the day
            v_kind := 'digest';
            SELECT g.manager_id, g.digest_id INTO v_customer, v_id
              FROM @extschema@.digest g
             WHERE g.status OPERATOR(pg_catalog.=) 'queued'
               AND (g.next_attempt_at IS NULL OR g.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())
             ORDER BY g.created_at, g.digest_id
             LIMIT 1
               FOR UPDATE SKIP LOCKED;
            EXIT WHEN NOT FOUND;
        END IF;
        v_done := v_done OPERATOR(pg_catalog.+) 1;
        BEGIN
            e := @extschema@._email(v_kind, v_customer, v_id);
            IF pg_catalog.cardinality(e."to") OPERATOR(pg_catalog.=) 0 THEN
                PERFORM @extschema@._email_to_letter(v_kind, v_customer, v_id);
                v_letters := v_letters OPERATOR(pg_catalog.+) 1;
            ELSE
                s := @extschema@._smtp_send(e."to" OPERATOR(pg_catalog.||) e.cc, e.sender, e.mime);
                PERFORM @extschema@._email_outcome(v_kind, v_customer, v_id, s.outcome, s.code, s.reply,
                                                   e.message_id, e."to" OPERATOR(pg_catalog.||) e.cc);
                IF s.outcome OPERATOR(pg_catalog.=) 'sent' THEN
                    v_sent := v_sent OPERATOR(pg_catalog.+) 1;
                ELSIF s.outcome OPERATOR(pg_catalog.=) 'permanent' THEN
                    v_failed := v_failed OPERATOR(pg_catalog.+) 1;
                ELSE
                    v_retry := v_retry OPERATOR(pg_catalog.+) 1;
                    -- no server reply at all: the server is down, stop here;
                    -- the other emails stay queued as they were
                    v_down := s.code IS NULL;
                END IF;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- the email could not be written (no company, no sender, a
            -- letter that fails): an attempt, with the error
            PERFORM @extschema@._email_outcome(v_kind, v_customer, v_id, 'temporary', NULL,
                                               SQLSTATE OPERATOR(pg_catalog.||) ': ' OPERATOR(pg_catalog.||) SQLERRM,
                                               NULL, '{}');
            v_retry := v_retry OPERATOR(pg_catalog.+) 1;
        END;
        COMMIT;
    END LOOP;
    RAISE NOTICE 'send_outbox: % sent, % failed, % to try again, % without address (to the print batch)%',
        v_sent, v_failed, v_retry, v_letters,
        CASE WHEN v_down THEN '; stopped: the SMTP server did not answer' ELSE '' END;
END
$$;
COMMENT ON PROCEDURE @extschema@.send_outbox(integer) IS
    'sends the queued emails (reminders, messages, the credit managers'' summaries) through dunning.smtp_url, committing after each; outcomes on the reminder, message or digest';

-- Sending is for the roles the administrator chooses (README "Delivery",
-- privileges): whoever may call _smtp_send may send any mail through the
-- server of dunning.smtp_url.
REVOKE ALL ON FUNCTION @extschema@._smtp_send(text[], text, text) FROM PUBLIC;
