#!/usr/bin/python3
"""A recording HTTP receiver for notify's tests, on 127.0.0.1.

Every request (except to /__control) is appended to LOG as one JSON line:
{"method", "path", "headers" (names lower-cased), "body", "answered", "utf8"} where
"utf8" tells whether the raw body was valid UTF-8 (the "body" field replaces what was not).
POST /__control with {"mode": "429"|"500"|"400"|"slow", "count": N, "retry_after": "1",
"delay": 2.0} makes the next N requests answer that way; then 200 again.
Prints "READY <port>" once listening.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log_path = sys.argv[1]
lock = threading.Lock()
plan = {"mode": None, "count": 0, "retry_after": None, "delay": 0.0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b"ok", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            raw.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        body = raw.decode("utf-8", "replace")
        if self.path == "/__control":
            with lock:
                plan.update({"mode": None, "count": 0, "retry_after": None, "delay": 0.0})
                plan.update(json.loads(body))
            return self._answer(200)
        with lock:
            mode = plan["mode"] if plan["count"] > 0 else None
            if mode:
                plan["count"] -= 1
            retry_after, delay = plan["retry_after"], plan["delay"]
        status, headers = 200, {}
        if mode == "429":
            status = 429
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
        elif mode == "500":
            status = 500
        elif mode == "400":
            status = 400
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": body, "answered": status, "time": time.time(), "utf8": utf8}
        with lock:
            with open(log_path, "a") as f:
                f.write(json.dumps(record) + "\n")
        if mode == "slow":
            time.sleep(delay)
        self._answer(status, b"ok" if status == 200 else b"no", headers)

    do_POST = _handle
    do_PUT = _handle
    do_GET = _handle


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("READY %d" % server.server_address[1], flush=True)
server.serve_forever()
