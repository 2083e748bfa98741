-- a reminder sent by mistake is cancelled
\set c random(1, 300)
DO $$ DECLARE r bigint; BEGIN
    SELECT max(reminder_id) INTO r FROM dunning.reminder WHERE customer_id = 'C' || :c AND status <> 'cancelled';
    IF r IS NOT NULL THEN
        PERFORM dunning.cancel_reminder('C' || :c, r);
    END IF;
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN object_not_in_prerequisite_state THEN NULL;   -- sent meanwhile, or a charge lettered
END $$;
