-- Plain-SQL item status: for every open debit as of :'asof', the level it is
-- due for or the reason it is held back, the level of its letter and the
-- letter's overdue total, as a SQL developer would write it: the next level
-- from a LATERAL look-up, the escalation rules as one CASE, the letter from
-- window sums over customer and currency.  It handles what the bench's
-- procedure uses (grace days, levels in order, intervals, minimum balance,
-- level minimums per currency, item exclusions, disputes, blocks, promises);
-- not allow_skip, repeat_last, courtesy levels nor payment plans.  (The
-- generated ledger has no allocation dated after :'asof', so open_amount
-- is what was open that day.)
CREATE TEMP TABLE ref_items AS
WITH judged AS (
    SELECT e.customer_id, e.entry_id, e.currency, e.amount, e.open_amount, e.level,
           c.policy_id, p.min_balance, d.days,
           -- what holds the item back
           CASE WHEN e.amount <= 0 THEN NULL
                WHEN e.excluded THEN 'excluded'
                WHEN e.source = ANY (p.excluded_sources) THEN 'source_excluded'
                WHEN e.payment_method = ANY (p.excluded_methods) THEN 'method_excluded'
                WHEN e.status = 'disputed' AND (e.disputed_amount IS NULL OR e.disputed_amount >= e.open_amount) THEN 'disputed'
                WHEN e.status IN ('blocked', 'litigation') THEN 'blocked'
                WHEN EXISTS (SELECT 1 FROM dunning.promise pr
                              WHERE pr.customer_id = e.customer_id AND e.entry_id = ANY (pr.entry_ids)
                                AND pr.status = 'open' AND pr.made_on <= :'asof' AND pr.promised_on >= :'asof')
                THEN 'promise'
           END AS hold,
           coalesce(c.blocked_until >= :'asof'::date, false) AS customer_blocked,
           c.last_reminded_on IS NOT NULL AND :'asof'::date - c.last_reminded_on < greatest(p.min_interval_days, 1)
               AS customer_interval,
           -- the escalation: the first level above the item's
           CASE WHEN e.amount <= 0 THEN NULL
                WHEN p.policy_id IS NULL THEN 'excluded'
                WHEN d.days > 0 AND d.days < p.grace_days THEN 'grace'
                WHEN nl.level IS NULL THEN 'last_level'
                WHEN d.days < nl.min_days THEN CASE WHEN d.days <= 0 THEN 'not_due' ELSE 'below_min_days' END
                WHEN e.last_reminded_on IS NOT NULL
                 AND :'asof'::date - e.last_reminded_on < greatest(nl.min_interval_days, 1) THEN 'interval'
                ELSE 'due' END AS verdict,
           nl.level AS next_level
      FROM dunning.entry e
      JOIN dunning.customer c ON c.customer_id = e.customer_id
      LEFT JOIN dunning.policy p ON p.policy_id = c.policy_id
      CROSS JOIN LATERAL (SELECT CASE WHEN e.amount > 0
                                      THEN :'asof'::date - coalesce(e.due_date, e.doc_date) END AS days) d
      LEFT JOIN LATERAL (SELECT l.level, l.min_days, l.min_interval_days FROM dunning.level l
                          WHERE l.policy_id = c.policy_id AND l.level > e.level
                          ORDER BY l.level LIMIT 1) nl ON e.amount > 0
     WHERE e.open_amount <> 0 AND e.doc_date <= :'asof'
), dunned AS (
    SELECT j.*,
           CASE WHEN j.hold IS NULL AND NOT j.customer_blocked AND j.verdict = 'due' THEN j.next_level END AS dun_level,
           -- what a letter claims: the overdue part of debits nothing holds, less open credits
           CASE WHEN j.amount < 0 THEN j.open_amount
                WHEN (j.days > 0 OR j.verdict = 'due') AND j.hold IS NULL
                THEN greatest(j.open_amount - CASE WHEN e.status = 'disputed' THEN coalesce(e.disputed_amount, 0) ELSE 0 END, 0)
                ELSE 0 END AS claimable
      FROM judged j
      JOIN dunning.entry e ON e.customer_id = j.customer_id AND e.entry_id = j.entry_id
), letters AS (
    SELECT d.*,
           max(d.dun_level) OVER w AS letter_level,
           sum(d.claimable) OVER w AS overdue_total
      FROM dunned d
    WINDOW w AS (PARTITION BY d.customer_id, d.currency)
)
SELECT t.customer_id, t.entry_id, t.dun_level AS next_level,
       CASE WHEN t.hold IS NOT NULL THEN t.hold
            WHEN t.customer_blocked THEN 'customer_blocked'
            WHEN t.dun_level IS NULL THEN t.verdict
            WHEN t.customer_interval THEN 'customer_interval'
            WHEN NOT (t.overdue_total > 0
                      AND t.overdue_total >= greatest(t.min_balance,
                              coalesce((SELECT la.min_amount FROM dunning.level_amount la
                                         WHERE la.policy_id = t.policy_id AND la.level = t.letter_level
                                           AND la.currency = t.currency),
                                       (SELECT l.min_amount FROM dunning.level l
                                         WHERE l.policy_id = t.policy_id AND l.level = t.letter_level))))
            THEN 'below_min_balance'
            ELSE 'proposed' END AS reason,
       t.letter_level, t.overdue_total
  FROM letters t
 WHERE t.amount > 0;
