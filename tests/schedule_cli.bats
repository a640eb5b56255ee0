#!/usr/bin/env bats
# schedule: help, lint, next, and bad input (exit 2, nothing enqueued); Redis unreachable (exit 3).

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

@test "--help lists the commands, environment and exit codes" {
  run -0 schedule --help
  assert_output --partial "tick -f FILE"
  assert_output --partial "work --queue Q [-j N] [OPTIONS] -- CMD"
  assert_output --partial "REDIS_URL"
  assert_output --partial "CIUTILS_NAMESPACE"
  assert_output --partial "Exit status:"
  run -0 schedule work --help
  assert_output --partial "--infra-exit-codes"
  assert_output --partial "--visibility"
  run -0 schedule --version
  assert_output --partial "schedule (ciutils)"
}

@test "unknown command and unknown flag exit 2" {
  run -2 schedule frobnicate
  assert_output "schedule: error: 'frobnicate': unknown command (see schedule --help)"
  run -2 schedule tick --bogus
  assert_output --partial "schedule: error:"
  assert_output --partial "bogus"
}

@test "lint accepts a valid file" {
  write_schedules s.json '{"name": "nightly-e2e", "cron": "H 2 * * *", "timezone": "Europe/Berlin", "queue": "e2e",
    "payload": {"test": "opm-tests-1", "app": "opm"}, "catch_up": "latest", "concurrency": "forbid"}'
  run -0 schedule lint -f s.json
  assert_output "s.json: 1 schedule, all valid"
  run -0 schedule lint --json s.json
  assert_output '{"file":"s.json","valid":true,"schedules":["nightly-e2e"]}'
}

@test "lint: invalid cron names the field, with file:line:column" {
  printf '{"schedules": [\n  {"name": "a", "cron": "0 24 * * *", "queue": "q"}]}\n' >s.json
  run -2 schedule lint -f s.json
  assert_output "schedule: error: s.json:2:25: field 'cron': field 2 (hour): value 24 out of range 0-23"
}

@test "lint: unknown zone, unknown policy, duplicate names, payload not an object, JSON syntax" {
  write_schedules s.json '{"name": "a", "cron": "@daily", "queue": "q", "timezone": "Mars/Base"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "^schedule: error: s.json:1:[0-9]+: field 'timezone': unknown time zone 'Mars/Base'$"
  write_schedules s.json '{"name": "a", "cron": "@daily", "queue": "q", "catch_up": "sometimes"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "field 'catch_up': unknown value 'sometimes' \(expected skip, latest or all\)$"
  write_schedules s.json '{"name": "a", "cron": "@daily", "queue": "q", "concurrency": "never"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "field 'concurrency': unknown value 'never' \(expected allow, forbid or replace\)$"
  write_schedules s.json '{"name": "a", "cron": "@daily", "queue": "q"}, {"name": "a", "cron": "@hourly", "queue": "q"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "duplicate schedule name 'a'$"
  write_schedules s.json '{"name": "a", "cron": "@daily", "queue": "q", "payload": "x"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "field 'payload' must be a JSON object$"
  printf '{"schedules": [\n  {"name": "a",,}]}\n' >s.json
  run -2 schedule lint -f s.json
  assert_output --regexp "^schedule: error: s.json:2:[0-9]+: "
  run -2 schedule lint -f missing.json
  assert_output --partial "missing.json"
}

@test "a cron that never fires: the same error from next --cron as from lint" {
  write_schedules s.json '{"name": "a", "cron": "0 0 30 2 *", "queue": "q"}'
  run -2 schedule lint -f s.json
  assert_output "schedule: error: s.json:1:38: field 'cron': '0 0 30 2 *' never fires"
  run -2 schedule next --cron '0 0 30 2 *'
  assert_output "schedule: error: --cron: '0 0 30 2 *' never fires"
}

@test "duplicate keys in a schedule file are an error at file:line:column" {
  printf '{"schedules": [\n  {"name": "a", "cron": "@daily",\n   "queue": "q", "cron": "@hourly"}]}\n' >s.json
  run -2 schedule lint -f s.json
  assert_output "schedule: error: s.json:3:18: duplicate key 'cron'"
  run -2 schedule tick -f s.json
  assert_output "schedule: error: s.json:3:18: duplicate key 'cron'"
  run -0 rcli --scan --pattern "$CIUTILS_NAMESPACE:*"
  assert_output ""
}

@test "hash_macros: @daily and friends hashed as Jenkins does, for the file or one schedule" {
  cat >s.json <<'JSON'
{"hash_macros": true, "schedules": [
  {"name": "nightly-e2e", "cron": "@daily", "queue": "q"},
  {"name": "plain", "cron": "@daily", "queue": "q", "hash_macros": false}]}
JSON
  run -0 schedule next -f s.json --name nightly-e2e -n 3 --json --now 2026-01-01T00:00:00Z
  hashed="$output"
  run -0 schedule next --cron 'H H * * *' --name nightly-e2e -n 3 --json --now 2026-01-01T00:00:00Z
  assert_output "$hashed"
  run -0 schedule next -f s.json --name nightly-e2e -n 1 --now 2026-01-01T00:00:00Z
  assert_line -n 0 --regexp "^nightly-e2e: cron '@daily' \(= 'H H \* \* \*'\) in UTC \(H resolved: minute [0-9]+, hour [0-9]+\)$"
  run -0 schedule next -f s.json --name plain -n 1 --now 2026-01-01T00:00:00Z
  assert_output "plain: cron '@daily' in UTC
  2026-01-02 00:00:00 UTC   2026-01-02T00:00:00Z"
  # Per schedule, without the file-level switch.
  write_schedules s.json '{"name": "hourly-job", "cron": "@hourly", "queue": "q", "hash_macros": true}'
  run -0 schedule next -f s.json -n 2 --json --now 2026-01-01T00:00:00Z
  hashed="$output"
  run -0 schedule next --cron 'H * * * *' --name hourly-job -n 2 --json --now 2026-01-01T00:00:00Z
  assert_output "$hashed"
  write_schedules s.json '{"name": "a", "cron": "@hourly", "queue": "q", "hash_macros": "yes"}'
  run -2 schedule lint -f s.json
  assert_output --regexp "^schedule: error: s.json:1:[0-9]+: field 'hash_macros' must be true or false$"
}

@test "tick with an invalid file enqueues nothing and exits 2" {
  write_schedules s.json '{"name": "a", "cron": "* * * * *", "queue": "q"}, {"name": "b", "cron": "61 * * * *", "queue": "q"}'
  run -2 schedule tick -f s.json
  assert_output --regexp "field 1 \(minute\): value 61 out of range 0-59$"
  run -0 rcli --scan --pattern "$CIUTILS_NAMESPACE:*"
  assert_output ""
}

@test "enqueue: payload must be a JSON object" {
  run -2 schedule enqueue --queue q '[1,2]'
  assert_output "schedule: error: payload: must be a JSON object"
  run -2 schedule enqueue --queue q '{bad'
  assert_output --partial "schedule: error: payload:1:"
  run -2 schedule enqueue --queue 'a b' '{}'
  assert_output "schedule: error: --queue: 'a b' must be 1-200 letters, digits, '.', '_' or '-'"
  run -0 queue_length q
  assert_output 0
  run -0 schedule enqueue --queue q --name deploy '{"app":"opm"}'
  assert_output --regexp '^\{"id":"deploy@[0-9T:.-]+Z","schedule":"deploy","slot":"[^"]+","queue":"q","attempt":1,"enqueued_at":"[^"]+","payload":\{"app":"opm"\}\}$'
  run -0 queue_length q
  assert_output 1
}

@test "next prints zone and UTC times" {
  write_schedules s.json '{"name": "n", "cron": "30 2 * * *", "timezone": "Europe/Berlin", "queue": "q"}'
  run -0 schedule next -f s.json -n 2 --now 2026-11-22T00:00:00Z
  assert_output "n: cron '30 2 * * *' in Europe/Berlin
  2026-11-22 02:30:00 CET   2026-11-22T01:30:00Z
  2026-11-23 02:30:00 CET   2026-11-23T01:30:00Z"
  run -0 schedule next -f s.json --name n -n 1 --json --now 2026-11-22T00:00:00Z
  assert_output '{"schedule":"n","slot":"2026-11-22T01:30:00Z","local":"2026-11-22 02:30:00 CET","id":"n@2026-11-22T01:30:00Z"}'
  run -2 schedule next -f s.json --name other
  assert_output "schedule: error: --name: no schedule 'other' in s.json"
  run -2 schedule next --cron '* * *'
  assert_output "schedule: error: --cron: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 3"
}

@test "H spreads schedules and is stable across runs" {
  run -0 schedule next --cron 'H H * * *' --name nightly -n 1 --json --now 2026-01-01T00:00:00Z
  first="$output"
  run -0 schedule next --cron 'H H * * *' --name nightly -n 1 --json --now 2026-01-01T00:00:00Z
  assert_output "$first"
  run -0 schedule next --cron 'H H * * *' --name other-job -n 1 --json --now 2026-01-01T00:00:00Z
  refute_output "$first"
}

@test "--namespace NS beats CIUTILS_NAMESPACE for every command; an invalid one exits 2 before connecting" {
  write_schedules s.json '{"name": "a", "cron": "0 * * * *", "queue": "q", "payload": {"k": 1}}'
  run -0 schedule tick -q -f s.json --namespace other --now 2026-06-01T00:00:10Z
  run -0 rcli XLEN "other:{q:q}:tasks"
  assert_output 1
  run -0 rcli EXISTS "$(schedule_tasks_key q)"
  assert_output 0
  run -0 schedule explain -f s.json --name a --namespace other --now 2026-06-01T00:00:10Z
  assert_output --partial "  enqueued (decided at "
  run -0 schedule status -f s.json --namespace other --json
  assert_output --partial '"last_slot":"2026-06-01T00:00:00Z"'
  run -0 schedule enqueue -q --queue q --name adhoc --namespace other '{}'
  run -0 schedule take --queue q --namespace other
  assert_output --partial '"id":"a@2026-06-01T00:00:00Z"'
  run -0 schedule ack a@2026-06-01T00:00:00Z --queue q --namespace other
  run -0 schedule pause a --namespace other
  run -0 rcli HEXISTS "other:{sched}:paused" a
  assert_output 1
  run -0 rcli EXISTS "$CIUTILS_NAMESPACE:{sched}:paused"
  assert_output 0
  CIUTILS_NAMESPACE=other run -0 schedule resume a
  assert_output --partial "resumed"
  # The environment variable applies when the flag is not given.
  CIUTILS_NAMESPACE=other run -0 schedule take --queue q
  assert_output --partial '"schedule":"adhoc"'
  run -0 schedule --help
  assert_output --partial "--namespace"
  run -0 schedule tick --help
  assert_output --partial "--namespace NS"
  for ns in "a:b" "a{b}" "a b" ""; do
    REDIS_URL=redis://127.0.0.1:1/0 run -2 schedule tick -f s.json --namespace "$ns"
    assert_output "schedule: error: --namespace: invalid namespace '$ns'"
  done
  CIUTILS_NAMESPACE='x}' REDIS_URL=redis://127.0.0.1:1/0 run -2 schedule take --queue q
  assert_output "schedule: error: --namespace: invalid namespace 'x}'"
  REDIS_URL=redis://127.0.0.1:1/0 run -2 schedule work --queue q --namespace a:b -- true
  assert_output "schedule: error: --namespace: invalid namespace 'a:b'"
}

@test "Redis unreachable: exit 3" {
  write_schedules s.json '{"name": "a", "cron": "* * * * *", "queue": "q"}'
  REDIS_URL=redis://127.0.0.1:1/0 run -3 schedule tick -f s.json
  assert_output --partial "schedule: error:"
  assert_output --partial "127.0.0.1:1"
  REDIS_URL=redis://127.0.0.1:1/0 run -3 schedule take --queue q
}
