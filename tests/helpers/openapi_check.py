"""Checks a live lockctl serve against docs/lockctl-api.yaml: every documented route and
method is exercised, each answer's status is one the document lists for it, and JSON answers
carry the fields its schema requires. Usage: openapi_check.py SPEC URL KEY"""
import json
import sys
import urllib.error
import urllib.request

import yaml

spec_path, url, key = sys.argv[1:4]
spec = yaml.safe_load(open(spec_path))


def deref(node):
    if isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return deref(target)
    return node


def call(method, path, body=None, with_key=True):
    request = urllib.request.Request(url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    if with_key:
        request.add_header("X-API-KEY", key)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.headers.get("content-type", ""), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read()


exercised = set()
failures = []


def check(method, path, body=None, with_key=True):
    route = path.split("?")[0]
    operation = spec["paths"].get(route, {}).get(method.lower())
    if operation is None:
        failures.append(f"{method} {route}: not in the document")
        return None
    exercised.add((route, method.lower()))
    status, content_type, raw = call(method, path, body, with_key)
    documented = deref(operation["responses"]).keys()
    if str(status) not in documented:
        failures.append(f"{method} {path}: {status} is not among the documented {sorted(documented)}")
        return None
    response = deref(operation["responses"][str(status)])
    schema = deref(response.get("content", {}).get("application/json", {}).get("schema", {}))
    if schema:
        if not content_type.startswith("application/json"):
            failures.append(f"{method} {path}: {status} is {content_type!r}, not JSON")
            return None
        document = json.loads(raw)
        for field in schema.get("required", []):
            if field not in document:
                failures.append(f"{method} {path}: {status} lacks the required field {field!r}")
        return document
    return raw


check("GET", "/healthz", with_key=False)
check("GET", "/maybe?environment=api-uat")
check("POST", "/maybe?environment=api-uat")
check("POST", "/maybe?environment=api-uat")
check("GET", "/maybe?environment=api-uat")
check("DELETE", "/maybe?environment=api-uat")
check("GET", "/maybe?environment=api-uat", with_key=False)
grant = check("POST", "/v1/acquire", {"resource": "api-db", "ttl": "30s"})
check("POST", "/v1/acquire", {"resource": "api-db", "wait": "100ms"})
check("POST", "/v1/acquire", {"resource": 7})
token = grant["token"] if isinstance(grant, dict) else "0" * 32
check("POST", "/v1/renew", {"resource": "api-db", "token": token, "ttl": "60s"})
check("GET", "/v1/status?resource=api-db")
check("GET", "/v1/history?resource=api-db")
check("GET", "/v1/pools")
check("POST", "/v1/release", {"resource": "api-db", "token": token})
check("POST", "/v1/renew", {"resource": "api-db", "token": token})
check("POST", "/v1/release", {"resource": "api-db"})

for route, operations in spec["paths"].items():
    for method in operations:
        if method in ("get", "post", "delete", "put", "patch") and (route, method) not in exercised:
            failures.append(f"{method.upper()} {route}: documented but not exercised")

for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
