#!/usr/bin/env bats
# What artifact servers need: --header and --bearer (kept to the URL's own host), ~/.netrc,
# and TLS with --cacert, --client-cert/--client-key (mTLS) and --insecure, against real
# loopback servers (plain HTTP, HTTPS, and HTTPS requiring a client certificate).
load helpers/suite
load helpers/fetch_common

# A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
make_certs() {
  local d="$1"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fetch-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  for who in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" -keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >"$d/$who.ext"
    openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null
  done
}

# HTTPS servers on $TLS and, requiring a client certificate, on $MTLS.
start_fetch_tls() {
  CERTS="$BATS_FILE_TMPDIR/certs"
  export CERTS
  make_certs "$CERTS"
  start_server fetch-tls "$PY" "$FETCH_HELPERS/fetch_server.py" "$FETCH_ROOT" "$CERTS/server.pem" "$CERTS/server.key"
  start_server fetch-mtls "$PY" "$FETCH_HELPERS/fetch_server.py" "$FETCH_ROOT" "$CERTS/server.pem" "$CERTS/server.key" "$CERTS/ca.pem"
  export TLS="https://127.0.0.1:$FETCH_TLS_PORT" MTLS="https://127.0.0.1:$FETCH_MTLS_PORT"
}

setup_file() { suite_start fetch_http fetch_suite fetch_tls; }
setup() {
  suite_setup
  : >"$FETCH_ROOT/headers.log"
}

@test "--bearer from the environment reaches the server; without it, HTTP 401" {
  run -3 fetch "$BASE/auth/suite.tgz" -o out --retry 0
  assert_output "fetch: error: GET $BASE/auth/suite.tgz: HTTP 401 Unauthorized"
  TOKEN=topsecret run -0 fetch "$BASE/auth/suite.tgz" -o out --bearer '${TOKEN}'
  [ -f out/suite/plan.json ]
  grep -q "^/auth/suite.tgz host=127.0.0.1:$FETCH_HTTP_PORT authorization=Bearer topsecret " "$FETCH_ROOT/headers.log"
}

@test "--header follows a redirect to the same host, never to another one" {
  GL_TOKEN=topsecret run -0 fetch "$BASE/auth-here/suite.tgz" -o here --header 'PRIVATE-TOKEN: ${GL_TOKEN}'
  [ -f here/suite/plan.json ]
  GL_TOKEN=topsecret run -3 fetch "$BASE/auth-away/suite.tgz" -o away --header 'PRIVATE-TOKEN: ${GL_TOKEN}' --retry 0
  assert_output "fetch: error: GET $BASE/auth-away/suite.tgz: HTTP 401 Unauthorized"
  grep -q "^/auth/suite.tgz host=localhost:$FETCH_HTTP_PORT authorization=None private-token=None$" "$FETCH_ROOT/headers.log"
  [ "$(grep -c 'private-token=topsecret' "$FETCH_ROOT/headers.log")" = 1 ]
  assert_not_published away
}

@test "--header: a missing variable or a malformed header is a usage error" {
  run -2 fetch "$BASE/auth/suite.tgz" --header 'PRIVATE-TOKEN: ${NOPE_NOT_SET}'
  assert_output "fetch: error: --header: \${NOPE_NOT_SET} is not set"
  run -2 fetch "$BASE/auth/suite.tgz" --header 'no colon here'
  assert_output "fetch: error: --header: expected 'Name: value', got 'no colon here'"
}

@test "header values never appear in messages" {
  run -3 fetch "http://127.0.0.1:1/topsecret-path.tgz" -o out --retry 0 --header 'X-Key: topsecret-path'
  refute_output --partial topsecret
  assert_output --partial "GET http://127.0.0.1:1/***.tgz"
}

@test "~/.netrc supplies Basic credentials" {
  run -3 fetch "$BASE/basic/suite.tgz" -o out --retry 0
  assert_output "fetch: error: GET $BASE/basic/suite.tgz: HTTP 401 Unauthorized"
  printf 'machine 127.0.0.1 login ci password pw\n' >"$HOME/.netrc"
  chmod 600 "$HOME/.netrc"
  run -0 fetch "$BASE/basic/suite.tgz" -o out
  [ -f out/suite/plan.json ]
}

@test "HTTPS: an unknown CA is refused; --cacert trusts it; --insecure warns" {
  run -3 fetch "$TLS/files/suite.tgz" -o out --retry 0
  assert_output --partial "fetch: error: GET $TLS/files/suite.tgz: SSL certificate problem"
  run -0 fetch "$TLS/files/suite.tgz" -o out --cacert "$CERTS/ca.pem"
  [ -f out/suite/plan.json ]
  run -0 --separate-stderr fetch "$TLS/files/suite.tgz" -o insecure --insecure
  [ "$stderr" = "fetch: warning: --insecure: TLS certificates are not verified; anyone on the network path can change what is downloaded or read what is sent" ]
  run -2 fetch "$TLS/files/suite.tgz" --cacert "$CERTS/missing.pem"
  assert_output "fetch: error: --cacert: cannot read '$CERTS/missing.pem': No such file or directory"
}

@test "mTLS: --client-cert and --client-key, for downloads and uploads" {
  run -3 fetch "$MTLS/files/suite.tgz" -o out --retry 0 --cacert "$CERTS/ca.pem"
  assert_output --partial "fetch: error: GET $MTLS/files/suite.tgz: "
  run -0 fetch "$MTLS/files/suite.tgz" -o out --cacert "$CERTS/ca.pem" --client-cert "$CERTS/client.pem" --client-key "$CERTS/client.key"
  [ -f out/suite/plan.json ]
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" "$MTLS/upload/mtls.tgz" --cacert "$CERTS/ca.pem" \
    --client-cert "$CERTS/client.pem" --client-key "$CERTS/client.key"
  cmp "$FETCH_ROOT/uploads/mtls.tgz" "$FETCH_ROOT/files/suite.tgz"
}

@test "--proxy sends every request through the proxy" {
  run -0 fetch "http://example.invalid/files/suite.tgz" -o out --proxy "$BASE"
  [ -f out/suite/plan.json ]
}
