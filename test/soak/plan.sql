-- a payment plan on a customer's open items
\set c random(1, 300)
DO $$ DECLARE ids bigint[]; total numeric; BEGIN
    SELECT array_agg(entry_id ORDER BY entry_id), sum(open_amount) INTO ids, total
      FROM dunning.entry WHERE customer_id = 'C' || :c AND kind = 'invoice' AND open_amount > 0 AND status = 'open';
    IF ids IS NOT NULL THEN
        PERFORM dunning.create_payment_plan('C' || :c, ids, ARRAY['2025-05-01', '2025-06-01']::date[],
                                            ARRAY[round(total / 2, 2), total - round(total / 2, 2)]);
    END IF;
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN invalid_parameter_value OR object_not_in_prerequisite_state THEN NULL;
END $$;
