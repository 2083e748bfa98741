-- The soak test's ledger (test/soak/run): 300 customers of two managers
-- with invoices over three months, a three-level procedure with emails, a
-- company that sends them.
\set ON_ERROR_STOP 1
SELECT setseed(0.6);
INSERT INTO dunning.company (company_id, name, city, country, email)
VALUES ('ACME', 'Acme Fournitures SAS', 'Paris', 'FR', 'relances@acme.example');
INSERT INTO dunning.policy (policy_id, name, currency, min_balance) VALUES ('std', 'Standard', 'EUR', 0);
INSERT INTO dunning.level (policy_id, level, min_days, min_interval_days, fee, channel) VALUES
    ('std', 1, 1, 0, 0, 'email'), ('std', 2, 10, 3, 10, 'email'), ('std', 3, 20, 3, 20, 'letter');
INSERT INTO dunning.credit_manager (manager_id, name, email) VALUES
    ('m1', 'Claire Martin', 'claire@acme.example'), ('m2', 'Paul Leroy', 'paul@acme.example');
INSERT INTO dunning.customer (customer_id, name, policy_id, manager_id, email)
SELECT 'C' || i, 'Customer ' || i, 'std', 'm' || (1 + i % 2), 'c' || i || '@customers.example'
  FROM generate_series(1, 300) i;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
SELECT 'C' || i, 'invoice', 'F' || i || '-' || k, '2025-01-01'::date + k * 7, '2025-01-31'::date + k * 7,
       round((50 + random() * 950)::numeric, 2), 'EUR'
  FROM generate_series(1, 300) i, generate_series(1, 4) k;
ANALYZE;
