#!/usr/bin/env bats
# schedule tick: exactly once under concurrent tickers with skewed clocks, catch-up
# policies, concurrency policies with a hung worker, explain. Time comes from --now.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

teardown() { kill_test_pids; }

# iso OFFSET: 2026-06-01T00:00:00Z plus OFFSET seconds.
iso() { date -u -d "@$((1780272000 + $1))" +%Y-%m-%dT%H:%M:%SZ; }

@test "5 concurrent tickers with skewed clocks x 1,000 slots: exactly 1,000 tasks" {
  write_schedules s.json '{"name": "sec", "cron": "* * * * * *", "queue": "q", "catch_up": "all",
    "catch_up_max": 100, "grace": "1s"}'
  run -0 schedule tick -f s.json --now "$(iso 0)"
  assert_output "sec@$(iso 0): enqueued"
  for k in 0 1 2 3 4; do
    (
      for i in $(seq 1 25); do
        t=$((40 * i + 7 * k))
        ((t > 999)) && t=999
        schedule tick -q -f s.json --now "$(iso "$t")" || exit 1
      done
    ) 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  run -0 queue_length q
  assert_output 1000
  # Every slot once: 1,000 distinct ids, the first and the last as expected.
  rcli XRANGE "$(schedule_tasks_key q)" - + | grep '^{"id"' | sed 's/^{"id":"\([^"]*\)".*/\1/' | sort -u >ids
  run -0 wc -l <ids
  assert_output 1000
  run -0 head -1 ids
  assert_output "sec@$(iso 0)"
  run -0 tail -1 ids
  assert_output "sec@$(iso 999)"
}

@test "a tick repeated for the same time enqueues nothing more" {
  write_schedules s.json '{"name": "m", "cron": "*/5 * * * *", "queue": "q", "payload": {"test": "t1"}}'
  run -0 schedule tick -f s.json --now "$(iso 30)"
  assert_output "m@$(iso 0): enqueued"
  run -0 schedule tick -f s.json --now "$(iso 30)"
  assert_output ""
  run -0 schedule tick -f s.json --now "$(iso 200)"
  assert_output ""
  run -0 schedule tick --json -f s.json --now "$(iso 301)"
  assert_output "{\"schedule\":\"m\",\"slot\":\"$(iso 300)\",\"id\":\"m@$(iso 300)\",\"decision\":\"enqueued\"}"
  run -0 rcli XRANGE "$(schedule_tasks_key q)" - +
  assert_output --partial "{\"id\":\"m@$(iso 300)\",\"schedule\":\"m\",\"slot\":\"$(iso 300)\",\"queue\":\"q\",\"attempt\":1,\"enqueued_at\":\""
  assert_output --partial '"payload":{"test":"t1"}}'
}

@test "catch_up skip: a slot later than grace is missed" {
  write_schedules s.json '{"name": "h", "cron": "0 * * * *", "queue": "q", "catch_up": "skip", "grace": "5m"}'
  run -0 schedule tick -f s.json --now "$(iso 30)"
  assert_output "h@$(iso 0): enqueued"
  # Down for three hours: 01:00, 02:00 and 03:00 are missed; at 03:20 the 03:00 slot is 20m late.
  run -0 schedule tick -f s.json --now "$(iso $((3 * 3600 + 1200)))"
  assert_output "h@$(iso 10800): missed: 1200s late, more than grace 300s (catch_up skip)"
  run -0 schedule tick -f s.json --now "$(iso $((4 * 3600 + 60)))"
  assert_output "h@$(iso 14400): enqueued"
  run -0 queue_length q
  assert_output 2
}

@test "catch_up latest: missed runs run once" {
  write_schedules s.json '{"name": "h", "cron": "0 * * * *", "queue": "q", "catch_up": "latest", "grace": "5m"}'
  run -0 schedule tick -f s.json --now "$(iso 30)"
  run -0 schedule tick -f s.json --now "$(iso $((3 * 3600 + 1200)))"
  assert_output "h@$(iso 10800): enqueued"
  run -0 queue_length q
  assert_output 2
}

@test "catch_up all: every missed slot, at most catch_up_max" {
  write_schedules s.json '{"name": "h", "cron": "0 * * * *", "queue": "q", "catch_up": "all", "catch_up_max": 2}'
  run -0 schedule tick -f s.json --now "$(iso 30)"
  run -0 schedule tick -f s.json --now "$(iso $((3 * 3600 + 1200)))"
  assert_output "h@$(iso 7200): enqueued
h@$(iso 10800): enqueued"
  run -0 queue_length q
  assert_output 3
}

@test "a new schedule does not run slots from before its first tick" {
  write_schedules s.json '{"name": "d", "cron": "0 0 * * *", "queue": "q", "catch_up": "all"}'
  run -0 schedule tick -f s.json --now "$(iso 43200)"
  assert_output ""
  run -0 schedule explain -f s.json --name d --now "$(iso 43200)"
  assert_output --partial "slot $(iso 0) (2026-06-01 00:00:00 UTC), task id d@$(iso 0)"
  assert_output --partial "not enqueued: it is not after the last slot ticks decided"
}

@test "concurrency forbid: no new run while a hung worker holds the lease; a dead worker frees it" {
  write_schedules s.json '{"name": "f", "cron": "* * * * *", "queue": "q", "concurrency": "forbid"}'
  run -0 schedule tick -f s.json --now "$(iso 0)"
  assert_output "f@$(iso 0): enqueued"
  (schedule work --queue q --visibility 2s -- sleep 600 2>worker.log 3>&- & echo $! >worker.pid)
  wait_until 10 sh -c "redis-cli -p $REDIS_PORT HLEN '$CIUTILS_NAMESPACE:{q:q}:inflight' | grep -qx 1"
  # Well past the visibility timeout: the heartbeat keeps the lease.
  sleep 3
  run -0 schedule tick -f s.json --now "$(iso 60)"
  assert_output "f@$(iso 60): skipped: previous run f@$(iso 0) still in flight (concurrency forbid)"
  run -0 schedule explain -f s.json --name f --slot "$(iso 60)" --now "$(iso 70)"
  assert_output --partial "skipped: previous run f@$(iso 0) still in flight (concurrency forbid)"
  # kill -9: no more heartbeats, the lease expires after the visibility timeout.
  kill_worker worker.pid
  sleep 2.5
  run -0 schedule tick -f s.json --now "$(iso 120)"
  assert_output "f@$(iso 120): enqueued"
}

@test "concurrency replace: the hung run is killed and the new one runs" {
  write_schedules s.json '{"name": "r", "cron": "* * * * *", "queue": "q", "concurrency": "replace"}'
  run -0 schedule tick -f s.json --now "$(iso 0)"
  (schedule work --queue q --visibility 1s --kill-grace 1s -- sh -c 'echo "$TASK_ID" >>runs; exec sleep 600' \
    2>worker.log 3>&- & echo $! >worker.pid)
  wait_until 10 grep -q "r@$(iso 0)" runs
  run -0 schedule tick -f s.json --now "$(iso 60)"
  assert_output "r@$(iso 60): enqueued, replacing r@$(iso 0) (concurrency replace)"
  wait_until 15 grep -q "r@$(iso 60)" runs
  wait_until 10 sh -c "schedule history r | grep -q 'status=replaced'"
  run -0 schedule history r
  assert_output --partial "id=r@$(iso 0)"
  assert_output --partial "status=replaced"
  run -0 grep -c "replaced by a newer run, killing it" worker.log
}

@test "4,500 schedules in one script call: each slot once; a tick with nothing due runs no script" {
  awk 'BEGIN {
    printf "{\"schedules\": ["
    for (i = 0; i < 4500; i++) printf "%s{\"name\": \"s%d\", \"cron\": \"0 * * * *\", \"queue\": \"q\"}", (i ? "," : ""), i
    print "]}"
  }' >s.json
  run -0 schedule tick -q -f s.json --batch 10000 --now "$(iso 30)"
  run -0 queue_length q
  assert_output 4500
  # Nothing after the last decided slots: the schedules are filtered out before any script.
  rcli CONFIG RESETSTAT >/dev/null
  run -0 schedule tick -f s.json --batch 10000 --now "$(iso 1800)"
  assert_output ""
  run -0 rcli INFO commandstats
  refute_output --partial "cmdstat_evalsha"
  # The next slot: one script, and the 4,500 decisions about that slot are written 4,000 at a
  # time (what one Lua unpack takes), not one command each.
  rcli CONFIG RESETSTAT >/dev/null
  run -0 schedule tick -q -f s.json --batch 10000 --now "$(iso 3600)"
  run -0 queue_length q
  assert_output 9000
  run -0 rcli HGET "$CIUTILS_NAMESPACE:{q:q}:last" s4499
  assert_output 1780275600
  run -0 rcli INFO commandstats
  assert_output --partial "cmdstat_evalsha:calls=1,"
  assert_output --partial "cmdstat_rpush:calls=2,"
  assert_output --partial "cmdstat_xadd:calls=4500,"
  run -0 rcli LLEN "$CIUTILS_NAMESPACE:{q:q}:decided:$(iso 3600)"
  assert_output 4500
  # The default batch: 2,000 schedules per script.
  rcli CONFIG RESETSTAT >/dev/null
  run -0 schedule tick -q -f s.json --now "$(iso 7200)"
  run -0 rcli INFO commandstats
  assert_output --partial "cmdstat_evalsha:calls=3,"
}

@test "schedules with different policies in one script: each decided by its own, output in file order" {
  printf '{"schedules": [%s,\n%s,\n%s]}\n' \
    '{"name": "a", "cron": "0 * * * *", "queue": "q", "catch_up": "skip", "grace": "1m"}' \
    '{"name": "b", "cron": "0 * * * *", "queue": "q", "payload": {"k": "b"}}' \
    '{"name": "c", "cron": "0 * * * *", "queue": "q", "catch_up": "all", "catch_up_max": 3, "concurrency": "forbid", "lease": "1s"}' >s.json
  run -0 schedule tick -f s.json --now "$(iso 0)"
  assert_output "a@$(iso 0): enqueued
b@$(iso 0): enqueued
c@$(iso 0): enqueued"
  rcli DEL "$CIUTILS_NAMESPACE:{q:q}:lease:c" >/dev/null
  run -0 schedule tick -f s.json --now "$(iso 11400)"
  assert_output "a@$(iso 10800): missed: 600s late, more than grace 60s (catch_up skip)
b@$(iso 10800): enqueued
c@$(iso 3600): enqueued
c@$(iso 7200): skipped: previous run c@$(iso 3600) still in flight (concurrency forbid)
c@$(iso 10800): skipped: previous run c@$(iso 3600) still in flight (concurrency forbid)"
  run -0 queue_length q
  assert_output 5
  run -0 rcli XRANGE "$(schedule_tasks_key q)" - + COUNT 5
  assert_output --partial "{\"id\":\"b@$(iso 10800)\",\"schedule\":\"b\",\"slot\":\"$(iso 10800)\",\"queue\":\"q\",\"attempt\":1,\"enqueued_at\":\""
  assert_output --partial '"payload":{"k":"b"}}'
  run -0 rcli HMGET "$CIUTILS_NAMESPACE:{q:q}:last" a b c
  assert_output "1780282800
1780282800
1780282800"
}

@test "decisions are kept per slot for 7 days, for explain" {
  write_schedules s.json '{"name": "m", "cron": "* * * * *", "queue": "q", "catch_up": "all",
    "catch_up_max": 300, "grace": "1s"}'
  run -0 schedule tick -q -f s.json --now "$(iso 0)"
  run -0 schedule tick -q -f s.json --now "$(iso 18000)"
  run -0 queue_length q
  assert_output 301
  run -0 rcli LRANGE "$CIUTILS_NAMESPACE:{q:q}:decided:$(iso 18000)" 0 -1
  assert_output --regexp "^m	[0-9T:.-]+Z	enqueued$"
  run -0 rcli PTTL "$CIUTILS_NAMESPACE:{q:q}:decided:$(iso 18000)"
  (( output > 604000000 && output <= 604800000 ))
  run -0 schedule explain -f s.json --name m --slot "$(iso 18000)" --now "$(iso 18000)"
  assert_output --partial "task id m@$(iso 18000)"
  assert_output --partial "  enqueued (decided at "
  # Expired: the decision is no longer recorded, the last decided slot still tells.
  rcli DEL "$CIUTILS_NAMESPACE:{q:q}:decided:$(iso 60)" >/dev/null
  run -0 schedule explain -f s.json --name m --slot "$(iso 60)" --now "$(iso 18000)"
  assert_output --partial "not enqueued: it is not after the last slot ticks decided"
  assert_output --partial "decisions are kept 7 days"
}
