#!/usr/bin/env bats
# Delivery: retries honouring 429/Retry-After, timeouts, required/optional, spool and flush,
# and the shared rate limit.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export HOOK_TOKEN="hook-token-31337"
  HOOK="webhook+http://127.0.0.1:$RECEIVER_PORT/hook?token=\${HOOK_TOKEN}"
}

@test "429 with Retry-After: waits as told, then delivers" {
  receiver_plan '{"mode":"429","count":1,"retry_after":"1"}'
  start=$(date +%s.%N)
  run notify --title t "$HOOK"
  end=$(date +%s.%N)
  assert_success
  assert_output --partial "HTTP 429"
  assert_output --partial "retrying in 1s (attempt 2 of 4)"
  [ "$(receiver_count)" = 2 ]
  [ "$(receiver_field 1 'r["answered"]')" = 429 ]
  [ "$(receiver_field 2 'r["answered"]')" = 200 ]
  # Retry-After: 1 was honoured (loosely: at least 0.9 s), not the 0.5 s backoff.
  awk -v s="$start" -v e="$end" 'BEGIN { exit !(e - s >= 0.9) }'
}

@test "500 is retried with backoff" {
  receiver_plan '{"mode":"500","count":1}'
  run notify --title t "$HOOK"
  assert_success
  [ "$(receiver_count)" = 2 ]
}

@test "a 400 is rejected at once and not spooled" {
  receiver_plan '{"mode":"400","count":5}'
  run -3 notify --title t --spool spool "$HOOK"
  assert_output --partial "rejected (HTTP 400)"
  [ "$(receiver_count)" = 1 ]
  [ -z "$(ls spool 2>/dev/null)" ]
}

@test "per-destination timeout" {
  receiver_plan '{"mode":"slow","count":5,"delay":3}'
  start=$SECONDS
  run -3 notify --title t --spool spool "$HOOK&timeout=500ms&retries=0"
  assert_output --partial "failed"
  ((SECONDS - start < 3))
}

@test "undeliverable after retries: exit 3, spooled to --spool DIR, flushed later" {
  receiver_plan '{"mode":"500","count":10}'
  run -3 notify --key web/a --status failed --spool spool "$HOOK&retries=1"
  assert_output --partial "spooled to spool directory spool"
  [ "$(ls spool | wc -l)" = 1 ]
  # The spool keeps the destination as written: no secret on disk.
  run grep -r "$HOOK_TOKEN" spool
  assert_failure
  reset_receiver
  run notify flush --spool spool
  assert_success
  assert_line "notify: flushed 1, 0 left in the spool directory spool"
  [ "$(receiver_count)" = 1 ]
  [ "$(receiver_field 1 'json.loads(r["body"])["event"]')" = trigger ]
  [ "$(receiver_field 1 'r["path"]')" = "/hook?token=$HOOK_TOKEN" ]
  [ -z "$(ls spool)" ]
}

@test "receiver down: exit 3, spooled to the Redis list, flush re-sends" {
  port="$(free_port)"
  run -3 notify --title "down" "webhook+http://127.0.0.1:$port/hook?retries=1"
  assert_output --partial "spooled to Redis list $CIUTILS_NAMESPACE:{notify}:spool"
  run redis-cli -p "$REDIS_PORT" llen "$CIUTILS_NAMESPACE:{notify}:spool"
  assert_output 1
  # Still down: flush keeps it.
  run -3 notify flush --json
  [ "$(echo "$output" | tail -1 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["remaining"])')" = 1 ]
  # A spooled alert re-expands ${VAR} at flush time, so a moved endpoint can be given then.
  redis-cli -p "$REDIS_PORT" del "$CIUTILS_NAMESPACE:{notify}:spool" >/dev/null
  export HOOK_ENDPOINT="http://127.0.0.1:$port/hook"
  run -3 notify --title "down" "$HOOK&endpoint=\${HOOK_ENDPOINT}&retries=0"
  export HOOK_ENDPOINT="http://127.0.0.1:$RECEIVER_PORT/moved"
  run notify flush
  assert_success
  [ "$(receiver_count)" = 1 ]
  [ "$(receiver_field 1 'r["path"]')" = "/moved/hook?token=$HOOK_TOKEN" ]
  run redis-cli -p "$REDIS_PORT" llen "$CIUTILS_NAMESPACE:{notify}:spool"
  assert_output 0
}

@test "optional destinations do not decide the exit status" {
  port="$(free_port)"
  run notify --title t "$HOOK" "webhook+http://127.0.0.1:$port/x?required=false&retries=0"
  assert_success
  assert_output --partial "failed"
  run -3 notify --title t "$HOOK&required=false" "webhook+http://127.0.0.1:$port/x?retries=0"
  [ "$(receiver_count)" = 2 ]
}

@test "config: required and optional destinations by tag" {
  port="$(free_port)"
  cat >n.json <<JSON
{"destinations": {
  "hook": {"url": "webhook+http://127.0.0.1:$RECEIVER_PORT/tagged", "tags": ["frontend"]},
  "dead": {"url": "webhook+http://127.0.0.1:$port/x", "tags": ["frontend"], "required": false, "retries": 0},
  "other": {"url": "webhook+http://127.0.0.1:$RECEIVER_PORT/other", "tags": ["backend"]}}}
JSON
  run --separate-stderr notify --json --config n.json --tag frontend --title t
  assert_success
  [ "$(receiver_count)" = 1 ]
  [ "$(receiver_field 1 'r["path"]')" = /tagged ]
  echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["deliveries"]
assert [(x["destination"], x["outcome"], x["required"]) for x in d] == [("hook", "accepted", True), ("dead", "failed", False)], d'
  # A bare NAME argument is the same as --to NAME.
  reset_receiver
  run notify --config n.json other --title t
  assert_success
  [ "$(receiver_field 1 'r["path"]')" = /other ]
}

@test "shared rate limit: parallel senders are spaced out through Redis" {
  for i in 1 2 3; do
    notify --title "t$i" "$HOOK&rate=4/s" &
  done
  wait
  [ "$(receiver_count)" = 3 ]
  /usr/bin/python3 -c '
import json, sys
t = sorted(json.loads(l)["time"] for l in open(sys.argv[1]))
assert t[2] - t[0] >= 0.45, t' "$RECEIVER_LOG"
}
