-- a credit manager issues one customer's reminder
\set c random(1, 300)
\set d random(0, 60)
DO $$ BEGIN
    PERFORM count(*) FROM dunning.issue_reminders('2025-03-01'::date + :d, customers => ARRAY['C' || :c]);
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN object_not_in_prerequisite_state THEN NULL;   -- reminded after that day already
END $$;
