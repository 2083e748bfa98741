
-------------------------------------------------------------------------------
-- The printed letter (README "Delivery"): letter_pdf, message_pdf, run_pdf,
-- print_batch.
--
-- _letter_doc and _message_doc write every word of a letter as a jsonb
-- document: labels in the customer's language, amounts and dates written
-- out, the structured creditor reference (ISO 11649), the EPC QR payload
-- (EPC069-12).  _pdf (src/pdf.c, in the library dunning_delivery) lays the
-- documents of a cursor out on A4 pages (DIN 5008 form B) with cairo and
-- pango.  SELECT dunning._letter_doc(c, r) shows what a letter will say.
-------------------------------------------------------------------------------

-- private: the words of a letter other than its template's, by language
-- (English when the language has none)
CREATE FUNCTION @extschema@._label(key text, language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT coalesce(t.labels -> left($2, 2) ->> $1, t.labels -> 'en' ->> $1, $1)
  FROM (SELECT '{
    "en": {"ref": "Reference", "date": "Date", "due": "Due date", "days": "Days overdue",
           "open": "Open amount", "overdue": "Total overdue", "fees": "Reminder fee",
           "interest": "Late interest", "compensation": "Compensation for recovery costs",
           "total": "Total to pay", "customer": "Customer no.", "reminder": "Reminder no.",
           "message": "Our ref.", "contact": "Your contact", "page": "page",
           "vat": "VAT", "scan": "Scan with your banking app",
           "pay_iban": "Please pay %1$s by %2$s to %3$s, IBAN %4$s%5$s, quoting the reference %6$s.",
           "pay": "Please pay %1$s by %2$s, quoting the reference %6$s.",
           "ref_only": "Please quote the reference %6$s with your payments.", "bic": ", BIC "},
    "fr": {"ref": "Pièce", "date": "Date", "due": "Échéance", "days": "Jours de retard",
           "open": "Montant dû", "overdue": "Total échu", "fees": "Frais de relance",
           "interest": "Pénalités de retard", "compensation": "Indemnité forfaitaire de recouvrement",
           "total": "Total à régler", "customer": "N° client", "reminder": "N° relance",
           "message": "Notre réf.", "contact": "Votre contact", "page": "page",
           "vat": "TVA", "scan": "Scannez avec votre application bancaire",
           "pay_iban": "Merci de régler %1$s avant le %2$s par virement à %3$s, IBAN %4$s%5$s, en indiquant la référence %6$s.",
           "pay": "Merci de régler %1$s avant le %2$s en indiquant la référence %6$s.",
           "ref_only": "Merci d''indiquer la référence %6$s avec vos règlements.", "bic": ", BIC "},
    "de": {"ref": "Beleg", "date": "Datum", "due": "Fällig am", "days": "Tage überfällig",
           "open": "Offener Betrag", "overdue": "Überfällig gesamt", "fees": "Mahngebühr",
           "interest": "Verzugszinsen", "compensation": "Verzugspauschale",
           "total": "Zu zahlen", "customer": "Kundennr.", "reminder": "Mahnung Nr.",
           "message": "Unser Zeichen", "contact": "Ihr Kontakt", "page": "Seite",
           "vat": "USt-IdNr.", "scan": "Mit Ihrer Banking-App scannen",
           "pay_iban": "Bitte überweisen Sie %1$s bis zum %2$s an %3$s, IBAN %4$s%5$s, mit der Referenz %6$s.",
           "pay": "Bitte zahlen Sie %1$s bis zum %2$s mit der Referenz %6$s.",
           "ref_only": "Bitte geben Sie bei Zahlungen die Referenz %6$s an.", "bic": ", BIC "},
    "pl": {"ref": "Dokument", "date": "Data", "due": "Termin płatności", "days": "Dni zwłoki",
           "open": "Kwota do zapłaty", "overdue": "Razem zaległe", "fees": "Opłata za wezwanie",
           "interest": "Odsetki za zwłokę", "compensation": "Rekompensata za koszty odzyskiwania",
           "total": "Razem do zapłaty", "customer": "Nr klienta", "reminder": "Nr wezwania",
           "message": "Nasz znak", "contact": "Osoba kontaktowa", "page": "strona",
           "vat": "NIP", "scan": "Zeskanuj w aplikacji bankowej",
           "pay_iban": "Prosimy o zapłatę %1$s do dnia %2$s na rachunek %3$s, IBAN %4$s%5$s, z podaniem referencji %6$s.",
           "pay": "Prosimy o zapłatę %1$s do dnia %2$s z podaniem referencji %6$s.",
           "ref_only": "Prosimy o podawanie referencji %6$s przy płatnościach.", "bic": ", BIC "}
  }'::jsonb AS labels) t;
END;

-- private: a date in a table cell, in the customer's language
CREATE FUNCTION @extschema@._short_date(d date, language text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT to_char($1, CASE left($2, 2)
                        WHEN 'en' THEN 'YYYY-MM-DD'
                        WHEN 'de' THEN 'DD.MM.YYYY'
                        WHEN 'pl' THEN 'DD.MM.YYYY'
                        WHEN 'nl' THEN 'DD-MM-YYYY'
                        ELSE 'DD/MM/YYYY' END);
END;

-- ISO 11649: the structured creditor reference "RF" + two check digits +
-- the reference, the check digits making it 1 modulo 97
CREATE FUNCTION @extschema@.creditor_reference(reference text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ref text := upper(regexp_replace($1, '[^A-Za-z0-9]', '', 'g'));
    v_digits text := '';
    v_char text;
BEGIN
    IF v_ref = '' OR length(v_ref) > 21 THEN
        RAISE EXCEPTION 'creditor reference "%" must be 1 to 21 letters or digits', $1
            USING ERRCODE = '22023', DETAIL = 'ISO 11649 references are RF, two check digits and at most 21 characters.';
    END IF;
    FOREACH v_char IN ARRAY regexp_split_to_array(v_ref || 'RF00', '') LOOP
        v_digits := v_digits || CASE WHEN v_char ~ '[A-Z]'
                                     THEN (ascii(v_char) - 55)::text ELSE v_char END;
    END LOOP;
    RETURN 'RF' || lpad((98 - v_digits::numeric % 97)::text, 2, '0') || v_ref;
END
$$;
COMMENT ON FUNCTION @extschema@.creditor_reference(text) IS
    'the ISO 11649 structured creditor reference (RF..) of a reference; letters quote RF + customer + R + reminder id';

-- private: the reference a letter asks to be quoted: the customer's
-- letters and digits (shortened) and the reminder ('R') or message ('M') id
CREATE FUNCTION @extschema@._payment_reference(customer_id text, kind text, id bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT @extschema@.creditor_reference(
           left(upper(regexp_replace($1, '[^A-Za-z0-9]', '', 'g')),
                greatest(0, 20 - length($3::text))) || $2 || $3::text);
END;

-- private: what the letterhead, the return line and the footer say of a
-- company, and the payment instructions with its account
CREATE FUNCTION @extschema@._letterhead(k @extschema@.company, language text)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT jsonb_build_object(
    'company_id', ($1).company_id,
    'letterhead', to_jsonb(array_remove(
        ARRAY[($1).name]
        || coalesce(regexp_split_to_array(nullif(trim(($1).address), ''), '\s*\n\s*'), '{}')
        || ARRAY[nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
                 nullif(concat_ws('  ', ($1).phone, ($1).email), '')], NULL)),
    'return_address', concat_ws(' · ', ($1).name,
                                split_part(coalesce(($1).address, ''), E'\n', 1),
                                nullif(concat_ws(' ', ($1).postal_code, ($1).city), '')),
    'footer', to_jsonb(array_remove(ARRAY[
        concat_ws(' · ', ($1).name, nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
                  @extschema@._label('vat', $2) || ' ' || ($1).vat_id),
        nullif(concat_ws(' · ', 'IBAN ' || ($1).iban, 'BIC ' || ($1).bic), '')], NULL)));
END;

-- private: the recipient lines of the address field: the name, the street
-- lines, postal code and city, the country when it is not the company's
CREATE FUNCTION @extschema@._address(c @extschema@.customer, company_country text)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
SELECT to_jsonb(array_remove(
    ARRAY[($1).name]
    || coalesce(regexp_split_to_array(nullif(trim(($1).address), ''), '\s*\n\s*'), '{}')
    || ARRAY[nullif(concat_ws(' ', ($1).postal_code, ($1).city), ''),
             CASE WHEN ($1).country IS DISTINCT FROM $2 THEN ($1).country END], NULL));
END;

-- The document of a reminder's letter, as _pdf prints it.
CREATE FUNCTION @extschema@._letter_doc(customer_id text, reminder_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    r @extschema@.reminder;
    c @extschema@.customer;
    k @extschema@.company;
    m @extschema@.credit_manager;
    lv @extschema@.level;
    v_lang text;
    v_items jsonb;
    v_cells jsonb;
    v_total numeric;
    v_body text;
    v_tpl text;
    v_ref text;
    v_pay_by date;
    v_money text;
    v_qr text;
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and reminder_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'A letter is the reminder of one customer.';
    END IF;
    SELECT x.* INTO r FROM @extschema@.reminder x
     WHERE x.customer_id = $1 AND x.reminder_id = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no reminder %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.reminder has no such row.';
    END IF;
    IF r.status = 'cancelled' THEN
        RAISE EXCEPTION 'reminder % of customer % is cancelled', $2, $1
            USING ERRCODE = '55000', DETAIL = 'A cancelled reminder is not printed.';
    END IF;
    SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $1;
    k := @extschema@._company_of($1);
    SELECT x.* INTO m FROM @extschema@.credit_manager x WHERE x.manager_id = c.manager_id;
    SELECT x.* INTO lv FROM @extschema@.level x
     WHERE x.policy_id = c.policy_id AND x.level = r.level;
    v_lang := coalesce(r.language, c.language, 'en');
    v_total := r.total_overdue + r.fees + r.interest + r.compensation;
    v_pay_by := r.as_of + coalesce(lv.payment_days, 10);

    -- the items, as the reminder listed them
    SELECT jsonb_agg(jsonb_build_object(
               'entry_id', l.entry_id, 'kind', e.kind, 'ref', e.ref,
               'doc_date', e.doc_date, 'due_date', coalesce(e.due_date, e.doc_date),
               'days_overdue', l.days_overdue, 'amount', e.amount,
               'open_amount', l.open_amount, 'level', l.level, 'dunned', l.dunned,
               'interest', l.interest, 'compensation', l.compensation)
               ORDER BY coalesce(e.due_date, e.doc_date), l.entry_id),
           jsonb_agg(jsonb_build_array(
               coalesce(e.ref, e.kind || ' ' || l.entry_id),
               @extschema@._short_date(e.doc_date, v_lang),
               @extschema@._short_date(coalesce(e.due_date, e.doc_date), v_lang),
               CASE WHEN l.days_overdue > 0 THEN l.days_overdue::text ELSE '' END,
               @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', l.open_amount)))
               ORDER BY coalesce(e.due_date, e.doc_date), l.entry_id)
      INTO v_items, v_cells
      FROM @extschema@.reminder_line l
      JOIN @extschema@.entry e ON e.customer_id = l.customer_id AND e.entry_id = l.entry_id
     WHERE l.customer_id = $1 AND l.reminder_id = $2;

    -- the body: the template of the letter rendered with "pdf" set, so that
    -- the shipped templates leave the items to the table (a form feed marks
    -- its place); the body as issued when the template is gone
    SELECT t.body INTO v_tpl
      FROM @extschema@._template(@extschema@._level_template(lv.template, lv.final, r.level),
                                 v_lang, CASE WHEN r.channel = 'legal' THEN 'legal' ELSE 'letter' END) t;
    IF v_tpl IS NULL THEN
        v_body := r.body;
    ELSE
        v_body := @extschema@.render(v_tpl, jsonb_build_object(
            'language', v_lang, 'pdf', E'\f',
            'customer', jsonb_build_object('id', c.customer_id, 'name', c.name,
                                           'email', c.email, 'phone', c.phone),
            'manager', jsonb_build_object('id', m.manager_id, 'name', m.name, 'email', m.email),
            'reminder', jsonb_build_object(
                'date', r.as_of, 'level', r.level, 'channel', r.channel,
                'final', coalesce(lv.final, false), 'currency', r.currency,
                'total_overdue', r.total_overdue, 'fees', r.fees, 'interest', r.interest,
                'compensation', r.compensation, 'total', v_total,
                'items', jsonb_array_length(coalesce(v_items, '[]'))),
            'items', coalesce(v_items, '[]')));
    END IF;

    v_ref := @extschema@._payment_reference($1, 'R', $2);
    v_money := @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', v_total))
               || ' ' || r.currency;
    -- EPC069-12 version 002: the SEPA credit transfer a banking app reads
    IF r.currency = 'EUR' AND k.iban IS NOT NULL AND v_total BETWEEN 0.01 AND 999999999.99 THEN
        v_qr := concat_ws(E'\n', 'BCD', '002', '1', 'SCT', coalesce(k.bic, ''),
                          left(regexp_replace(k.name, '[[:cntrl:]]', ' ', 'g'), 70), k.iban,
                          'EUR' || to_char(round(v_total, 2), 'FM999999990.00'), '', v_ref);
    END IF;

    RETURN @extschema@._letterhead(k, v_lang) || jsonb_build_object(
        'recipient', @extschema@._address(c, k.country),
        'info', to_jsonb(ARRAY[
            @extschema@._label('customer', v_lang), c.customer_id,
            @extschema@._label('reminder', v_lang), r.reminder_id::text]
            || CASE WHEN m.name IS NOT NULL
                    THEN ARRAY[@extschema@._label('contact', v_lang), m.name] ELSE '{}' END
            || CASE WHEN m.email IS NOT NULL THEN ARRAY['', m.email] ELSE '{}' END
            || ARRAY[@extschema@._label('date', v_lang),
                     concat_ws(', ', k.city,
                               @extschema@.render('{{d|date}}',
                                   jsonb_build_object('language', v_lang, 'd', r.as_of)))]),
        'subject', r.subject,
        'body', v_body,
        'columns', jsonb_build_array(@extschema@._label('ref', v_lang), @extschema@._label('date', v_lang),
                                     @extschema@._label('due', v_lang), @extschema@._label('days', v_lang),
                                     @extschema@._label('open', v_lang)),
        'items', coalesce(v_cells, '[]'),
        'totals', to_jsonb(
            ARRAY[@extschema@._label('overdue', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.total_overdue))]
            || CASE WHEN r.fees > 0 THEN ARRAY[@extschema@._label('fees', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.fees))] ELSE '{}' END
            || CASE WHEN r.interest > 0 THEN ARRAY[@extschema@._label('interest', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.interest))] ELSE '{}' END
            || CASE WHEN r.compensation > 0 THEN ARRAY[@extschema@._label('compensation', v_lang),
                  @extschema@.render('{{a|money}}', jsonb_build_object('language', v_lang, 'a', r.compensation))] ELSE '{}' END
            || ARRAY[@extschema@._label('total', v_lang), v_money]),
        'payment', format(@extschema@._label(CASE WHEN k.iban IS NOT NULL THEN 'pay_iban' ELSE 'pay' END, v_lang),
                          v_money,
                          @extschema@.render('{{d|date}}', jsonb_build_object('language', v_lang, 'd', v_pay_by)),
                          k.name, k.iban, @extschema@._label('bic', v_lang) || k.bic, v_ref),
        'qr', v_qr,
        'qr_caption', CASE WHEN v_qr IS NOT NULL THEN @extschema@._label('scan', v_lang) END,
        'page_word', @extschema@._label('page', v_lang),
        'date', r.as_of::text,
        'reference', v_ref,
        'pay_by', v_pay_by,
        'total', v_total);
END
$$;
COMMENT ON FUNCTION @extschema@._letter_doc(text, bigint) IS
    'what the letter of a reminder says, as the jsonb document letter_pdf prints';

-- The document of a message (a payment plan's confirmation).
CREATE FUNCTION @extschema@._message_doc(customer_id text, message_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    g @extschema@.message;
    c @extschema@.customer;
    k @extschema@.company;
    v_lang text;
    v_ref text;
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION 'customer_id and message_id must not be null'
            USING ERRCODE = '22004', DETAIL = 'A letter is the message of one customer.';
    END IF;
    SELECT x.* INTO g FROM @extschema@.message x
     WHERE x.customer_id = $1 AND x.message_id = $2;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'customer % has no message %', $1, $2
            USING ERRCODE = '22023', DETAIL = 'Table dunning.message has no such row.';
    END IF;
    IF g.status = 'cancelled' THEN
        RAISE EXCEPTION 'message % of customer % is cancelled', $2, $1
            USING ERRCODE = '55000', DETAIL = 'A cancelled message is not printed.';
    END IF;
    SELECT x.* INTO c FROM @extschema@.customer x WHERE x.customer_id = $1;
    k := @extschema@._company_of($1);
    v_lang := coalesce(g.language, c.language, 'en');
    v_ref := @extschema@._payment_reference($1, 'M', $2);
    RETURN @extschema@._letterhead(k, v_lang) || jsonb_build_object(
        'recipient', @extschema@._address(c, k.country),
        'info', to_jsonb(ARRAY[
            @extschema@._label('customer', v_lang), c.customer_id,
            @extschema@._label('message', v_lang), g.kind || ' ' || g.message_id,
            @extschema@._label('date', v_lang),
            concat_ws(', ', k.city, @extschema@.render('{{d|date}}',
                jsonb_build_object('language', v_lang, 'd', (g.created_at AT TIME ZONE 'UTC')::date)))]),
        'subject', g.subject,
        'body', g.body,
        'payment', format(@extschema@._label('ref_only', v_lang), '', '', k.name, k.iban, '', v_ref),
        'page_word', @extschema@._label('page', v_lang),
        'date', (g.created_at AT TIME ZONE 'UTC')::date::text,
        'reference', v_ref);
END
$$;
COMMENT ON FUNCTION @extschema@._message_doc(text, bigint) IS
    'what the letter of a message says, as the jsonb document message_pdf prints';

-- private: the PDF of the letter documents of a cursor (src/pdf.c)
CREATE FUNCTION @extschema@._pdf(docs refcursor)
RETURNS bytea
AS '$libdir/dunning_delivery', '_pdf'
LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.letter_pdf(customer_id text, reminder_id bigint)
RETURNS bytea
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_doc jsonb := @extschema@._letter_doc($1, $2);
    v_cur refcursor;
BEGIN
    OPEN v_cur FOR SELECT v_doc;
    RETURN @extschema@._pdf(v_cur);
END
$$;
COMMENT ON FUNCTION @extschema@.letter_pdf(text, bigint) IS
    'the reminder as an A4 PDF letter (DIN 5008 form B), the same bytes every time';

CREATE FUNCTION @extschema@.message_pdf(customer_id text, message_id bigint)
RETURNS bytea
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_doc jsonb := @extschema@._message_doc($1, $2);
    v_cur refcursor;
BEGIN
    OPEN v_cur FOR SELECT v_doc;
    RETURN @extschema@._pdf(v_cur);
END
$$;
COMMENT ON FUNCTION @extschema@.message_pdf(text, bigint) IS
    'a message (a payment plan''s confirmation) as an A4 PDF letter';

-- (in C, so that the PDF of a run is not copied once more on its way out)
CREATE FUNCTION @extschema@.run_pdf(run_id bigint)
RETURNS bytea
AS '$libdir/dunning_delivery', 'dunning_run_pdf'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.run_pdf(bigint) IS
    'every letter of a run (channels letter and legal) in one PDF for the printer, customer by customer, each on a new sheet';

CREATE FUNCTION @extschema@.print_batch()
RETURNS bytea
AS '$libdir/dunning_delivery', 'dunning_print_batch'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.print_batch() IS
    'every letter waiting in the outbox (issued letters, messages by letter, emails with no address) in one PDF; mark_sent marks them printed';
