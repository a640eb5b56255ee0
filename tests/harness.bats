#!/usr/bin/env bats
# The test harness itself: the throwaway redis-server and the loopback server pattern.

load helpers/common
load helpers/redis
load helpers/servers

setup_file() {
  start_redis
}

teardown_file() {
  stop_redis
  stop_servers
}

setup() {
  common_setup
}

@test "start_redis exports a REDIS_URL that answers PING over TCP and a unix socket" {
  [[ "$REDIS_URL" == redis://127.0.0.1:*/0 ]]
  run redis-cli -u "$REDIS_URL" ping
  assert_output "PONG"
  run redis-cli -s "$REDIS_DIR/redis.sock" ping
  assert_output "PONG"
}

@test "start_redis fails, not skips, when the server cannot start" {
  run bash -c "
    load() { :; }
    bats_require_minimum_version() { :; }
    source '$CIUTILS_SOURCE_DIR/tests/helpers/common.bash'
    source '$CIUTILS_SOURCE_DIR/tests/helpers/redis.bash'
    BATS_FILE_TMPDIR='$BATS_TEST_TMPDIR'
    start_redis --no-such-option yes"
  assert_failure 1
  assert_output --partial "redis-server failed to start"
}

@test "start_server waits for READY and exports the port" {
  cat >server.py <<'PY'
import http.server, socketserver
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello")
    def log_message(self, *a): pass
with socketserver.TCPServer(("127.0.0.1", 0), Handler) as httpd:
    print("READY", httpd.server_address[1], flush=True)
    httpd.serve_forever()
PY
  start_server hello /usr/bin/python3 server.py
  run curl -sf "http://127.0.0.1:$HELLO_PORT/"
  assert_output "hello"
}
