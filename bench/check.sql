-- Before timing: each plain-SQL reference gives the extension's results.
\set ON_ERROR_STOP 1
\set QUIET 1
SET dunning.as_of = :'asof';

BEGIN;
\i bench/ref_aged_balance.sql
SELECT CASE WHEN count(*) = 0 THEN 'aged_balance: same results (' || (SELECT count(*) FROM ref_aged) || ' rows)'
            ELSE 'aged_balance: ' || count(*) || ' rows DIFFER' END AS check
  FROM ((SELECT * FROM ref_aged
         EXCEPT SELECT customer_id, name, manager_id, currency, not_due, overdue_1_30, overdue_31_60,
                       overdue_61_90, overdue_91_120, overdue_over_120, unapplied, total FROM dunning.aged_balance)
        UNION ALL
        (SELECT customer_id, name, manager_id, currency, not_due, overdue_1_30, overdue_31_60,
                overdue_61_90, overdue_91_120, overdue_over_120, unapplied, total FROM dunning.aged_balance
         EXCEPT SELECT * FROM ref_aged)) x \gset
\echo :check
ROLLBACK;

BEGIN;
SELECT count(*) AS n FROM dunning.auto_letter(strategies => '{fifo}') \gset
CREATE TEMP TABLE ext_alloc ON COMMIT PRESERVE ROWS AS
    SELECT customer_id, debit_id, credit_id, amount FROM dunning.allocation;
COMMIT;
-- the extension's lettering was committed only to keep ext_alloc: undo it
-- (TRUNCATE ... CASCADE takes the allocations too and reopens every entry)
TRUNCATE dunning.lettering CASCADE;
VACUUM ANALYZE dunning.entry;
BEGIN;
\i bench/ref_fifo_lettering.sql
SELECT CASE WHEN count(*) = 0 THEN 'fifo_lettering: same allocations (' || (SELECT count(*) FROM ext_alloc) || ')'
            ELSE 'fifo_lettering: ' || count(*) || ' allocations DIFFER' END AS check
  FROM ((SELECT * FROM ext_alloc
         EXCEPT SELECT customer_id, debit_id, credit_id, amount FROM dunning.allocation)
        UNION ALL
        (SELECT customer_id, debit_id, credit_id, amount FROM dunning.allocation
         EXCEPT SELECT * FROM ext_alloc)) x \gset
\echo :check
ROLLBACK;
