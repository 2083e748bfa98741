-- the whole ledger lettered (FIFO)
SELECT count(*) FROM dunning.auto_letter(strategies => '{reference,fifo}');
