-- a collector logs a call with a promise to pay
\set c random(1, 300)
DO $$ BEGIN
    PERFORM dunning.log_contact('C' || :c, 'phone', 'will pay', promised_on => '2025-04-15', promised_amount => 100);
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN invalid_parameter_value OR object_not_in_prerequisite_state THEN NULL;   -- nothing to promise
END $$;
