-- the clerk letters one customer
\set c random(1, 300)
SELECT count(*) FROM dunning.auto_letter('C' || :c);
