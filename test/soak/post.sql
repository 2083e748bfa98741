-- the ERP posts an invoice and a payment for one customer
\set c random(1, 300)
\set a random(100, 90000)
BEGIN;
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, due_date, amount, currency)
VALUES ('C' || :c, 'invoice', 'S' || :c || '-' || :a, '2025-03-01', '2025-03-15', :a / 100.0, 'EUR');
INSERT INTO dunning.entry (customer_id, kind, ref, doc_date, amount, currency)
VALUES ('C' || :c, 'payment', 'PAY S' || :c || '-' || :a, '2025-03-20', - :a / 200.0, 'EUR');
END;
