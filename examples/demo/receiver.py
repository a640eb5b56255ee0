#!/usr/bin/python3
"""A stand-in for the outside world of the demo: records every request it gets
(alerts POSTed by notify, artifacts PUT by fetch put) as JSON lines in a file.

Usage: receiver.py LOG_FILE   — prints "READY <port>" once listening on 127.0.0.1.
"""
import http.server
import json
import socketserver
import sys

LOG = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            # fetch put streams a packed directory: chunks until a zero-size one
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def record(self):
        body = self.body()
        with open(LOG, "a") as log:
            entry = {"method": self.command, "path": self.path, "bytes": len(body)}
            if self.headers.get("Content-Type", "").startswith("application/json"):
                entry["json"] = json.loads(body or b"null")
            log.write(json.dumps(entry) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = record
    do_PUT = record

    def log_message(self, *args):
        pass


with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as server:
    print("READY", server.server_address[1], flush=True)
    server.serve_forever()
