#!/usr/bin/python3
"""An SMTP server on loopback for the delivery tests and the demo (Debian's
python3-aiosmtpd).  Every message it takes is written to DIR/PID-N.eml with the
envelope in DIR/PID-N.env.  Recipients decide the reply, so one server tests
every outcome:

    ...unknown...@   550 5.1.1 (a permanent failure)
    ...busy...@      451 4.3.0 (a temporary failure)
    anything else    250, "queued as N"

Usage: sink.py PORT DIR [N]   (prints "listening on PORT" once it accepts;
with N, it takes N messages and then vanishes, dropping the connection)
"""
import asyncio, os, sys, signal
from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, limit):
        self.dir = directory
        self.n = 0
        self.limit = limit

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.limit and self.n >= self.limit:
            os._exit(0)     # vanishes in the middle of the dialogue: no reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if 'unknown' in address:
            return '550 5.1.1 <%s>: recipient unknown' % address
        if 'busy' in address:
            return '451 4.3.0 <%s>: mailbox busy, try later' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.dir, '%d-%d' % (os.getpid(), self.n))
        with open(base + '.eml', 'wb') as f:
            f.write(envelope.original_content)
        with open(base + '.env', 'w') as f:
            f.write('from %s\n' % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write('to %s\n' % r)
        return '250 2.0.0 Ok: queued as %d-%d' % (os.getpid(), self.n)


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory, limit), hostname='127.0.0.1', port=port,
                            data_size_limit=64 * 1024 * 1024)
    controller.start()
    print('listening on %d' % port, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == '__main__':
    main()
