#!/usr/bin/env bats
# schedule under a Sentinel failover that loses writes (a primary, two replicas and three
# sentinels started here): a slot whose tick and take the failover lost is decided again
# on the new primary and runs twice, and the history shows it.

load helpers/suite
load helpers/redis_sentinel
load helpers/schedule_helpers

setup_file() { suite_start redis_sentinel; }

teardown() { kill_test_pids; }

# A worker runs `sh -c "$held" held N`: it writes its attempt to started.N, then waits for
# the file go.N.
held='echo "$TASK_ATTEMPT" >started.$1; until [ -e go.$1 ]; do sleep 0.05; done'
lost_warning="this run's lease was gone when it finished (lost in a Redis failover, or taken over by another worker after --visibility): its slot may have run twice"

# waits_at PORT: a client of the server at PORT waits for tasks (XREADGROUP BLOCK).
waits_at() {
  redis-cli -p "$1" CLIENT LIST | grep -q ' cmd=xreadgroup '
}

@test "a failover loses a slot's tick and take: the new primary runs the slot again, and the history shows both runs, the lost one with a warning" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "fo"}'
  # w1 finds the primary through the sentinels and waits there for tasks.
  (schedule work --queue fo --consumer w1 --visibility 3s -- sh -c "$held" held 1 2>w1.log 3>&- & echo $! >w1.pid)
  old="$(primary_port)"
  wait_until 10 waits_at "$old"
  # Sentinel demotes the old primary some 10 s after a failover; until then it takes the
  # writes of the clients still connected to it, and loses them when it is demoted. Here it
  # refuses Sentinel's REPLICAOF, so that window lasts until the test demotes it.
  redis-cli -p "$old" ACL SETUSER default -replicaof -slaveof
  fail_over
  # A tick that still talks to the old primary enqueues the slot there, and w1, connected
  # to it too, takes the task and runs it.
  run -0 --separate-stderr schedule tick -f s.json --redis "redis://127.0.0.1:$OLD_PRIMARY/0" --now 2026-11-22T02:00:10Z
  assert_output "nightly@2026-11-22T02:00:00Z: enqueued"
  wait_until 10 test -s started.1
  run -0 redis-cli -p "$OLD_PRIMARY" XLEN "$(schedule_tasks_key fo)"
  assert_output 1
  run -0 redis-cli -p "$NEW_PRIMARY" XLEN "$(schedule_tasks_key fo)"
  assert_output 0
  # The old primary is demoted as Sentinel does it (REPLICAOF the new one, then its clients
  # are closed) and syncs from the new primary: the tick and the take are gone.
  redis-cli -p "$OLD_PRIMARY" ACL SETUSER default +@all
  redis-cli -p "$OLD_PRIMARY" REPLICAOF 127.0.0.1 "$NEW_PRIMARY"
  redis-cli -p "$OLD_PRIMARY" CLIENT KILL TYPE normal
  wait_until 20 synced_replica "$OLD_PRIMARY"
  run -0 redis-cli -p "$OLD_PRIMARY" XLEN "$(schedule_tasks_key fo)"
  assert_output 0
  # The next tick, through the sentinels, decides the slot again on the new primary, and
  # another worker runs it.
  run -0 --separate-stderr schedule tick -f s.json --now 2026-11-22T02:00:20Z
  assert_output "nightly@2026-11-22T02:00:00Z: enqueued"
  run -0 --separate-stderr schedule work --queue fo --consumer w2 --max-tasks 1 -- true
  # w1's run ends: its delivery is gone from the new primary; it records the run with the
  # warning and touches nothing else.
  touch go.1
  wait_until 30 sh -c "schedule history nightly | grep -q warning=" || {
    cat w1.log >&2
    false
  }
  run -0 schedule history nightly --json
  [ "${#lines[@]}" = 2 ]
  assert_line -n 0 --regexp '^\{"id":"nightly@2026-11-22T02:00:00Z",.*,"worker":"w2","exit":"0","attempts":"1","status":"passed"\}$'
  assert_line -n 1 --regexp '^\{"id":"nightly@2026-11-22T02:00:00Z","slot":"2026-11-22T02:00:00Z",.*,"worker":"w1","exit":"0","attempts":"1","status":"passed",'
  assert_line -n 1 --partial ",\"warning\":\"$lost_warning\"}"
  run -0 grep -cxF "schedule: task nightly@2026-11-22T02:00:00Z: $lost_warning" w1.log
  assert_output 1
  run -0 schedule status --queue fo --json
  assert_output --partial '"pending":0'
}
