-- Plain-SQL FIFO lettering: window functions give each debit and credit its
-- running range within the customer and currency; overlapping ranges are
-- allocations.  One partial group per customer; the allocations go through
-- the table's triggers, which keep the open amounts and codes.
CREATE TEMP TABLE ref_fifo AS
WITH d AS (
    SELECT customer_id, currency, entry_id, open_amount AS amt,
           sum(open_amount) OVER (PARTITION BY customer_id, currency
                                  ORDER BY coalesce(due_date, doc_date), doc_date, entry_id) AS hi
      FROM dunning.entry WHERE open_amount > 0),
c AS (
    SELECT customer_id, currency, entry_id, -open_amount AS amt,
           sum(-open_amount) OVER (PARTITION BY customer_id, currency
                                   ORDER BY doc_date, entry_id) AS hi
      FROM dunning.entry WHERE open_amount < 0)
SELECT d.customer_id, d.entry_id AS debit_id, c.entry_id AS credit_id,
       least(d.hi, c.hi) - greatest(d.hi - d.amt, c.hi - c.amt) AS amount
  FROM d JOIN c USING (customer_id, currency)
 WHERE c.hi - c.amt < d.hi AND d.hi - d.amt < c.hi;
INSERT INTO dunning.lettering (customer_id, letter_code, partial, strategy)
SELECT DISTINCT customer_id, 'zzz', true, 'sql' FROM ref_fifo;
INSERT INTO dunning.allocation (customer_id, letter_code, debit_id, credit_id, amount)
SELECT customer_id, 'zzz', debit_id, credit_id, amount FROM ref_fifo;
