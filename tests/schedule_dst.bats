#!/usr/bin/env bats
# Time zones with DST: a wall-clock time in the spring-forward gap runs once at the next
# valid instant (or is skipped); one in the fall-back fold runs once at its first
# occurrence (or its last, or both). America/New_York and Europe/Berlin.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

@test "New York spring forward: 02:30 does not exist, runs at 03:00 EDT" {
  run -0 schedule next --cron '30 2 * * *' --timezone America/New_York -n 2 --now 2026-03-07T12:00:00Z
  assert_output "cron: cron '30 2 * * *' in America/New_York
  2026-03-08 03:00:00 EDT   2026-03-08T07:00:00Z
  2026-03-09 02:30:00 EDT   2026-03-09T06:30:00Z"
}

@test "New York spring forward with dst_gap skip" {
  write_schedules s.json '{"name": "g", "cron": "30 2 * * *", "timezone": "America/New_York", "queue": "q", "dst_gap": "skip"}'
  run -0 schedule next -f s.json -n 1 --json --now 2026-03-07T12:00:00Z
  assert_output '{"schedule":"g","slot":"2026-03-09T06:30:00Z","local":"2026-03-09 02:30:00 EDT","id":"g@2026-03-09T06:30:00Z"}'
}

@test "New York fall back: 01:30 happens twice, runs once at the first by default" {
  write_schedules s.json '{"name": "f", "cron": "30 1 * * *", "timezone": "America/New_York", "queue": "q"}'
  run -0 schedule next -f s.json -n 2 --now 2026-10-31T12:00:00Z
  assert_output "f: cron '30 1 * * *' in America/New_York
  2026-11-01 01:30:00 EDT   2026-11-01T05:30:00Z
  2026-11-02 01:30:00 EST   2026-11-02T06:30:00Z"
  write_schedules s.json '{"name": "f", "cron": "30 1 * * *", "timezone": "America/New_York", "queue": "q", "dst_fold": "last"}'
  run -0 schedule next -f s.json -n 1 --now 2026-10-31T12:00:00Z
  assert_line -n 1 "  2026-11-01 01:30:00 EST   2026-11-01T06:30:00Z"
  write_schedules s.json '{"name": "f", "cron": "30 1 * * *", "timezone": "America/New_York", "queue": "q", "dst_fold": "both"}'
  run -0 schedule next -f s.json -n 2 --now 2026-10-31T12:00:00Z
  assert_line -n 1 "  2026-11-01 01:30:00 EDT   2026-11-01T05:30:00Z"
  assert_line -n 2 "  2026-11-01 01:30:00 EST   2026-11-01T06:30:00Z"
}

@test "Berlin: gap at 02:30 on 2026-03-29 and fold on 2026-10-25" {
  run -0 schedule next --cron '30 2 * * *' --timezone Europe/Berlin -n 1 --now 2026-03-28T12:00:00Z
  assert_line -n 1 "  2026-03-29 03:00:00 CEST   2026-03-29T01:00:00Z"
  run -0 schedule next --cron '30 2 * * *' --timezone Europe/Berlin -n 2 --now 2026-10-24T12:00:00Z
  assert_line -n 1 "  2026-10-25 02:30:00 CEST   2026-10-25T00:30:00Z"
  assert_line -n 2 "  2026-10-26 02:30:00 CET   2026-10-26T01:30:00Z"
}

@test "tick through the New York fall-back night enqueues 01:30 exactly once" {
  write_schedules s.json '{"name": "f", "cron": "30 1 * * *", "timezone": "America/New_York", "queue": "q"}'
  run -0 schedule tick -f s.json --now 2026-11-01T05:00:00Z
  for t in 05:29:00 05:30:10 05:45:00 06:00:00 06:30:10 06:45:00 07:30:00; do
    schedule tick -f s.json --now "2026-11-01T${t}Z" >>ticks
  done
  run -0 cat ticks
  assert_output "f@2026-11-01T05:30:00Z: enqueued"
  run -0 queue_length q
  assert_output 1
}

@test "tick through the Berlin spring-forward night enqueues the 02:30 run once, at 03:00 CEST" {
  write_schedules s.json '{"name": "g", "cron": "30 2 * * *", "timezone": "Europe/Berlin", "queue": "q"}'
  run -0 schedule tick -f s.json --now 2026-03-29T00:00:00Z
  for t in 00:30:00 00:59:59 01:00:05 01:30:00 02:00:00; do
    schedule tick -f s.json --now "2026-03-29T${t}Z" >>ticks
  done
  run -0 cat ticks
  assert_output "g@2026-03-29T01:00:00Z: enqueued"
}
