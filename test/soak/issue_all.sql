-- the night run: everyone, or one manager's customers
\set d random(0, 60)
\set m random(0, 2)
DO $$ BEGIN
    PERFORM count(*) FROM dunning.issue_reminders('2025-03-01'::date + :d,
                                                  manager_id => CASE WHEN :m = 0 THEN NULL ELSE 'm' || :m END);
EXCEPTION WHEN deadlock_detected OR serialization_failure THEN RAISE;
          WHEN object_not_in_prerequisite_state THEN NULL;
END $$;
