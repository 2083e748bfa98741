-- a collector completes an open action
\set c random(1, 300)
DO $$ DECLARE a bigint; BEGIN
    SELECT min(action_id) INTO a FROM dunning.action WHERE customer_id = 'C' || :c AND done_on IS NULL;
    IF a IS NOT NULL THEN
        PERFORM dunning.complete_action('C' || :c, a, 'done in the soak test');
    END IF;
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN object_not_in_prerequisite_state OR invalid_parameter_value THEN NULL;   -- done meanwhile, before its day
END $$;
