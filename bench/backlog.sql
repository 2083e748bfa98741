-- bench/backlog.sql: the 'backlog' ledger of SPEC 7, made from the
-- 'mature' one of bench/generate.sql: the ledger of a company that starts
-- dunning after a migration.  Every invoice is open (payments and credit
-- notes are gone), a quarter of the customers have one partial payment,
-- and one customer in a thousand is a large account with 2,000 more open
-- invoices issued over the 230 days before the last one (many small
-- customers, a few with thousands of items).
DELETE FROM dunning.entry WHERE kind IN ('payment', 'credit_note');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
SELECT DISTINCT ON (e.customer_id) e.customer_id, 'payment', 'PART ' || e.ref, e.doc_date + 20,
       -round(e.amount * 0.4, 2), e.currency
  FROM dunning.entry e
 WHERE e.kind = 'invoice' AND abs(hashtext(e.customer_id)) % 4 = 0
 ORDER BY e.customer_id, e.entry_id;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT b.customer_id, 'invoice', 'BIG-' || b.customer_id || '-' || g, m.last - 230 + g % 200,
       m.last - 200 + g % 200, 20 + (g * 37) % 980, b.currency
  FROM (SELECT DISTINCT ON (customer_id) customer_id, currency FROM dunning.entry
         WHERE kind = 'invoice' AND abs(hashtext(customer_id)) % 1000 = 7
         ORDER BY customer_id, entry_id) b,
       (SELECT max(doc_date) AS last FROM dunning.entry) m,
       generate_series(1, 2000) g;
