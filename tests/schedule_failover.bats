#!/usr/bin/env bats
# schedule under a Sentinel failover that loses writes (a primary, two replicas and three
# sentinels started here): a slot whose tick and take the failover lost is decided again
# on the new primary and runs twice, and the history shows it. `work --min-replicas N`
# waits for the replicas to have each run's record, and says so when they do not.

load helpers/suite
load helpers/redis_sentinel
load helpers/schedule_helpers

setup_file() { suite_start redis_sentinel; }

# A replica a test paused (its pid in the file "paused") is resumed whatever the outcome.
teardown() {
  if [ -f "$BATS_TEST_TMPDIR/paused" ]; then kill -CONT "$(cat "$BATS_TEST_TMPDIR/paused")" 2>/dev/null || true; fi
  kill_test_pids
}

# A worker runs `sh -c "$held" held N`: it writes its attempt to started.N, then waits for
# the file go.N.
held='echo "$TASK_ATTEMPT" >started.$1; until [ -e go.$1 ]; do sleep 0.05; done'
lost_warning="this run's lease was gone when it finished (lost in a Redis failover, or taken over by another worker after --visibility): its slot may have run twice"

# waits_at PORT: a client of the server at PORT waits for tasks (XREADGROUP BLOCK).
waits_at() {
  redis-cli -p "$1" CLIENT LIST | grep -q ' cmd=xreadgroup '
}

# Both replicas follow the first primary until the failover test below.
replica_pid() { cat "$REDIS_DIR/replica$1.pid"; }
replica_port() { echo "$REPLICA_PORTS" | cut -d' ' -f"$1"; }

# task_id: the id in the task JSON `schedule enqueue` printed ($output).
task_id() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p' <<<"$output"; }

# history_len_at PORT NAME: the number of runs in schedule NAME's history at that server.
history_len_at() { redis-cli -p "$1" XLEN "$CIUTILS_NAMESPACE:{sched:$2}:history"; }

@test "work --min-replicas: with every replica up, each run's record is on the replicas and nothing is said" {
  run -0 --separate-stderr schedule enqueue --queue wr --name up-one '{}'
  run -0 --separate-stderr schedule work --queue wr --min-replicas 1 --max-tasks 1 -- true
  assert_equal "$stderr" ""
  run -0 --separate-stderr schedule enqueue --queue wr --name up-all '{}'
  run -0 --separate-stderr schedule work --queue wr --min-replicas 2 --max-tasks 1 -- true
  assert_equal "$stderr" ""
  # WAIT 2 returned: the history entry is on both replicas once the worker is gone.
  for r in 1 2; do
    run -0 history_len_at "$(replica_port "$r")" up-all
    assert_output 1
  done
  run -0 schedule history up-all --json
  assert_line -n 0 --regexp '^\{"id":"up-all@.*,"exit":"0","attempts":"1","status":"passed"\}$'
}

@test "work --min-replicas: a replica paused: the run is recorded on the primary; the worker says a failover could lose it and goes on" {
  replica_pid 2 >paused
  kill -STOP "$(replica_pid 2)"
  run -0 --separate-stderr schedule enqueue --queue wp --name paused-pass '{"code": 0}'
  passed="$(task_id)"
  run -0 --separate-stderr schedule enqueue --queue wp --name paused-fail '{"code": 7}'
  failed="$(task_id)"
  # The worker's exit status is as without --min-replicas: 0 after --max-tasks.
  run -0 --separate-stderr schedule work --queue wp --min-replicas 2 --max-tasks 2 --max-attempts 1 \
    -- sh -c 'exit "$TASK_PAYLOAD_CODE"'
  warning="only 1 of 2 replicas acknowledged its result and history within 1s (--min-replicas): a failover now could lose this run's record"
  assert_equal "$stderr" "schedule: task $passed: $warning
schedule: task $failed: exit status 7 on attempt 1 of 1; moved to the dead letters
schedule: task $failed: $warning"
  # Both runs are recorded on the primary (and on the replica that is up).
  for port in "$(primary_port)" "$(replica_port 1)"; do
    run -0 history_len_at "$port" paused-pass
    assert_output 1
    run -0 history_len_at "$port" paused-fail
    assert_output 1
  done
  run -0 schedule history paused-fail --json
  assert_line -n 0 --regexp '^\{"id":"paused-fail@.*,"exit":"7","attempts":"1","status":"failed"\}$'
  run -0 schedule status --queue wp --json
  assert_output --partial '"pending":0'
  # Quiet workers say nothing.
  run -0 --separate-stderr schedule enqueue --queue wp --name paused-quiet '{"code": 0}'
  run -0 --separate-stderr schedule work -q --queue wp --min-replicas 2 --max-tasks 1 -- sh -c 'exit "$TASK_PAYLOAD_CODE"'
  assert_equal "$stderr" ""
  kill -CONT "$(replica_pid 2)"
  rm paused
  wait_until 10 synced_replica "$(replica_port 2)"
}

@test "work --min-replicas: bad values and cluster URLs are usage errors (exit 2), before any task is taken" {
  run -0 --separate-stderr schedule enqueue --queue wb --name bad '{}'
  run -2 --separate-stderr schedule work --queue wb --min-replicas -1 -- true
  assert_equal "$stderr" "schedule: error: --min-replicas: -1 is out of range 0..100"
  run -2 --separate-stderr schedule work --queue wb --min-replicas x -- true
  assert_equal "$stderr" "schedule: error: --min-replicas: invalid value 'x'"
  run -2 --separate-stderr schedule work --queue wb --min-replicas 101 -- true
  assert_equal "$stderr" "schedule: error: --min-replicas: 101 is out of range 0..100"
  run -2 --separate-stderr schedule work --queue wb --min-replicas 1 --redis redis+cluster://127.0.0.1:1/ -- true
  assert_equal "$stderr" "schedule: error: --min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)"
  # the task is still waiting, untaken
  run -0 schedule status --queue wb --json
  assert_output --partial '"queue":"wb","length":1,"retrying":0,"dead_letters":0,"pending":0,'
}

# fail_over_keeping_old_primary: once a worker waits at the primary, a failover after which
# the old primary goes on taking the writes of the clients still connected to it. Sentinel
# demotes it some 10 s after a failover, and its writes until then are lost; here it refuses
# Sentinel's REPLICAOF, so that window lasts until demote_old_primary.
fail_over_keeping_old_primary() {
  local old
  old="$(primary_port)"
  wait_until 10 waits_at "$old" || return 1
  redis-cli -p "$old" ACL SETUSER default -replicaof -slaveof >/dev/null
  fail_over
}

# demote_old_primary: as Sentinel does it (REPLICAOF the new primary, then its clients are
# closed); returns once it has synced from the new primary, its own writes gone.
demote_old_primary() {
  redis-cli -p "$OLD_PRIMARY" ACL SETUSER default +@all >/dev/null
  redis-cli -p "$OLD_PRIMARY" REPLICAOF 127.0.0.1 "$NEW_PRIMARY" >/dev/null
  redis-cli -p "$OLD_PRIMARY" CLIENT KILL TYPE normal >/dev/null
  wait_until 20 synced_replica "$OLD_PRIMARY"
}

@test "a failover loses a slot's tick and take: the new primary runs the slot again, and the history shows both runs, the lost one with a warning" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "fo"}'
  # w1 finds the primary through the sentinels and waits there for tasks.
  (schedule work --queue fo --consumer w1 --visibility 3s -- sh -c "$held" held 1 2>w1.log 3>&- & echo $! >w1.pid)
  fail_over_keeping_old_primary
  # A tick that still talks to the old primary enqueues the slot there, and w1, connected
  # to it too, takes the task and runs it.
  run -0 --separate-stderr schedule tick -f s.json --redis "redis://127.0.0.1:$OLD_PRIMARY/0" --now 2026-11-22T02:00:10Z
  assert_output "nightly@2026-11-22T02:00:00Z: enqueued"
  wait_until 10 test -s started.1
  run -0 redis-cli -p "$OLD_PRIMARY" XLEN "$(schedule_tasks_key fo)"
  assert_output 1
  run -0 redis-cli -p "$NEW_PRIMARY" XLEN "$(schedule_tasks_key fo)"
  assert_output 0
  # The old primary is demoted: the tick and the take are gone.
  demote_old_primary
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

# both_replicas_online: the primary the sentinels name has two replicas online.
both_replicas_online() {
  [ "$(redis-cli -p "$(primary_port)" info replication | grep -c '^slave[0-9]*:.*state=online')" = 2 ]
}

@test "work --min-replicas: a run taken and ended inside a failover's loss window leaves no history, and its worker says so" {
  write_schedules s.json '{"name": "hourly", "cron": "0 * * * *", "queue": "fw"}'
  wait_until 30 both_replicas_online
  (schedule work --queue fw --consumer w3 --min-replicas 2 -- true 2>w3.log 3>&- & echo $! >w3.pid)
  fail_over_keeping_old_primary
  # The old primary's replicas went to the new one: w3's run, taken and recorded there, is
  # acknowledged by none.
  run -0 --separate-stderr schedule tick -f s.json --redis "redis://127.0.0.1:$OLD_PRIMARY/0" --now 2026-11-22T03:00:10Z
  assert_output "hourly@2026-11-22T03:00:00Z: enqueued"
  wait_until 20 grep -q 'acknowledged' w3.log || {
    cat w3.log >&2
    false
  }
  run -0 grep -cxF "schedule: task hourly@2026-11-22T03:00:00Z: only 0 of 2 replicas acknowledged its result and history within 1s (--min-replicas): a failover now could lose this run's record" w3.log
  assert_output 1
  run -0 history_len_at "$NEW_PRIMARY" hourly
  assert_output 0
  demote_old_primary
  run -0 history_len_at "$OLD_PRIMARY" hourly
  assert_output 0
}
