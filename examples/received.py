#!/usr/bin/python3
"""What the demo's SMTP server received (test/delivery/sink.py writes each
message to DIR/PID-N.eml): a count, then the first three messages with their
envelope, subject and attachments."""
import email, email.policy, glob, sys

files = sorted(glob.glob(sys.argv[1] + '/*.eml'), key=lambda f: int(f.rsplit('-', 1)[1][:-4]))
print('%d messages received' % len(files))
for f in files[:3]:
    m = email.message_from_bytes(open(f, 'rb').read(), policy=email.policy.default)
    env = open(f[:-4] + '.env').read().split('\n')
    print('---')
    print('envelope: %s' % ', '.join(l for l in env if l))
    for h in ('From', 'To', 'Cc', 'Subject', 'Message-ID'):
        if m[h]:
            print('%s: %s' % (h, m[h]))
    body = m.get_body(('plain',)).get_content()
    print('text: %s ...' % ' '.join(body.split())[:150])
    for a in m.iter_attachments():
        print('attached: %s (%s, %d bytes)' % (a.get_filename(), a.get_content_type(), len(a.get_content())))
