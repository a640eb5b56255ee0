#!/usr/bin/env bats
# rediss://: every tool over TLS to a real redis-server (--tls-port), the server's
# certificate verified by default, wrong CAs and names refused with exit 3, mutual TLS.

load helpers/suite
load helpers/redis_tls
load helpers/notify_common

setup_file() { suite_start redis_tls tls_sentinel receiver; }

setup() {
  suite_setup
  unset CIUTILS_REDIS_CACERT CIUTILS_REDIS_CERT CIUTILS_REDIS_KEY SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE
  TLS_URL="rediss://localhost:$REDIS_TLS_PORT/0"
}

@test "lockctl over rediss://: acquire, contention, handoff to a waiter, release" {
  run -0 --separate-stderr lockctl acquire uat --owner first
  token="${lines[1]}"
  run -75 lockctl acquire uat --no-wait
  # a waiter blocks (BLPOP on its own TLS connection) until the release hands the lock over
  (lockctl run uat --wait 20s -- sh -c 'echo "$LOCKCTL_FENCE" >waiter.out' 3>&- &)
  wait_until 10 sh -c "lockctl status uat --json | grep -q '\"owner\"'"
  run -0 lockctl release uat --token "$token"
  wait_until 10 test -s waiter.out
  run -0 cat waiter.out
  assert_output 2
  # what went over TLS is in the server the plain port reads
  run -0 redis-cli -p "$REDIS_PORT" --scan --pattern "$CIUTILS_NAMESPACE:*"
  [ -n "$output" ]
}

@test "lockctl run renews its lease over TLS while the command runs" {
  run -0 lockctl run uat --ttl 1s -- sh -c 'sleep 2.5; echo done'
  assert_output done
}

@test "schedule over rediss://: enqueue, work, history" {
  run -0 schedule enqueue --queue e2e --name deploy '{"test":"t1"}'
  run -0 schedule work --queue e2e --exit-when-empty -- sh -c 'echo "$TASK_PAYLOAD_TEST" >task.out'
  run -0 cat task.out
  assert_output t1
  run -0 schedule status --queue e2e --json
  assert_output --partial '"length":0'
}

@test "notify over rediss://: the alert state lives in Redis (trigger once, then recover)" {
  alert_lifecycle web/t1
}

@test "report store and history over rediss://" {
  printf '{"name":"search","classname":"web","status":"passed","duration_s":1,"run_id":"r1"}\n' >r.jsonl
  run -0 report store r.jsonl
  assert_output "report: stored run r1 (1 tests) in rediss://localhost:$REDIS_TLS_PORT/0"
  run -0 report history --test search
  assert_line --index 0 "web::search"
}

@test "the CA comes from CIUTILS_REDIS_CACERT when the URL names none" {
  export CIUTILS_REDIS_CACERT="$TLS_DIR/ca.crt"
  run -0 lockctl status uat --redis "$TLS_URL"
}

@test "without the server's CA, verification fails: exit 3 naming the certificate problem" {
  # the system's CAs do not include the test CA
  run -3 lockctl status uat --redis "$TLS_URL"
  assert_output "lockctl: error: cannot connect to Redis at rediss://localhost:$REDIS_TLS_PORT/0: TLS certificate verification failed: self-signed certificate in certificate chain (give the server's CA with ?cacert=FILE or CIUTILS_REDIS_CACERT)"
  run -3 schedule status --queue e2e --redis "$TLS_URL?cacert=$TLS_DIR/other-ca.crt"
  assert_output --partial "TLS certificate verification failed: self-signed certificate in certificate chain"
  export PD_KEY=pd-key
  run -3 notify --key web/t1 --status failed --redis "$TLS_URL?cacert=$TLS_DIR/other-ca.crt" \
    "pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
  assert_output --partial "TLS certificate verification failed"
  run -3 report history --redis "$TLS_URL?cacert=$TLS_DIR/other-ca.crt"
  assert_output --partial "TLS certificate verification failed"
}

@test "a name the certificate does not hold is refused (SNI and verification use ?sni=)" {
  run -3 lockctl status uat --redis "$TLS_URL?cacert=$TLS_DIR/ca.crt&sni=redis.example.org"
  assert_output --partial "TLS certificate verification failed: hostname mismatch"
  run -0 lockctl status uat --redis "rediss://127.0.0.1:$REDIS_TLS_PORT/0?cacert=$TLS_DIR/ca.crt"
  run -0 lockctl status uat --redis "rediss://127.0.0.1:$REDIS_TLS_PORT/0?cacert=$TLS_DIR/ca.crt&sni=localhost"
}

@test "?insecure=1 connects without verification and warns once on stderr" {
  run -0 --separate-stderr lockctl run uat --redis "$TLS_URL?insecure=1" -- true
  [ "$stderr" = "lockctl: warning: Redis at rediss://localhost:$REDIS_TLS_PORT/0: ?insecure=1: the server's TLS certificate is not verified; anyone on the network path can read and change what the tools store (locks, queues, passwords)" ]
}

@test "mutual TLS: without a client certificate the server refuses; with one it works" {
  require_client_certificates yes
  run -3 lockctl status uat
  assert_output --partial "lockctl: error: Redis HMGET at rediss://localhost:$REDIS_TLS_PORT/0: TLS"
  assert_output --partial "tlsv13 alert certificate required (the server wants a client certificate: give ?cert=FILE&key=FILE)"
  run -0 lockctl status uat --redis "$REDIS_URL&cert=$TLS_DIR/client.crt&key=$TLS_DIR/client.key"
  export CIUTILS_REDIS_CERT="$TLS_DIR/client.crt" CIUTILS_REDIS_KEY="$TLS_DIR/client.key"
  run -0 lockctl run uat -- true
  run -0 schedule enqueue --queue e2e '{}'
}

@test "bad TLS settings are usage errors naming the file or parameter (exit 2)" {
  run -2 lockctl status uat --redis "$TLS_URL?cacert=/nonexistent/ca.crt"
  assert_output "lockctl: error: REDIS_URL rediss://localhost:$REDIS_TLS_PORT/0: CA certificate file /nonexistent/ca.crt: No such file or directory"
  run -2 lockctl status uat --redis "$REDIS_URL&cert=$TLS_DIR/client.crt&key=$TLS_DIR/server.key"
  assert_output "lockctl: error: REDIS_URL rediss://localhost:$REDIS_TLS_PORT/0: client key $TLS_DIR/server.key: key values mismatch"
  run -2 lockctl status uat --redis "redis://127.0.0.1:$REDIS_PORT/0?cacert=$TLS_DIR/ca.crt"
  assert_output "lockctl: error: REDIS_URL: cacert= is a TLS setting: it needs a rediss:// URL, in redis://127.0.0.1:$REDIS_PORT/0?cacert=$TLS_DIR/ca.crt"
}

@test "rediss:// to a plain port fails with exit 3 and says so" {
  # redis-server waits for the end of what it takes for an inline command: the handshake
  # runs into the 5 s connect timeout
  run -3 lockctl status uat --redis "rediss://127.0.0.1:$REDIS_PORT/0?cacert=$TLS_DIR/ca.crt"
  assert_output "lockctl: error: cannot connect to Redis at rediss://127.0.0.1:$REDIS_PORT/0: TLS handshake timed out (is that port TLS? use redis:// for a plain one)"
}

@test "TLS connections dropped by the server while lockctl run holds a lock: it reconnects and keeps its lease" {
  # CLIENT KILL drops every TLS client of the server while lockctl run holds the lock;
  # the renewer reconnects and the command finishes with its own status.
  run -0 lockctl run uat --ttl 2s -- sh -c 'redis-cli -p "$REDIS_PORT" client kill type normal >/dev/null; sleep 2.5; echo kept'
  assert_output kept
}

@test "rediss+sentinel://: the primary found through a TLS-only sentinel, both certificates verified" {
  url="rediss+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster/0?cacert=$TLS_DIR/ca.crt"
  run -0 --separate-stderr lockctl acquire uat --owner via-tls-sentinel --redis "$url"
  run -0 --separate-stderr lockctl status uat --json --redis "$url"
  assert_output --partial '"owner":"via-tls-sentinel"'
  run -0 --separate-stderr schedule enqueue --queue tls-sentinel --redis "$url" '{}'
  # the same parameters in the environment
  CIUTILS_REDIS_CACERT="$TLS_DIR/ca.crt" run -0 --separate-stderr lockctl status uat \
    --redis "rediss+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster"
  # the sentinel's certificate is checked like a server's
  bad="rediss+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster/0?cacert=$TLS_DIR/other-ca.crt"
  run -3 --separate-stderr lockctl status uat --redis "$bad"
  assert_equal "$stderr" "lockctl: error: cannot connect to Redis at rediss+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster/0: no sentinel named the primary (127.0.0.1:$TLS_SENTINEL_PORT: TLS certificate verification failed: self-signed certificate in certificate chain (give the server's CA with ?cacert=FILE or CIUTILS_REDIS_CACERT))"
  # a plain sentinel URL to it gets no answer in plain Redis
  run -3 --separate-stderr lockctl status uat --redis "redis+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster"
  assert_output ""
  [[ "$stderr" == "lockctl: error: cannot connect to Redis at redis+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster/0: no sentinel named the primary (127.0.0.1:$TLS_SENTINEL_PORT: "* ]]
  # TLS parameters on a plain sentinel URL are a usage error
  run -2 --separate-stderr lockctl status uat --redis "redis+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster?cacert=$TLS_DIR/ca.crt"
  assert_equal "$stderr" "lockctl: error: REDIS_URL: cacert= is a TLS setting: it needs a rediss:// URL, in redis+sentinel://127.0.0.1:$TLS_SENTINEL_PORT/mymaster?cacert=$TLS_DIR/ca.crt"
}
