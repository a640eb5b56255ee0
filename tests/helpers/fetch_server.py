#!/usr/bin/python3
"""HTTP server for fetch's tests, with fault injection.

Usage: fetch_server.py ROOT [CERT KEY [CLIENT_CA]]. Serves files below ROOT and prints
"READY <port>"; over TLS with CERT and KEY (PEM), requiring a client certificate signed by
CLIENT_CA when given. Every request is appended to ROOT/requests.log as
"METHOD PATH STATUS".

  GET /files/NAME         the file, with ETag, Last-Modified, Range and 304 support
  GET /status/CODE        that status with an HTML body (?retry_after=S adds Retry-After)
  GET /flaky/N/NAME       503 + Retry-After: 1 for the first N requests, then the file
  GET /drop/NAME          first request: full Content-Length, half the body, then close;
                          later requests: the file (Range honoured)
  GET /short/NAME         always claims one more byte than it sends, then closes
  GET /stall/NAME         headers and 10 bytes, then nothing (until the client gives up)
  GET /drip/NAME          the file one 100-byte chunk every 0.3 s
  GET /changing/NAME      first request: NAME, cut short as /drop does; later requests:
                          NAME.v2 (another version, another ETag), and a Range request gets
                          206 from NAME.v2 whatever its If-Range says
  GET /misrange/NAME      first request: cut short as /drop does; later Range requests get
                          206 with a Content-Range that starts 10 bytes early; without Range,
                          the file
  GET /redirect/N/NAME    N redirects, then the file
  GET /redirect-file      a redirect to file:///etc/passwd
  GET /auth/NAME          the file when "Authorization: Bearer topsecret" or "PRIVATE-TOKEN:
                          topsecret" came along, else 401; each request's Host, Authorization
                          and PRIVATE-TOKEN are appended to ROOT/headers.log
  GET /basic/NAME         the file with HTTP Basic ci:pw, else 401 (WWW-Authenticate)
  GET /auth-here/NAME     a redirect to /auth/NAME on the same host
  GET /auth-away/NAME     a redirect to /auth/NAME on "localhost" (another host name)
  PUT /upload/NAME        stores the body (Content-Length or chunked) in ROOT/uploads/NAME,
                          its Content-Type in NAME.content-type and "chunked" or "length"
                          in NAME.transfer; answers 201 (400 for a broken chunked body)
  PUT /upload/flaky/NAME  the first request answers 503 + Retry-After: 1
  PUT /stall/NAME         reads nothing of the body and answers nothing for 20 s
"""
import base64
import email.utils
import ssl
import hashlib
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ROOT = sys.argv[1]
COUNTS = {}
LOCK = threading.Lock()


def count(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def record(self, status):
        with LOCK, open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"{self.command} {self.path} {status}\n")

    def send_status(self, code, extra=None):
        body = f"<!DOCTYPE html><html><body><h1>{code}</h1></body></html>\n".encode()
        self.record(code)
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def file_path(self, name):
        path = os.path.join(ROOT, "files", name)
        return path if os.path.isfile(path) else None

    def serve_file(self, name, mode=None):
        path = self.file_path(name)
        if not path:
            return self.send_status(404)
        data = open(path, "rb").read()
        st = os.stat(path)
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        if self.headers.get("If-None-Match") == etag:
            self.record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        start = 0
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            if_range = self.headers.get("If-Range")
            if if_range is None or if_range in (etag, last_modified) or mode in ("ignore-if-range", "misrange"):
                start = int(rng[6:-1])
                if mode == "misrange":
                    start = max(0, start - 10)
                status = 206
        body = data[start:]
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        claimed = len(body) + (1 if mode == "short" else 0)
        self.send_header("Content-Length", str(claimed))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return
        if mode == "stall":
            self.wfile.write(body[:10])
            self.wfile.flush()
            time.sleep(60)
            return
        if mode == "drip":
            for i in range(0, len(body), 100):
                self.wfile.write(body[i : i + 100])
                self.wfile.flush()
                time.sleep(0.3)
            return
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.split("/")[1:]
        query = parse_qs(url.query)
        try:
            if parts[0] == "files":
                return self.serve_file("/".join(parts[1:]))
            if parts[0] == "status":
                extra = {}
                if "retry_after" in query:
                    extra["Retry-After"] = query["retry_after"][0]
                return self.send_status(int(parts[1]), extra)
            if parts[0] == "flaky":
                if count(self.path) <= int(parts[1]):
                    return self.send_status(503, {"Retry-After": "1"})
                return self.serve_file("/".join(parts[2:]))
            if parts[0] == "drop":
                first = count(self.path) == 1
                return self.serve_file("/".join(parts[1:]), "drop" if first else None)
            if parts[0] == "changing":
                name = "/".join(parts[1:])
                if count(self.path) == 1:
                    return self.serve_file(name, "drop")
                return self.serve_file(name + ".v2", "ignore-if-range")
            if parts[0] == "misrange":
                first = count(self.path) == 1
                return self.serve_file("/".join(parts[1:]), "drop" if first else "misrange")
            if parts[0] in ("short", "stall", "drip"):
                return self.serve_file("/".join(parts[1:]), parts[0])
            if parts[0] == "redirect":
                n = int(parts[1])
                if n == 0:
                    return self.serve_file("/".join(parts[2:]))
                self.record(302)
                self.send_response(302)
                self.send_header("Location", f"/redirect/{n - 1}/" + "/".join(parts[2:]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts[0] == "auth":
                with LOCK, open(os.path.join(ROOT, "headers.log"), "a") as log:
                    log.write(f"{self.path} host={self.headers.get('Host')} "
                              f"authorization={self.headers.get('Authorization')} "
                              f"private-token={self.headers.get('PRIVATE-TOKEN')}\n")
                if "topsecret" in (self.headers.get("PRIVATE-TOKEN"), self.headers.get("Authorization", "")[7:]):
                    return self.serve_file("/".join(parts[1:]))
                return self.send_status(401)
            if parts[0] == "basic":
                if self.headers.get("Authorization") == "Basic " + base64.b64encode(b"ci:pw").decode():
                    return self.serve_file("/".join(parts[1:]))
                return self.send_status(401, {"WWW-Authenticate": 'Basic realm="ci"'})
            if parts[0] in ("auth-here", "auth-away"):
                host = "localhost" if parts[0] == "auth-away" else "127.0.0.1"
                self.record(302)
                self.send_response(302)
                self.send_header("Location", f"{SCHEME}://{host}:{PORT}/auth/" + "/".join(parts[1:]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if parts[0] == "redirect-file":
                self.record(302)
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.send_status(404)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def read_chunked(self):
        """The body of a Transfer-Encoding: chunked request; None when it is cut short."""
        body = bytearray()
        while True:
            line = self.rfile.readline()
            if not line.endswith(b"\r\n"):
                return None
            size = int(line.split(b";")[0].strip() or b"x", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                return bytes(body)
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.read(2) != b"\r\n":
                return None
            body += data

    def do_PUT(self):
        parts = urlsplit(self.path).path.split("/")[1:]
        if parts[0] == "stall":
            self.record("stalled")
            time.sleep(20)
            return
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        try:
            if chunked:
                body = self.read_chunked()
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        except (ValueError, ConnectionError):
            body = None
        if body is None:
            with LOCK, open(os.path.join(ROOT, "requests.log"), "a") as log:
                log.write(f"{self.command} {self.path} incomplete\n")
            try:
                return self.send_status(400)
            except (BrokenPipeError, ConnectionResetError):
                return
        if parts[0] != "upload":
            return self.send_status(404)
        if parts[1] == "flaky" and count(self.path) == 1:
            return self.send_status(503, {"Retry-After": "1"})
        if parts[1] == "no-chunked" and chunked:
            return self.send_status(411)
        os.makedirs(os.path.join(ROOT, "uploads"), exist_ok=True)
        with open(os.path.join(ROOT, "uploads", parts[-1]), "wb") as f:
            f.write(body)
        with open(os.path.join(ROOT, "uploads", parts[-1] + ".content-type"), "w") as f:
            f.write(self.headers.get("Content-Type", ""))
        with open(os.path.join(ROOT, "uploads", parts[-1] + ".transfer"), "w") as f:
            f.write("chunked" if chunked else "length")
        self.send_status(201)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
PORT = server.server_address[1]
SCHEME = "http"
if len(sys.argv) > 3:
    SCHEME = "https"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 4:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
