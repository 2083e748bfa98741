
-------------------------------------------------------------------------------
-- Companies (README "Delivery"): the creditor who writes to a customer, and
-- every customer's company, by which the aged balance, the proposal, the
-- dashboard and the KPIs are read per company.
-------------------------------------------------------------------------------

-- The company: the IBAN and BIC written without spaces in capitals, the
-- IBAN's checksum (ISO 13616, mod 97), the country, the sender address and
-- the logo checked when the company is saved.
CREATE FUNCTION @extschema@._company_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_digits text := '';
    v_char text;
BEGIN
    NEW.iban := nullif(upper(regexp_replace(NEW.iban, '\s', '', 'g')), '');
    NEW.bic := nullif(upper(regexp_replace(NEW.bic, '\s', '', 'g')), '');
    IF NEW.iban IS NOT NULL THEN
        IF NEW.iban !~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$' THEN
            RAISE EXCEPTION 'IBAN "%" of company % is malformed', NEW.iban, NEW.company_id
                USING ERRCODE = '22023',
                      DETAIL = 'An IBAN is a country code, two check digits and 11 to 30 letters or digits (ISO 13616).';
        END IF;
        FOREACH v_char IN ARRAY regexp_split_to_array(substr(NEW.iban, 5) || left(NEW.iban, 4), '')
        LOOP
            v_digits := v_digits || CASE WHEN v_char ~ '[A-Z]'
                                         THEN (ascii(v_char) - 55)::text ELSE v_char END;
        END LOOP;
        IF v_digits::numeric % 97 <> 1 THEN
            RAISE EXCEPTION 'IBAN "%" of company % fails its checksum', NEW.iban, NEW.company_id
                USING ERRCODE = '22023',
                      DETAIL = 'The check digits of an IBAN make it 1 modulo 97 (ISO 13616); a digit is wrong or two are swapped.';
        END IF;
    END IF;
    IF NEW.bic IS NOT NULL AND NEW.bic !~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$' THEN
        RAISE EXCEPTION 'BIC "%" of company % is malformed', NEW.bic, NEW.company_id
            USING ERRCODE = '22023',
                  DETAIL = 'A BIC is 8 or 11 letters and digits: bank, country, location, branch (ISO 9362).';
    END IF;
    IF NEW.country IS NOT NULL AND NEW.country !~ '^[A-Z]{2}$' THEN
        RAISE EXCEPTION 'country "%" of company % is not an ISO 3166 code', NEW.country, NEW.company_id
            USING ERRCODE = '22023', DETAIL = 'Write the two capital letters of ISO 3166-1 alpha-2, such as FR or DE.';
    END IF;
    IF NEW.email IS NOT NULL AND NOT @extschema@._is_email(NEW.email) THEN
        RAISE EXCEPTION 'email "%" of company % is not an address', NEW.email, NEW.company_id
            USING ERRCODE = '22023', DETAIL = 'The sender of the emails is one address such as dunning@example.com.';
    END IF;
    IF NEW.logo IS NOT NULL
       AND (octet_length(NEW.logo) < 33
            OR substr(NEW.logo, 1, 8) <> '\x89504e470d0a1a0a'::bytea
            OR substr(NEW.logo, 13, 4) <> '\x49484452'::bytea) THEN
        RAISE EXCEPTION 'the logo of company % is not a PNG image', NEW.company_id
            USING ERRCODE = '22023',
                  DETAIL = 'A logo is the bytes of a PNG file: the PNG signature, then its IHDR header.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER company_check BEFORE INSERT OR UPDATE ON @extschema@.company
    FOR EACH ROW EXECUTE FUNCTION @extschema@._company_check();

-- private: the company that writes to a customer: its own, else the only
-- one there is
CREATE FUNCTION @extschema@._company_of(customer_id text)
RETURNS @extschema@.company
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k @extschema@.company;
    n integer;
BEGIN
    SELECT co.* INTO k
      FROM @extschema@.customer c
      JOIN @extschema@.company co ON co.company_id = c.company_id
     WHERE c.customer_id = $1;
    IF FOUND THEN
        RETURN k;
    END IF;
    SELECT count(*) INTO n FROM @extschema@.company;
    IF n <> 1 THEN
        RAISE EXCEPTION 'customer % has no company to write its letters', $1
            USING ERRCODE = '55000',
                  DETAIL = CASE WHEN n = 0 THEN 'Table dunning.company is empty: a letter needs the creditor''s name and address.'
                                ELSE 'There are several companies and customer.company_id is not set.' END,
                  HINT = 'INSERT INTO dunning.company, or set customer.company_id.';
    END IF;
    SELECT co.* INTO k FROM @extschema@.company co;
    RETURN k;
END
$$;

-- The company of every customer: its own, else the only one there is
-- (NULL while there are several and it has none).  Join it to read any view
-- with a customer_id per company.
CREATE VIEW @extschema@.customer_company WITH (security_invoker = true) AS
SELECT c.customer_id,
       coalesce(c.company_id,
                (SELECT min(k.company_id) FROM @extschema@.company k
                  HAVING count(*) OPERATOR(pg_catalog.=) 1)) AS company_id
  FROM @extschema@.customer c;
COMMENT ON VIEW @extschema@.customer_company IS
    'the company of each customer (customer.company_id, else the only company); join it to read a view per company';
