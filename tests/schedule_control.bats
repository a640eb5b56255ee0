#!/usr/bin/env bats
# schedule pause / resume / trigger: control of a named schedule without editing the file.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

@test "pause: slots are skipped and recorded until resume; status and explain show it" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "q"}'
  run -0 schedule tick -f s.json --now 2026-11-21T02:00:10Z
  assert_output "nightly@2026-11-21T02:00:00Z: enqueued"
  run -0 schedule pause nightly --reason 'db migration'
  assert_output "schedule: nightly: paused (db migration)"
  run -0 schedule tick -f s.json --now 2026-11-22T02:00:10Z
  assert_output "nightly@2026-11-22T02:00:00Z: skipped: paused (db migration)"
  run -0 queue_length q
  assert_output 1
  run -0 schedule status -f s.json --now 2026-11-22T03:00:00Z
  assert_line --regexp $'^nightly\tq\t2026-11-22T02:00:00Z\t2026-11-23T02:00:00Z\t0s\t-\tsince [0-9T:-]+Z \\(db migration\\)$'
  run -0 schedule status -f s.json --json --now 2026-11-22T03:00:00Z
  assert_output --regexp '"paused":\{"since":"[0-9T:-]+Z","reason":"db migration","until":null\}'
  run -0 schedule explain -f s.json --name nightly --slot 2026-11-22T02:00:00Z --now 2026-11-22T03:00:00Z
  assert_line --regexp '^paused since [0-9T:-]+Z \(db migration\): its slots are skipped until `schedule resume nightly`$'
  assert_line --regexp '^  skipped: paused \(db migration\) \(decided at [^)]+\)$'
  run -0 schedule resume nightly
  assert_output "schedule: nightly: resumed"
  # Slots skipped while paused are not caught up; the next one is enqueued.
  run -0 schedule tick -f s.json --now 2026-11-23T02:00:10Z
  assert_output "nightly@2026-11-23T02:00:00Z: enqueued"
  run -0 schedule status -f s.json --json --now 2026-11-23T03:00:00Z
  assert_output --partial '"paused":null'
  run -0 schedule resume nightly
  assert_output "schedule: nightly: not paused"
}

@test "pause --until: the schedule resumes by itself" {
  write_schedules s.json '{"name": "often", "cron": "*/5 * * * *", "queue": "q"}'
  run -0 --separate-stderr schedule pause often --until 1h --json
  until_at="$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["until"])' "$output")"
  soon="$(date -u -d '+30 minutes' +%Y-%m-%dT%H:%M:00Z)"
  later="$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:00Z)"
  run -0 schedule tick -f s.json --now "$soon"
  assert_output --regexp "^often@[0-9T:-]+Z: skipped: paused until $until_at$"
  run -0 schedule tick -f s.json --now "$later"
  assert_output --regexp "^often@[0-9T:-]+Z: enqueued$"
}

@test "pause and resume: bad input exits 2 and changes nothing" {
  run -2 schedule pause
  assert_output "schedule: error: NAME: required"
  run -2 schedule pause 'a b'
  assert_output "schedule: error: NAME: 'a b' must be 1-200 letters, digits, '.', '_' or '-'"
  run -2 schedule pause nightly --until 2020-01-01T00:00:00Z
  assert_output "schedule: error: --until: 2020-01-01T00:00:00Z is not in the future"
  run -2 schedule pause nightly --until tomorrow
  assert_output "schedule: error: --until: invalid time 'tomorrow' (expected e.g. 2026-12-02T06:00:00Z or a duration, 2h)"
  run -0 rcli --scan --pattern "$CIUTILS_NAMESPACE:*"
  assert_output ""
}

@test "trigger: a run now with the schedule's payload; a double click is one task" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "q", "payload": {"app": "opm"}}'
  local try first second
  # Both clicks must fall in one minute of Redis time; a minute boundary between them is retried.
  for try in 1 2 3; do
    flush_redis
    first="$(schedule trigger nightly -f s.json)"
    second="$(schedule trigger nightly -f s.json 2>second.err)"
    [ "$first" = "$second" ] && break
  done
  [ "$first" = "$second" ]
  [[ "$first" =~ ^\{\"id\":\"nightly@[0-9T:-]+:00Z/trigger\",\"schedule\":\"nightly\",\"slot\":\"[0-9T:-]+:00Z\",\"queue\":\"q\",\"attempt\":1,\"enqueued_at\":\"[^\"]+\",\"trigger\":\"manual\",\"payload\":\{\"app\":\"opm\"\}\}$ ]]
  run -0 cat second.err
  assert_output "schedule: nightly: already triggered this minute; not enqueued again"
  run -0 queue_length q
  assert_output 1
  run -0 schedule work --queue q --exit-when-empty -- sh -c 'echo "$TASK_SCHEDULE $TASK_PAYLOAD_APP" >ran'
  run -0 cat ran
  assert_output "nightly opm"
  run -2 schedule trigger other -f s.json
  assert_output "schedule: error: NAME: no schedule 'other' in s.json"
}

@test "pause reasons, decisions, history and dead letters are printed with control characters escaped" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "q"}'
  run -0 schedule tick -q -f s.json --now 2026-11-21T02:00:10Z
  run -0 schedule pause nightly --reason $'evil\nnightly@x: enqueued\e[2J'
  assert_output 'schedule: nightly: paused (evil\nnightly@x: enqueued\x1b[2J)'
  run -0 schedule tick -f s.json --now 2026-11-22T02:00:10Z
  assert_output 'nightly@2026-11-22T02:00:00Z: skipped: paused (evil\nnightly@x: enqueued\x1b[2J)'
  run -0 schedule status -f s.json --now 2026-11-22T03:00:00Z
  assert_line --index 1 --regexp $'^nightly\tq\t.*\tsince [0-9T:-]+Z \\(evil\\\\nnightly@x: enqueued\\\\x1b\\[2J\\)$'
  [ "${#lines[@]}" -eq 4 ]
  run -0 schedule status -f s.json --json --now 2026-11-22T03:00:00Z
  assert_output --partial '"reason":"evil\nnightly@x: enqueued\u001b[2J"'
  run -0 schedule explain -f s.json --name nightly --slot 2026-11-22T02:00:00Z --now 2026-11-22T03:00:00Z
  assert_line --regexp '^paused since [0-9T:-]+Z \(evil\\nnightly@x: enqueued\\x1b\[2J\): its slots are skipped'
  assert_line --regexp '^  skipped: paused \(evil\\nnightly@x: enqueued\\x1b\[2J\) \(decided at [^)]+\)$'
  # A history row and a dead letter as any client of the Redis could write them.
  rcli XADD "$CIUTILS_NAMESPACE:{sched:nightly}:history" '*' id $'nightly@x\e[2J' status passed \
    worker $'w\nid=forged' >/dev/null
  run -0 schedule history nightly
  assert_output 'id=nightly@x\x1b[2J  status=passed  worker=w\nid=forged'
  rcli XADD "$CIUTILS_NAMESPACE:{q:q}:dead" '*' task '{"id":"t\u001b[2J"}' reason $'boom\r\nforged' \
    at 2026-11-22T03:00:00Z >/dev/null
  run -0 schedule dead-letters --queue q
  assert_output $'2026-11-22T03:00:00Z\tt\\x1b[2J\tboom\\r\\nforged'
}
