#!/usr/bin/env bats
# notify flush: concurrent flushes send each spooled alert exactly once; a flush killed
# mid-send leaves its claimed entry to a later flush.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  HOOK="webhook+http://127.0.0.1:$RECEIVER_PORT/hook"
  SPOOL_KEY="$CIUTILS_NAMESPACE:{notify}:spool"
}

teardown() {
  local pid
  for pid in ${FLUSH_PIDS:-}; do kill -9 "$pid" 2>/dev/null || true; done
}

# spool_alerts N [ARGS…]: N alerts "alert 1".."alert N" that the receiver refuses, so spooled.
spool_alerts() {
  local n="$1" alert_no rc
  shift
  receiver_plan '{"mode":"500","count":1000}'
  for ((alert_no = 1; alert_no <= n; alert_no++)); do
    rc=0
    notify -q --title "alert $alert_no" "$@" "$HOOK?retries=0" 2>/dev/null || rc=$?
    [ "$rc" = 3 ] || { echo "spooling alert $alert_no: exit $rc, expected 3" >&2; return 1; }
  done
  reset_receiver
}

# receiver_has N: true once the receiver recorded N requests.
receiver_has() {
  [ "$(receiver_count)" = "$1" ]
}

# received_titles: the titles the receiver recorded, one a line, sorted.
received_titles() {
  /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    print(json.loads(json.loads(line)["body"])["title"])' "$RECEIVER_LOG" | sort
}

# concurrent_flushes K ARGS…: K flushes at once; waits for all, prints their stderr to out.K.
concurrent_flushes() {
  local k="$1" flush_no pid pids=()
  shift
  for ((flush_no = 1; flush_no <= k; flush_no++)); do
    notify flush "$@" >"out.$flush_no" 2>&1 3>&- &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || echo "a flush failed: $pid"; done
}

# flushed_total: the sum of N over every "flushed N, …" line in out.*.
flushed_total() {
  cat out.* | awk '/^notify: flushed /{n += $3} END {print n + 0}'
}

@test "concurrent flushes of a spool directory send each alert exactly once" {
  spool_alerts 12 --spool spool
  [ "$(ls spool | wc -l)" = 12 ]
  # A slow receiver keeps the flushes overlapping.
  receiver_plan '{"mode":"slow","count":1000,"delay":0.05}'
  run concurrent_flushes 4 --spool spool
  assert_success
  refute_output --partial "a flush failed"
  [ "$(receiver_count)" = 12 ]
  run received_titles
  assert_output "$(for i in $(seq 1 12); do echo "alert $i"; done | sort)"
  [ "$(flushed_total)" = 12 ]
  [ -z "$(ls spool)" ]
}

@test "concurrent flushes of the Redis list send each alert exactly once" {
  spool_alerts 12
  run redis-cli -p "$REDIS_PORT" llen "$SPOOL_KEY"
  assert_output 12
  receiver_plan '{"mode":"slow","count":1000,"delay":0.05}'
  run concurrent_flushes 4
  assert_success
  refute_output --partial "a flush failed"
  [ "$(receiver_count)" = 12 ]
  run received_titles
  assert_output "$(for i in $(seq 1 12); do echo "alert $i"; done | sort)"
  [ "$(flushed_total)" = 12 ]
  run redis-cli -p "$REDIS_PORT" exists "$SPOOL_KEY" "$SPOOL_KEY:claimed" "$SPOOL_KEY:claims"
  assert_output 0
}

@test "an undelivered entry goes back to the spool, unclaimed" {
  spool_alerts 2
  spool_alerts 1 --spool spool
  receiver_plan '{"mode":"500","count":1000}'
  run -3 notify flush
  assert_output --partial "flushed 0, 2 left in the Redis list $SPOOL_KEY"
  run -3 notify flush --spool spool
  assert_output --partial "flushed 0, 1 left in the spool directory spool"
  run redis-cli -p "$REDIS_PORT" lrange "$SPOOL_KEY" 0 -1
  assert_line --index 0 --partial '"title":"alert 1"'
  assert_line --index 1 --partial '"title":"alert 2"'
  run redis-cli -p "$REDIS_PORT" exists "$SPOOL_KEY:claimed" "$SPOOL_KEY:claims"
  assert_output 0
  run ls spool
  assert_output --regexp '^[0-9]+-[0-9]+-[0-9]+\.json$'
}

@test "a spool directory flush killed mid-send: a later flush delivers its claimed entry" {
  spool_alerts 2 --spool spool
  receiver_plan '{"mode":"slow","count":1,"delay":30}'
  notify flush --spool spool >out.killed 2>&1 3>&- &
  FLUSH_PIDS=$!
  wait_until 15 receiver_has 1
  kill -9 "$FLUSH_PIDS"
  wait "$FLUSH_PIDS" || true
  run ls spool
  assert_line --regexp "^[0-9]+-[0-9]+-[0-9]+\.json\.claimed-.+-$FLUSH_PIDS-[0-9]+$"
  first="$(receiver_field 1 'json.loads(r["body"])["title"]')"
  reset_receiver
  # The claiming process is gone on this host: its claim is taken over at once.
  run notify flush --spool spool
  assert_success
  assert_line "notify: flushed 2, 0 left in the spool directory spool"
  [ "$(receiver_count)" = 2 ]
  run received_titles
  assert_output "$(printf 'alert 1\nalert 2')"
  [ "$(receiver_field 1 'json.loads(r["body"])["title"]')" = "$first" ]
  [ -z "$(ls spool)" ]
}

@test "a Redis flush killed mid-send: a later flush on this host delivers its claimed entry" {
  spool_alerts 2
  receiver_plan '{"mode":"slow","count":1,"delay":30}'
  notify flush >out.killed 2>&1 3>&- &
  FLUSH_PIDS=$!
  wait_until 15 receiver_has 1
  kill -9 "$FLUSH_PIDS"
  wait "$FLUSH_PIDS" || true
  run redis-cli -p "$REDIS_PORT" hkeys "$SPOOL_KEY:claimed"
  assert_output --regexp "^.+-$FLUSH_PIDS-0-[0-9]+$"
  reset_receiver
  run notify flush
  assert_success
  assert_line "notify: flushed 2, 0 left in the Redis list $SPOOL_KEY"
  [ "$(receiver_count)" = 2 ]
  run received_titles
  assert_output "$(printf 'alert 1\nalert 2')"
  run redis-cli -p "$REDIS_PORT" exists "$SPOOL_KEY" "$SPOOL_KEY:claimed" "$SPOOL_KEY:claims"
  assert_output 0
}

@test "a Redis claim from another host is taken over after --claim-timeout" {
  spool_alerts 2
  # A claim by a flush on another machine, made just now (Redis TIME, in ms).
  entry="$(redis-cli -p "$REDIS_PORT" lpop "$SPOOL_KEY")"
  now_ms="$(redis-cli -p "$REDIS_PORT" time | head -1)000"
  redis-cli -p "$REDIS_PORT" hset "$SPOOL_KEY:claimed" "elsewhere-1-0-$now_ms" "$entry" >/dev/null
  redis-cli -p "$REDIS_PORT" zadd "$SPOOL_KEY:claims" "$now_ms" "elsewhere-1-0-$now_ms" >/dev/null
  # Within the claim timeout, the claimed entry is left alone; the other one is sent.
  run notify flush
  assert_success
  assert_line "notify: flushed 1, 0 left in the Redis list $SPOOL_KEY"
  [ "$(receiver_field 1 'json.loads(r["body"])["title"]')" = "alert 2" ]
  sleep 1.2
  run notify flush --claim-timeout 1s
  assert_success
  assert_line "notify: flushed 1, 0 left in the Redis list $SPOOL_KEY"
  [ "$(receiver_count)" = 2 ]
  [ "$(receiver_field 2 'json.loads(r["body"])["title"]')" = "alert 1" ]
  run redis-cli -p "$REDIS_PORT" exists "$SPOOL_KEY" "$SPOOL_KEY:claimed" "$SPOOL_KEY:claims"
  assert_output 0
}

@test "a live flush's recent claim is left alone; an old one is taken over" {
  mkdir spool
  now_ms=$(($(date +%s) * 1000))
  echo '{}' >"spool/1-1-0.json.claimed-elsewhere-1-$now_ms"
  run notify flush --spool spool
  assert_success
  assert_line "notify: flushed 0, 0 left in the spool directory spool"
  [ "$(receiver_count)" = 0 ]
  sleep 1.2
  # Taken over once older than --claim-timeout; this entry is malformed, so it stays.
  run -3 notify flush --spool spool --claim-timeout 1s
  assert_output --partial "spool/1-1-0.json"
  run ls spool
  assert_output "1-1-0.json"
}

@test "--claim-timeout: bad values and use outside flush are usage errors" {
  run -2 notify flush --claim-timeout soon
  assert_output --partial "--claim-timeout"
  run -2 notify flush --claim-timeout 0s
  assert_output "notify: error: --claim-timeout: must be more than 0"
  run -2 notify --title t --claim-timeout 1m "$HOOK"
  assert_output "notify: error: --claim-timeout: only for notify flush"
  [ "$(receiver_count)" = 0 ]
}

@test "flags before the verb: notify -q flush is notify flush -q" {
  spool_alerts 1 --spool spool
  run --separate-stderr notify -q flush --spool spool
  assert_success
  [ -z "$stderr" ]
  [ "$(receiver_count)" = 1 ]
  spool_alerts 1 --spool spool
  run --separate-stderr notify --json -q flush --spool spool
  assert_success
  [ "$(canon "$output" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["sent"], d["remaining"])')" = "1 0" ]
}
