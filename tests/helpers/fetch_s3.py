#!/usr/bin/python3
"""A small S3-compatible server for fetch's tests that verifies AWS Signature V4.

Usage: fetch_s3.py ROOT ACCESS_KEY SECRET_KEY [SESSION_TOKEN]. Prints "READY <port>".
Path-style requests on /BUCKET/KEY, or virtual-hosted ones on /KEY with the bucket in the
Host header as BUCKET.localhost:PORT:

  GET, HEAD, PUT                      objects (PutObject stores the body whole)
  POST ?uploads                       CreateMultipartUpload: a new upload ID
  PUT ?partNumber=N&uploadId=ID       UploadPart: stored under ROOT/.multipart/ID/N
  POST ?uploadId=ID                   CompleteMultipartUpload: checks the XML list of parts
                                      (ascending, ETags matching, every part but the last
                                      at least 5 MiB), assembles the object
  DELETE ?uploadId=ID                 AbortMultipartUpload: discards the parts

Open uploads are the directories below ROOT/.multipart (empty when none is left).
Every request must carry a valid AWS4-HMAC-SHA256 Authorization header signing host,
x-amz-date and x-amz-content-sha256 over the canonical request (sorted, encoded query);
a body must match x-amz-content-sha256 (unless UNSIGNED-PAYLOAD); with a session token,
x-amz-security-token must match and be signed. Failures answer 403/400 with S3's error
codes and are logged to ROOT/s3.log; every request is logged to ROOT/requests.log as
"METHOD PATH STATUS REGION HOST" (REGION from the signature's credential scope).

The bucket "moved" answers every request with 301 PermanentRedirect naming the region
ap-south-1 in x-amz-bucket-region, and a Location read from ROOT/redirect-to when present
(as S3 does for a bucket in another region).

Fault injection by key: a key with a path segment
  flaky-part-N    UploadPart N answers 503 SlowDown + Retry-After: 1 the first time
  broken-part-N   UploadPart N always answers 500 InternalError
  overlap-parts   each UploadPart waits until two parts of its upload have been in flight
                  at once (the client uploads in parallel); after 60 s without, it
                  closes the connection without an answer (nor a log line)
"""
import hashlib
import hmac
import os
import re
import shutil
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

ROOT, ACCESS, SECRET = sys.argv[1:4]
TOKEN = sys.argv[4] if len(sys.argv) > 4 else None
MULTIPART = os.path.join(ROOT, ".multipart")
MIN_PART = 5 << 20
os.makedirs(MULTIPART, exist_ok=True)
LOCK = threading.Lock()
COUNTS = {}
OVERLAP = threading.Condition()
IN_FLIGHT = {}  # upload ID: parts being received now, and the most at once so far
MOST_IN_FLIGHT = {}


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def count(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


def canonical_query(query):
    """SigV4: each name and value URI-encoded (unreserved kept), sorted, name=value."""
    pairs = []
    for item in query.split("&") if query else []:
        name, _, value = item.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def query_params(query):
    params = {}
    for item in query.split("&") if query else []:
        name, _, value = item.partition("=")
        params[unquote(name)] = unquote(value)
    return params


def etag_of(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def record(self, status):
        match = re.search(r"Credential=[^/]*/[^/]*/([^/]*)/", self.headers.get("Authorization", ""))
        region = match.group(1) if match else "-"
        with LOCK, open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"{self.command} {self.path} {status} {region} {self.headers.get('Host', '-')}\n")

    def reply(self, status, body=b"", headers=None):
        self.record(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body:
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status, code, detail="", headers=None):
        with LOCK, open(os.path.join(ROOT, "s3.log"), "a") as log:
            log.write(f"{self.command} {self.path} {status} {code} {detail}\n")
        body = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code></Error>".encode()
        self.reply(status, body, headers)

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
        canonical_headers = "".join(f"{h}:{' '.join(self.headers.get(h, '').split())}\n" for h in signed)
        canonical = "\n".join([self.command, url.path, canonical_query(url.query), canonical_headers,
                               ";".join(signed), payload])
        scope = f"{date}/{region}/{service}/{term}"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self.headers.get("x-amz-date", ""), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = sign(sign(sign(sign(("AWS4" + SECRET).encode(), date), region), service), term)
        if hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() != fields["Signature"]:
            return self.fail(403, "SignatureDoesNotMatch", repr(canonical))
        return True

    def moved(self):
        """Answers 301 for the bucket "moved"; True when it did."""
        if self.bucket_key()[0] != "moved":
            return False
        headers = {"x-amz-bucket-region": "ap-south-1"}
        try:
            headers["Location"] = open(os.path.join(ROOT, "redirect-to")).read().strip()
        except OSError:
            pass
        self.fail(301, "PermanentRedirect", "", headers)
        return True

    def bucket_key(self):
        path = unquote(urlsplit(self.path).path)
        host = self.headers.get("Host", "").rpartition(":")[0]
        if host.endswith(".localhost"):
            return host[:-len(".localhost")], path[1:]
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, key

    def object_path(self):
        bucket, key = self.bucket_key()
        if not bucket or not key:
            return None
        return os.path.join(ROOT, bucket, quote(key, safe=""))

    def upload_dir(self, upload_id):
        """The open upload's directory when it belongs to this bucket/key, else None."""
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id or ""):
            return None
        path = os.path.join(MULTIPART, upload_id)
        try:
            with open(os.path.join(path, "target")) as f:
                if f.read() != self.object_path():
                    return None
        except OSError:
            return None
        return path

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_GET(self, head=False):
        if self.moved() or self.verify(None) is not True:
            return
        path = self.object_path()
        if not path or not os.path.isfile(path):
            return self.fail(404, "NoSuchKey")
        data = open(path, "rb").read()
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag_of(data))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_PUT(self):
        body = self.body()
        if self.moved() or self.verify(body) is not True:
            return
        path = self.object_path()
        if not path:
            return self.fail(400, "InvalidRequest")
        query = query_params(urlsplit(self.path).query)
        if "uploadId" in query:
            return self.upload_part(query, body)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(body)
        os.replace(path + ".tmp", path)
        self.reply(200, b"", {"ETag": etag_of(body)})

    def upload_part(self, query, body):
        directory = self.upload_dir(query["uploadId"])
        if not directory:
            return self.fail(404, "NoSuchUpload")
        number = query.get("partNumber", "")
        if not number.isdigit() or not 1 <= int(number) <= 10000:
            return self.fail(400, "InvalidArgument", "partNumber")
        _, key = self.bucket_key()
        segments = key.split("/")
        if f"broken-part-{number}" in segments:
            return self.fail(500, "InternalError", "injected")
        if f"flaky-part-{number}" in segments and count((query["uploadId"], number)) == 1:
            return self.fail(503, "SlowDown", "injected", {"Retry-After": "1"})
        if "overlap-parts" in segments and not self.overlapped(query["uploadId"]):
            self.close_connection = True
            return
        with open(os.path.join(directory, number), "wb") as f:
            f.write(body)
        self.reply(200, b"", {"ETag": etag_of(body)})

    def overlapped(self, upload_id):
        """Waits (60 s at most) until two parts of the upload have been in flight at once."""
        with OVERLAP:
            IN_FLIGHT[upload_id] = IN_FLIGHT.get(upload_id, 0) + 1
            MOST_IN_FLIGHT[upload_id] = max(MOST_IN_FLIGHT.get(upload_id, 0), IN_FLIGHT[upload_id])
            OVERLAP.notify_all()
            seen = OVERLAP.wait_for(lambda: MOST_IN_FLIGHT[upload_id] >= 2, timeout=60)
            IN_FLIGHT[upload_id] -= 1
            return seen

    def do_POST(self):
        body = self.body()
        if self.moved() or self.verify(body) is not True:
            return
        path = self.object_path()
        if not path:
            return self.fail(400, "InvalidRequest")
        query = query_params(urlsplit(self.path).query)
        bucket, key = self.bucket_key()
        if "uploads" in query:
            upload_id = uuid.uuid4().hex
            directory = os.path.join(MULTIPART, upload_id)
            os.makedirs(directory)
            with open(os.path.join(directory, "target"), "w") as f:
                f.write(path)
            with open(os.path.join(directory, "content-type"), "w") as f:
                f.write(self.headers.get("Content-Type", ""))
            return self.reply(200, (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult "
                "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                f"<Bucket>{bucket}</Bucket><Key>{key}</Key><UploadId>{upload_id}</UploadId>"
                "</InitiateMultipartUploadResult>").encode())
        if "uploadId" in query:
            return self.complete(query["uploadId"], body, path, bucket, key)
        return self.fail(400, "InvalidRequest")

    def complete(self, upload_id, body, path, bucket, key):
        directory = self.upload_dir(upload_id)
        if not directory:
            return self.fail(404, "NoSuchUpload")
        text = body.decode()
        listed = re.findall(r"<Part><PartNumber>(\d+)</PartNumber><ETag>(.*?)</ETag></Part>", text)
        if not listed or not text.startswith("<CompleteMultipartUpload"):
            return self.fail(400, "MalformedXML")
        numbers = [int(n) for n, _ in listed]
        if numbers != sorted(set(numbers)):
            return self.fail(400, "InvalidPartOrder")
        pieces = []
        for i, (number, etag) in enumerate(listed):
            part = os.path.join(directory, number)
            if not os.path.isfile(part):
                return self.fail(400, "InvalidPart", f"part {number} missing")
            data = open(part, "rb").read()
            if etag.replace("&quot;", '"') != etag_of(data):
                return self.fail(400, "InvalidPart", f"part {number} etag")
            if i < len(listed) - 1 and len(data) < MIN_PART:
                return self.fail(400, "EntityTooSmall", f"part {number} has {len(data)} bytes")
            pieces.append(data)
        data = b"".join(pieces)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
        shutil.rmtree(directory)
        etag = '"' + hashlib.md5(b"".join(hashlib.md5(p).digest() for p in pieces)).hexdigest() + f'-{len(pieces)}"'
        self.reply(200, (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            f"<Bucket>{bucket}</Bucket><Key>{key}</Key><ETag>{etag.replace(chr(34), '&quot;')}</ETag>"
            "</CompleteMultipartUploadResult>").encode())

    def do_DELETE(self):
        if self.verify(b"") is not True:
            return
        query = query_params(urlsplit(self.path).query)
        if "uploadId" not in query:
            return self.fail(400, "InvalidRequest")
        directory = self.upload_dir(query["uploadId"])
        if not directory:
            return self.fail(404, "NoSuchUpload")
        shutil.rmtree(directory)
        self.reply(204)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(f"READY {server.server_address[1]}", flush=True)
server.serve_forever()
