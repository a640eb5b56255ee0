#!/usr/bin/python3
"""A recording SMTP server for notify's tests (aiosmtpd), on 127.0.0.1.

notify_smtp.py LOG [CERT KEY [implicit]]: with CERT and KEY it offers STARTTLS and requires
it before MAIL (or, with "implicit", speaks TLS from the first byte as smtps:// does);
without, it offers no STARTTLS at all. Each accepted message is appended to LOG as
{"mail_from", "rcpt_tos", "data", "tls"}. Prints "READY <port>" once listening.
"""
import json
import signal
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller

log_path = sys.argv[1]


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "data": envelope.content.decode("utf-8", "replace"),
                  "tls": session.ssl is not None}
        with open(log_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 OK"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()

kwargs = {}
if len(sys.argv) > 3:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 4 and sys.argv[4] == "implicit":
        kwargs = {"ssl_context": ctx}
    else:
        kwargs = {"tls_context": ctx, "require_starttls": True}

controller = Controller(Recorder(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY %d" % port, flush=True)
signal.signal(signal.SIGTERM, lambda *a: (controller.stop(), sys.exit(0)))
while True:
    time.sleep(1)
