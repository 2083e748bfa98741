-- Before timing the proposal: the letters (reminder_proposal, one pass
-- over the items) agree with their items (reminder_proposal_item, judged
-- letter by letter as issue_reminders does), and the recount of every
-- counter from the reminders is what the triggers keep (after one issue).
\set ON_ERROR_STOP 1
\set QUIET 1
SET dunning.as_of = :'asof';
SELECT CASE WHEN count(*) = 0
            THEN 'proposal: letters agree with their items (' ||
                 (SELECT count(*) FROM dunning.reminder_proposal) || ' letters)'
            ELSE 'proposal: ' || count(*) || ' letters DIFFER from their items' END
  FROM dunning.reminder_proposal p
  FULL JOIN (SELECT customer_id, currency, min(letter_level) AS lvl, count(*)::int AS n,
                    (count(*) FILTER (WHERE dunned))::int AS dn,
                    sum(interest) AS i, sum(compensation) AS c
               FROM dunning.reminder_proposal_item GROUP BY 1, 2) x
    USING (customer_id, currency)
 WHERE (p.level, p.items, p.dunned_items, p.interest, p.compensation)
       IS DISTINCT FROM (x.lvl, x.n, x.dn, x.i, x.c);
BEGIN;
SELECT count(*) AS issued FROM dunning.issue_reminders(:'asof') \gset
SELECT CASE WHEN count(*) = 0
            THEN 'issue_reminders: ' || :issued || ' reminders, entry counters equal the recount'
            ELSE 'issue_reminders: ' || count(*) || ' entry counters DIFFER from the recount' END
  FROM dunning.entry e
  LEFT JOIN (SELECT l.customer_id, l.entry_id, count(*)::int AS n, max(r.as_of) AS last
               FROM dunning.reminder_line l JOIN dunning.reminder r USING (customer_id, reminder_id)
              WHERE l.dunned AND r.status <> 'cancelled' GROUP BY 1, 2) s USING (customer_id, entry_id)
 WHERE (e.reminder_count, e.last_reminded_on) IS DISTINCT FROM (coalesce(s.n, 0), s.last);
ROLLBACK;
-- the plain-SQL item status and follow-up schedule give the extension's
BEGIN;
\i bench/ref_item_status.sql
SELECT CASE WHEN count(*) = 0 THEN 'item_status: same verdicts (' || (SELECT count(*) FROM ref_items) || ' items)'
            ELSE 'item_status: ' || count(*) || ' rows DIFFER' END
  FROM ((SELECT * FROM ref_items
         EXCEPT SELECT customer_id, entry_id, next_level, reason, letter_level, overdue_total FROM dunning.item_status)
        UNION ALL
        (SELECT customer_id, entry_id, next_level, reason, letter_level, overdue_total FROM dunning.item_status
         EXCEPT SELECT * FROM ref_items)) x;
\i bench/ref_followup_schedule.sql
SELECT CASE WHEN count(*) = 0 THEN 'followup_schedule: same schedule (' || (SELECT count(*) FROM ref_schedule) || ' rows)'
            ELSE 'followup_schedule: ' || count(*) || ' rows DIFFER' END
  FROM ((SELECT * FROM ref_schedule
         EXCEPT SELECT due_on, owner, customer_id, name, kind, title, amount, currency, days_late, state,
                       action_id, entry_ids FROM dunning.followup_schedule)
        UNION ALL
        (SELECT due_on, owner, customer_id, name, kind, title, amount, currency, days_late, state,
                action_id, entry_ids FROM dunning.followup_schedule
         EXCEPT SELECT * FROM ref_schedule)) x;
ROLLBACK;
