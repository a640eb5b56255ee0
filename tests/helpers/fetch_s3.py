#!/usr/bin/python3
"""A small S3-compatible server for fetch's tests that verifies AWS Signature V4.

Usage: fetch_s3.py ROOT ACCESS_KEY SECRET_KEY [SESSION_TOKEN]. Prints "READY <port>".
Path-style GET/PUT/HEAD of objects (/BUCKET/KEY). Every request must carry a valid
AWS4-HMAC-SHA256 Authorization header signing host, x-amz-date and x-amz-content-sha256;
a PUT body must match x-amz-content-sha256 (unless UNSIGNED-PAYLOAD); with a session token,
x-amz-security-token must match and be signed. Failures answer 403/400 with S3's error
codes, and are logged to ROOT/s3.log.
"""
import hashlib
import hmac
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

ROOT, ACCESS, SECRET = sys.argv[1:4]
TOKEN = sys.argv[4] if len(sys.argv) > 4 else None
os.makedirs(ROOT, exist_ok=True)


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def fail(self, status, code, detail=""):
        with open(os.path.join(ROOT, "s3.log"), "a") as log:
            log.write(f"{self.command} {self.path} {status} {code} {detail}\n")
        body = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code></Error>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def verify(self, body):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return self.fail(403, "AccessDenied", "no sigv4 authorization")
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        access, date, region, service, term = fields["Credential"].split("/")
        if access != ACCESS:
            return self.fail(403, "InvalidAccessKeyId")
        signed = fields["SignedHeaders"].split(";")
        for needed in ["host", "x-amz-date", "x-amz-content-sha256"] + (["x-amz-security-token"] if TOKEN else []):
            if needed not in signed:
                return self.fail(403, "AccessDenied", f"{needed} not signed")
        if TOKEN and self.headers.get("x-amz-security-token") != TOKEN:
            return self.fail(403, "InvalidToken")
        payload = self.headers.get("x-amz-content-sha256")
        if body is not None and payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
            return self.fail(400, "XAmzContentSHA256Mismatch")
        url = urlsplit(self.path)
        query = "&".join(sorted(url.query.split("&"))) if url.query else ""
        canonical_headers = "".join(f"{h}:{' '.join(self.headers.get(h, '').split())}\n" for h in signed)
        canonical = "\n".join([self.command, url.path, query, canonical_headers, ";".join(signed), payload])
        scope = f"{date}/{region}/{service}/{term}"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self.headers.get("x-amz-date", ""), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = sign(sign(sign(sign(("AWS4" + SECRET).encode(), date), region), service), term)
        if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields["Signature"]:
            return self.fail(403, "SignatureDoesNotMatch", repr(canonical))
        return True

    def object_path(self):
        path = unquote(urlsplit(self.path).path)
        bucket, _, key = path.lstrip("/").partition("/")
        if not bucket or not key:
            return None
        return os.path.join(ROOT, bucket, quote(key, safe=""))

    def do_GET(self, head=False):
        if self.verify(None) is not True:
            return
        path = self.object_path()
        if not path or not os.path.isfile(path):
            return self.fail(404, "NoSuchKey")
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", '"' + hashlib.md5(data).hexdigest() + '"')
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.verify(body) is not True:
            return
        path = self.object_path()
        if not path:
            return self.fail(400, "InvalidRequest")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("ETag", '"' + hashlib.md5(body).hexdigest() + '"')
        self.send_header("Content-Length", "0")
        self.end_headers()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
