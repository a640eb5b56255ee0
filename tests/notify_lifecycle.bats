#!/usr/bin/env bats
# Alert state per key in Redis: trigger once, stay silent or remind, recover; thresholds.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis
load helpers/notify_common

setup_file() {
  start_redis
  start_receiver
}

teardown_file() {
  stop_servers
  stop_redis
}

setup() {
  common_setup
  flush_redis
  reset_receiver
  export PD_KEY="pd-routing-key-5678"
  URL="pagerduty://\${PD_KEY}?endpoint=$(receiver_url /v2/enqueue)"
}

actions() {
  local n
  n="$(receiver_count)"
  for ((i = 1; i <= n; i++)); do receiver_field "$i" 'json.loads(r["body"])["event_action"]'; done | paste -sd, -
}

@test "fail, fail, pass: one trigger and one recovery" {
  run notify --key opm/t1 --status failed "$URL"
  assert_success
  run notify --key opm/t1 --status failed "$URL"
  assert_success
  run notify --key opm/t1 --status passed "$URL"
  assert_success
  [ "$(actions)" = "trigger,resolve" ]
  [ "$(receiver_field 1 'json.loads(r["body"])["dedup_key"]')" = opm/t1 ]
  # --json on a recovery reports the streak that ended.
  notify --key opm/t1 --status failed "$URL"
  notify --key opm/t1 --status failed "$URL"
  run --separate-stderr notify --json --key opm/t1 --status passed "$URL"
  assert_success
  [ "$(echo "$output" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["event"], d["failures"])')" = "recover 2" ]
  [ "$(receiver_field 2 'json.loads(r["body"])["dedup_key"]')" = opm/t1 ]
}

@test "passing runs without a failure send nothing" {
  run notify --key opm/t2 --status passed "$URL"
  assert_success
  run notify --key opm/t2 --status passed "$URL"
  assert_success
  [ "$(receiver_count)" = 0 ]
}

@test "keys are independent" {
  notify --key opm/a --status failed "$URL"
  notify --key opm/b --status failed "$URL"
  notify --key opm/a --status failed "$URL"
  [ "$(actions)" = "trigger,trigger" ]
}

@test "--json reports a silent run with its history" {
  notify --key opm/t3 --status failed "$URL"
  run --separate-stderr notify --json --key opm/t3 --status failed "$URL"
  assert_success
  [ "$(canon "$output")" = "$(canon '{"key":"opm/t3","status":"failed","event":"none","failures":2,"history":"F","dry_run":false,"deliveries":[]}')" ]
}

@test "--threshold 2/3 suppresses flapping" {
  for s in failed passed failed; do
    run notify --key opm/flaky --threshold 2/3 --status "$s" "$URL"
    assert_success
  done
  # F, P, F: two failures in the last three runs -> trigger on the third.
  [ "$(actions)" = "trigger" ]
  reset_receiver
  for s in passed passed failed passed passed failed; do
    notify --key opm/flappy --threshold 2/3 --status "$s" "$URL"
  done
  # Never two failures within three runs: silent.
  [ "$(receiver_count)" = 0 ]
}

@test "--remind sends reminders while failing, then one recovery" {
  notify --key opm/r --remind 2s --status failed "$URL"
  sleep 2.1
  notify --key opm/r --remind 2s --status failed "$URL"
  notify --key opm/r --remind 2s --status failed "$URL"
  notify --key opm/r --remind 2s --status passed "$URL"
  [ "$(actions)" = "trigger,trigger,resolve" ]
  [ "$(receiver_field 2 'json.loads(r["body"])["payload"]["summary"]')" = "opm/r still failing (2 runs)" ]
}

@test "--from: failed when any record failed, timed out or errored" {
  printf '%s\n' '{"name":"a","status":"passed"}' '{"name":"b","status":"error","message":"no browser"}' >r1.jsonl
  printf '%s\n' '{"name":"a","status":"passed"}' '{"name":"b","status":"flaky"}' '{"name":"c","status":"skipped"}' >r2.jsonl
  run notify --key opm/f --from r1.jsonl "$URL"
  assert_success
  run notify --key opm/f --from r2.jsonl "$URL"
  assert_success
  [ "$(actions)" = "trigger,resolve" ]
  [ "$(receiver_field 1 'json.loads(r["body"])["payload"]["custom_details"]["failed_tests"]')" = \
    '[{"message": "no browser", "name": "b", "status": "error"}]' ]
}

@test "--dry-run decides without changing state" {
  run notify --dry-run --key opm/d --status failed "$URL"
  assert_success
  assert_output --partial '"event_action":"trigger"'
  [ "$(receiver_count)" = 0 ]
  run notify --key opm/d --status failed "$URL"
  assert_success
  [ "$(actions)" = "trigger" ]
}

@test "state is one hash under the namespace with an expiry" {
  notify --key opm/s --status failed --state-ttl 1h "$URL"
  run redis-cli -p "$REDIS_PORT" hget "$CIUTILS_NAMESPACE:{notify:opm/s}:state" alerting
  assert_output 1
  run redis-cli -p "$REDIS_PORT" ttl "$CIUTILS_NAMESPACE:{notify:opm/s}:state"
  ((output > 3500 && output <= 3600))
}

@test "Redis unreachable with --key: exit 3, nothing sent" {
  run -3 env REDIS_URL=redis://127.0.0.1:1/0 notify --key opm/x --status failed "$URL"
  assert_output --partial "notify: error:"
  [ "$(receiver_count)" = 0 ]
}
