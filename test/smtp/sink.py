#!/usr/bin/python3
"""An SMTP server on loopback for the delivery tests and the demo (Debian's
python3-aiosmtpd).  Every message it takes is written to DIR/N.eml with the
envelope in DIR/N.env.  Recipients decide the reply, so one server tests
every outcome:

    ...unknown...@   550 5.1.1 (a permanent failure)
    ...busy...@      451 4.3.0 (a temporary failure)
    anything else    250, "queued as N"

Usage: sink.py PORT DIR   (prints "listening on PORT" once it accepts)
"""
import asyncio, os, sys, signal
from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if 'unknown' in address:
            return '550 5.1.1 <%s>: recipient unknown' % address
        if 'busy' in address:
            return '451 4.3.0 <%s>: mailbox busy, try later' % address
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        base = os.path.join(self.dir, '%d' % self.n)
        with open(base + '.eml', 'wb') as f:
            f.write(envelope.original_content)
        with open(base + '.env', 'w') as f:
            f.write('from %s\n' % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write('to %s\n' % r)
        return '250 2.0.0 Ok: queued as %d' % self.n


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname='127.0.0.1', port=port,
                            data_size_limit=64 * 1024 * 1024)
    controller.start()
    print('listening on %d' % port, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == '__main__':
    main()
