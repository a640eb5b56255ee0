#!/usr/bin/env bats
# Waiters ride out a short Redis restart; refusals (no password, a read-only replica,
# missing permissions) exit 3 naming the cause and the redacted URL.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start durable_redis; }

@test "a waiter rides out a 2 s Redis restart, says so with -v, and is granted" {
  held="$(lockctl acquire r --ttl 60s)"
  lockctl acquire r --wait 60s -v --owner patient >granted 2>log 3>&- &
  pid=$!
  wait_queue r 1
  stop_server
  # the waiter notices while Redis is down (it re-checks at least every 500 ms)
  wait_until 10 grep -q "reconnecting while waiting" log
  sleep 2
  start_server
  lockctl release r --token "$(sed -n 2p <<<"$held")"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ] || { cat log; false; }
  run sed -n 1p granted
  assert_output r
  run cat log
  assert_line --regexp "^lockctl: Redis .*127\.0\.0\.1:$REDIS_PORT.*; reconnecting while waiting$"
  assert_line --regexp "^lockctl: Redis is back after [0-9.]+m?s; (kept position 1|queued again at position 1|granted)$"
}

@test "a waiter whose --wait ends during the outage exits 3 naming the URL" {
  held="$(lockctl acquire r --ttl 60s)"
  lockctl acquire r --wait 1s >/dev/null 2>err 3>&- &
  pid=$!
  wait_queue r 1
  stop_server
  rc=0
  wait "$pid" || rc=$?
  start_server
  [ "$rc" -eq 3 ]
  run cat err
  assert_output --regexp "^lockctl: error: .*redis://127\.0\.0\.1:$REDIS_PORT/0"
}

@test "refusals exit 3 naming the cause and the redacted URL, never 125" {
  stop_server
  start_server --requirepass hunter2
  run -3 lockctl acquire r
  assert_output "lockctl: error: Redis at redis://127.0.0.1:$REDIS_PORT/0 refused HMGET: a password is needed (give it in the URL: redis://:PASSWORD@host:port/db) (NOAUTH Authentication required.)"
  REDIS_URL="redis://:wrong@127.0.0.1:$REDIS_PORT/0" run -3 lockctl status
  assert_output "lockctl: error: Redis at redis://:***@127.0.0.1:$REDIS_PORT/0 refused AUTH: the user name or password is wrong (WRONGPASS invalid username-password pair or user is disabled.)"
  redis-cli -p "$REDIS_PORT" -a hunter2 --no-auth-warning acl setuser reader on '>pw' '~*' '+@read' '+ping' >/dev/null
  REDIS_URL="redis://reader:pw@127.0.0.1:$REDIS_PORT/0" run -3 lockctl acquire r
  assert_output --partial "lockctl: error: Redis at redis://reader:***@127.0.0.1:$REDIS_PORT/0 refused EVALSHA: the user lacks a permission this command needs (NOPERM"
  refute_output --partial ":pw@"
  redis-cli -p "$REDIS_PORT" -a hunter2 --no-auth-warning shutdown >/dev/null 2>&1 || true
  while kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; do sleep 0.05; done
  start_server
}

@test "a read-only replica: exit 3 naming the cause" {
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$BATS_TEST_TMPDIR" --save "" --appendonly no --daemonize yes \
    --pidfile "$BATS_TEST_TMPDIR/replica.pid" --logfile "$BATS_TEST_TMPDIR/replica.log" \
    --replicaof 127.0.0.1 "$REDIS_PORT" 3>&-
  wait_until 10 redis-cli -p "$port" ping
  REDIS_URL="redis://127.0.0.1:$port/0" run -3 lockctl acquire r
  kill "$(cat "$BATS_TEST_TMPDIR/replica.pid")"
  assert_output --partial "lockctl: error: Redis at redis://127.0.0.1:$port/0 refused EVALSHA: it is a read-only replica (point the URL at the master) (READONLY"
}

@test "schedule take against a password-protected Redis says a password is needed" {
  stop_server
  start_server --requirepass hunter2
  run -3 schedule take --queue e2e
  redis-cli -p "$REDIS_PORT" -a hunter2 --no-auth-warning shutdown >/dev/null 2>&1 || true
  while kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; do sleep 0.05; done
  start_server
  assert_output --regexp "^schedule: error: Redis at redis://127\.0\.0\.1:$REDIS_PORT/0 refused [A-Z]+: a password is needed"
}

@test "schedule work against a password-protected Redis exits 3 instead of retrying forever" {
  stop_server
  start_server --requirepass hunter2
  run -3 timeout 60 schedule work --queue e2e -- true
  redis-cli -p "$REDIS_PORT" -a hunter2 --no-auth-warning shutdown >/dev/null 2>&1 || true
  while kill -0 "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null; do sleep 0.05; done
  start_server
  assert_output --regexp "^schedule: error: Redis at redis://127\.0\.0\.1:$REDIS_PORT/0 refused [A-Z]+: a password is needed"
  refute_output --partial "retrying"
}

@test "a malformed URL names what was typed" {
  REDIS_URL="redis://host:abc/0" run -2 lockctl status
  assert_output "lockctl: error: REDIS_URL: invalid port 'abc' in redis://host:abc/0"
  REDIS_URL="redis://u:hunter2@host:abc/0" run -2 lockctl status
  assert_output "lockctl: error: REDIS_URL: invalid port 'abc' in redis://u:***@host:abc/0"
}
