-- the mailer sends a few emails
CALL dunning.send_outbox(5);
