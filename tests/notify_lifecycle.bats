#!/usr/bin/env bats
# Alert state per key in Redis: trigger once, stay silent or remind, recover; thresholds.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export PD_KEY="pd-routing-key-5678"
  URL="pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
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

# spooled_trigger KEY [ARGS…]: a failed run whose trigger the receiver refuses, so it is spooled.
spooled_trigger() {
  local key="$1" rc=0
  shift
  receiver_plan '{"mode":"500","count":1000}'
  notify -q --key "$key" --status failed "$@" "$URL&retries=0" 2>/dev/null || rc=$?
  reset_receiver
  [ "$rc" = 3 ] || { echo "spooling the trigger of $key: exit $rc, expected 3" >&2; return 1; }
}

@test "Redis spool: a recovery withdraws the spooled trigger; nothing is sent, now or by flush" {
  spooled_trigger opm/st
  run redis-cli -p "$REDIS_PORT" llen "$CIUTILS_NAMESPACE:{notify}:spool"
  assert_output 1
  run --separate-stderr notify --json --key opm/st --status passed "$URL&retries=0"
  assert_success
  [ "$(echo "$output" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["event"], d["deliveries"][0]["outcome"])')" = "recover withdrawn" ]
  run notify flush
  assert_success
  [ "$(receiver_count)" = 0 ]
  run redis-cli -p "$REDIS_PORT" llen "$CIUTILS_NAMESPACE:{notify}:spool"
  assert_output 0
}

@test "spool directory: a recovery withdraws the spooled trigger; nothing is sent, now or by flush" {
  spooled_trigger opm/sd --spool spool
  [ "$(ls spool | wc -l)" = 1 ]
  run notify --key opm/sd --status passed --spool spool "$URL&retries=0"
  assert_success
  assert_output --partial "withdrawn: the trigger was still spooled"
  run notify flush --spool spool
  assert_success
  [ "$(receiver_count)" = 0 ]
  [ -z "$(ls spool)" ]
}

@test "flush drops a spooled trigger that a later event of its key superseded" {
  # The trigger waits in the Redis list; the recovery is delivered by a run spooling elsewhere.
  spooled_trigger opm/sup
  run notify --key opm/sup --status passed --spool spool "$URL"
  assert_success
  [ "$(actions)" = "resolve" ]
  run notify flush
  assert_success
  assert_line --partial "superseded by a later event of opm/sup; dropped"
  assert_line --partial "flushed 0, 0 left"
  [ "$(actions)" = "resolve" ]
  # The same in a spool directory flushed with Redis at hand.
  reset_receiver
  spooled_trigger opm/sup2 --spool spool
  run notify --key opm/sup2 --status passed "$URL"
  assert_success
  run notify flush --spool spool
  assert_success
  assert_line --partial "superseded by a later event of opm/sup2; dropped"
  [ "$(actions)" = "resolve" ]
  [ -z "$(ls spool)" ]
}

@test "a new trigger withdraws the spooled recovery of the incident before it" {
  notify --key opm/re --status failed "$URL"
  receiver_plan '{"mode":"500","count":1000}'
  run -3 notify -q --key opm/re --status passed "$URL&retries=0"
  reset_receiver
  run notify --key opm/re --status failed "$URL&retries=0"
  assert_success
  run notify flush
  assert_success
  # The old recovery must not resolve the new incident.
  [ "$(actions)" = "trigger" ]
}

@test "--recover-after: alternating fail and pass sends one trigger and no recovery storm" {
  for s in failed passed failed passed failed passed failed passed; do
    run notify --key opm/flap --threshold 2/3 --recover-after 3 --status "$s" "$URL"
    assert_success
  done
  [ "$(actions)" = "trigger" ]
  run --separate-stderr notify --json --key opm/flap --threshold 2/3 --recover-after 3 --status passed "$URL"
  assert_success
  [ "$(canon "$output")" = "$(canon '{"key":"opm/flap","status":"passed","event":"none","failures":3,"history":"FPP","passes":2,"dry_run":false,"deliveries":[]}')" ]
  run notify --key opm/flap --threshold 2/3 --recover-after 3 --status passed "$URL"
  assert_success
  [ "$(actions)" = "trigger,resolve" ]
  run -2 notify --key opm/flap --recover-after 0 --status passed "$URL"
  assert_output --partial "--recover-after"
  run -2 notify --title t --recover-after 2 "$URL"
  assert_output "notify: error: --recover-after: needs --key"
}

@test "--namespace NS: state and spool keys start with NS; it beats \$CIUTILS_NAMESPACE" {
  notify --key opm/ns --status failed "$URL"
  [ "$(redis-cli -p "$REDIS_PORT" exists "$CIUTILS_NAMESPACE:{notify:opm/ns}:state")" = 1 ]
  # Another namespace is another world: the same key triggers again there.
  run notify --namespace teamb --key opm/ns --status failed "$URL"
  assert_success
  [ "$(actions)" = "trigger,trigger" ]
  [ "$(redis-cli -p "$REDIS_PORT" exists "teamb:{notify:opm/ns}:state")" = 1 ]
  run notify --namespace teamb --key opm/ns --status passed "$URL"
  assert_success
  [ "$(actions)" = "trigger,trigger,resolve" ]
  [ "$(redis-cli -p "$REDIS_PORT" hget "$CIUTILS_NAMESPACE:{notify:opm/ns}:state" alerting)" = 1 ]
  # The Redis spool and notify flush follow it too.
  run notify --namespace teamb --title t "pagerduty://\${PD_KEY}?endpoint=http://127.0.0.1:$(free_port)&retries=0"
  assert_failure 3
  [ "$(redis-cli -p "$REDIS_PORT" llen "teamb:{notify}:spool")" = 1 ]
  [ "$(redis-cli -p "$REDIS_PORT" exists "$CIUTILS_NAMESPACE:{notify}:spool")" = 0 ]
  run -3 notify flush --namespace teamb --dry-run
  assert_output --partial "/v2/change/enqueue"
  assert_line "notify: flushed 0, 1 left in the Redis list teamb:{notify}:spool"
  run notify flush --dry-run
  assert_success
  assert_output "notify: flushed 0, 0 left in the Redis list $CIUTILS_NAMESPACE:{notify}:spool"
}

@test "--namespace is checked as lockctl checks it" {
  run -2 notify --namespace 'a{b' --key k --status failed "$URL"
  assert_output "notify: error: --namespace: invalid namespace 'a{b'"
  run -2 notify --namespace '' --key k --status failed "$URL"
  assert_output "notify: error: --namespace: invalid namespace ''"
  CIUTILS_NAMESPACE='x:y' run -2 notify flush
  assert_output "notify: error: --namespace: invalid namespace 'x:y'"
  [ "$(receiver_count)" = 0 ]
}
