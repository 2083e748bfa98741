-- The invariants after the soak (test/soak/run): each query names what it
-- checks and how many rows break it; all must be 0.
SELECT 'entry counters differ from the non-cancelled reminders', count(*)
  FROM dunning.entry e
  LEFT JOIN (SELECT l.customer_id, l.entry_id, count(*) AS n, max(r.as_of) AS last
               FROM dunning.reminder_line l
               JOIN dunning.reminder r USING (customer_id, reminder_id)
              WHERE l.dunned AND r.status <> 'cancelled'
              GROUP BY 1, 2) c USING (customer_id, entry_id)
 WHERE e.reminder_count <> coalesce(c.n, 0) OR e.last_reminded_on IS DISTINCT FROM c.last
UNION ALL
SELECT 'customer counters differ from the non-cancelled reminders', count(*)
  FROM dunning.customer cu
  LEFT JOIN (SELECT customer_id, count(*) AS n, max(as_of) AS last
               FROM dunning.reminder WHERE status <> 'cancelled' GROUP BY 1) c USING (customer_id)
 WHERE cu.reminder_count <> coalesce(c.n, 0) OR cu.last_reminded_on IS DISTINCT FROM c.last
UNION ALL
SELECT 'open amount is not amount less allocations, or out of bounds', count(*)
  FROM dunning.entry e
  LEFT JOIN (SELECT customer_id, entry_id, sum(a) AS a
               FROM (SELECT customer_id, debit_id AS entry_id, amount AS a FROM dunning.allocation
                     UNION ALL
                     SELECT customer_id, credit_id, - amount FROM dunning.allocation) x
              GROUP BY 1, 2) s USING (customer_id, entry_id)
 WHERE e.open_amount <> e.amount - coalesce(s.a, 0)
    OR e.open_amount < least(0, e.amount) OR e.open_amount > greatest(0, e.amount)
UNION ALL
SELECT 'an item dunned twice on one day', count(*)
  FROM (SELECT l.customer_id, l.entry_id, r.as_of
          FROM dunning.reminder_line l JOIN dunning.reminder r USING (customer_id, reminder_id)
         WHERE l.dunned AND r.status <> 'cancelled'
         GROUP BY 1, 2, 3 HAVING count(*) > 1) x
UNION ALL
SELECT 'a total lettering group with an entry still open', count(*)
  FROM dunning.lettering g JOIN dunning.entry e ON e.customer_id = g.customer_id AND e.letter_code = g.letter_code
 WHERE NOT g.partial AND e.open_amount <> 0
UNION ALL
SELECT 'a lettering group whose allocations do not match its entries', count(*)
  FROM dunning.allocation a
  LEFT JOIN dunning.lettering g USING (customer_id, letter_code)
 WHERE g.letter_code IS NULL
UNION ALL
SELECT 'an email marked sent without its Message-ID and server reply', count(*)
  FROM dunning.reminder WHERE status = 'sent' AND channel = 'email' AND (smtp_message_id IS NULL OR smtp_reply IS NULL);
