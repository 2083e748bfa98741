-- Plain-SQL follow-up schedule as of :'asof': the open actions with what is
-- open on their entries (a promise check: the promised amount), and the
-- credit-insurer deadlines of insured customers' overdue invoices not yet
-- notified.  (The generated ledger has no allocation dated after :'asof',
-- so open_amount is what was open that day.)
CREATE TEMP TABLE ref_schedule AS
SELECT s.due_on, s.owner, s.customer_id, c.name, s.kind, s.title, s.amount, s.currency,
       :'asof'::date - s.due_on AS days_late,
       CASE WHEN s.due_on < :'asof'::date THEN 'late'
            WHEN s.due_on = :'asof'::date THEN 'today' ELSE 'upcoming' END AS state,
       s.action_id, s.entry_ids
  FROM (SELECT a.due_on, a.owner, a.customer_id, a.kind, a.title,
               coalesce(p.amount, o.amount) AS amount, coalesce(p.currency, o.currency) AS currency,
               a.action_id, a.entry_ids
          FROM dunning.action a
          LEFT JOIN dunning.promise p ON p.customer_id = a.customer_id AND p.promise_id = a.promise_id
          LEFT JOIN LATERAL (SELECT sum(e.open_amount) AS amount, min(e.currency) AS currency
                               FROM dunning.entry e
                              WHERE e.customer_id = a.customer_id AND e.entry_id = ANY (a.entry_ids)
                                AND e.open_amount <> 0 AND e.doc_date <= :'asof') o ON true
         WHERE a.done_on IS NULL
        UNION ALL
        SELECT e.due_date + pol.insurer_notice_days, c.manager_id, e.customer_id, 'insurer_notice',
               format('notify the credit insurer of %s (due %s)', coalesce(e.ref, e.entry_id::text), e.due_date),
               e.open_amount, e.currency, NULL, ARRAY[e.entry_id]
          FROM dunning.entry e
          JOIN dunning.customer c ON c.customer_id = e.customer_id
          JOIN dunning.policy pol ON pol.policy_id = c.policy_id
         WHERE c.insured AND pol.insurer_notice_days IS NOT NULL
           AND e.kind = 'invoice' AND e.amount > 0 AND e.open_amount <> 0 AND e.doc_date <= :'asof'
           AND coalesce(e.due_date, e.doc_date) < :'asof'
           AND NOT EXISTS (SELECT 1 FROM dunning.action n
                            WHERE n.customer_id = e.customer_id AND n.kind = 'insurer_notice'
                              AND e.entry_id = ANY (n.entry_ids))) s
  JOIN dunning.customer c ON c.customer_id = s.customer_id;
