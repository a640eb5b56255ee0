#!/usr/bin/python3
"""A Pushgateway stand-in on loopback: records each request (method, path, content
type, body) under DIR and answers 200, or 500 for jobs named "broken"."""
import http.server
import os
import sys

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        n = len(os.listdir(DIR))
        with open(os.path.join(DIR, f"{n:03d}.req"), "wb") as f:
            f.write(f"{self.command} {self.path}\n{self.headers.get('Content-Type')}\n".encode() + body)
        code = 500 if "/job/broken" in self.path else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_POST = do_GET = handle_one

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
