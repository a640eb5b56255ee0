#!/usr/bin/env bats
# schedule work under faults: the command dies with a killed worker, a command that
# ignores SIGTERM is killed after --kill-grace, --exit-when-empty waits for unfinished
# work (retries, leases of dead workers), history write failures cost no result.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

teardown() { kill_test_pids; }

@test "kill -9 of a worker ends its command's whole group; the redelivered attempt runs alone" {
  run -0 schedule enqueue --queue q --name crash '{}'
  (schedule work --queue q --visibility 2s -- sh -c 'sleep 1000 & echo $! >bg.pid; echo $$ >sh.pid; wait' \
    2>w.log 3>&- & echo $! >w.pid)
  wait_until 10 test -s bg.pid
  wait_until 10 test -s sh.pid
  kill -KILL "$(cat w.pid)"
  run -0 timeout 30 schedule work --queue q --visibility 2s --max-tasks 1 -- sh -c '{
    for f in sh.pid bg.pid; do
      stat="$(ps -o stat= -p "$(cat $f)")" && [ "${stat#Z}" = "$stat" ] && echo "still running: $f"
    done
    echo "attempt $TASK_ATTEMPT"; } >second.out'
  run -0 cat second.out
  assert_output "attempt 2"
}

@test "--timeout: a command that ignores SIGTERM is killed after --kill-grace" {
  run -0 schedule enqueue --queue q '{}'
  run -0 timeout 30 schedule work --queue q --exit-when-empty --max-attempts 1 --timeout 1s --kill-grace 1s -- \
    sh -c 'trap "" TERM; echo $$ >cmd.pid; while :; do sleep 0.05; done'
  assert_output --partial "timed out after 1s, killing it"
  ! running "$(cat cmd.pid)"
  run -0 schedule dead-letters --queue q
  assert_output --partial "timed out after 1s on attempt 1 of 1"
}

@test "a descendant that calls setsid is killed when its task ends, and named" {
  run -0 schedule enqueue --queue q --name esc '{}'
  run -0 schedule work --queue q --exit-when-empty -- sh -c '
    setsid sleep 1000 >/dev/null 2>&1 & echo $! >esc.pid
    while [ "$(cat /proc/$!/comm)" != sleep ]; do sleep 0.01; done'
  esc="$(cat esc.pid)"
  assert_output --regexp "^schedule: task esc@[^ ]+: killed sleep \\(pid $esc\\), which the command left running outside its process group$"
  ! running "$esc"
}

@test "--exit-when-empty: survivors reclaim the tasks of workers killed with -9 and wait for retries" {
  local i
  for i in $(seq 1 30); do schedule enqueue --queue q --name "t$i" "{\"n\": $i}" >/dev/null; done
  # Four workers take a task each and are killed with -9 while running it.
  for i in 1 2 3 4; do
    (schedule work --queue q --visibility 2s --max-tasks 1 -- sh -c 'echo "$TASK_ID" >>victims; exec sleep 1000' \
      2>"v$i.log" 3>&- & echo $! >"v$i.pid")
  done
  wait_until 10 sh -c 'test "$(wc -l <victims)" = 4'
  for i in 1 2 3 4; do kill -KILL "$(cat "v$i.pid")"; done
  # Eight survivors; one task fails once and waits in `delayed` for its retry.
  for i in $(seq 1 8); do
    (rc=0
      timeout 60 schedule work --queue q --exit-when-empty --visibility 2s --retry-delay 1s -- sh -c '
        if [ "$TASK_PAYLOAD_N" = 30 ] && [ "$TASK_ATTEMPT" = 1 ]; then exit 1; fi
        echo "$TASK_ID" >>done' 2>"s$i.log" || rc=$?
      echo "$rc" >"s$i.rc") 3>&- &
  done
  for i in $(seq 1 8); do wait_until 60 test -s "s$i.rc"; done
  for i in $(seq 1 8); do
    run -0 cat "s$i.rc"
    assert_output 0
  done
  run -0 sh -c 'sort -u done | wc -l'
  assert_output 30
  run -0 queue_length q
  assert_output 0
  run -0 rcli ZCARD "$CIUTILS_NAMESPACE:{q:q}:delayed"
  assert_output 0
  run -0 schedule status --queue q --json
  assert_output --partial '"pending":0'
}

@test "history writes that fail (WRONGTYPE) are logged; the worker goes on and results are kept" {
  run -0 schedule enqueue --queue q --name nightly '{}'
  run -0 schedule enqueue --queue q --name weekly '{}'
  rcli SET "$CIUTILS_NAMESPACE:{sched:nightly}:history" not-a-stream
  rcli SET "$CIUTILS_NAMESPACE:{sched:weekly}:history" not-a-stream
  run -0 --separate-stderr schedule work --queue q --exit-when-empty -- true
  [ "$(grep -c "could not record history: .*WRONGTYPE" <<<"$stderr")" -eq 2 ] || {
    echo "$stderr"
    false
  }
  run -0 queue_length q
  assert_output 0
  run -0 schedule status --queue q --json
  assert_output --partial '"pending":0'
}

# Runs whose delivery is no longer theirs when they finish. A worker runs `sh -c "$held" held N`:
# it writes its attempt to started.N, then waits for the file go.N.
held='echo "$TASK_ATTEMPT" >started.$1; until [ -e go.$1 ]; do sleep 0.05; done'
lost_warning="this run's lease was gone when it finished (lost in a Redis failover, or taken over by another worker after --visibility): its slot may have run twice"

@test "a run whose delivery was lost (a failover lost its slot's writes): its history says so; the slot's new run is left alone" {
  write_schedules s.json '{"name": "nightly", "cron": "0 2 * * *", "queue": "q"}'
  run -0 schedule tick -f s.json --now 2026-11-22T02:00:10Z
  assert_output "nightly@2026-11-22T02:00:00Z: enqueued"
  (schedule work --queue q --consumer w1 -- sh -c "$held" held 1 2>w1.log 3>&- & echo $! >w1.pid)
  wait_until 10 test -s started.1
  # What a failover loses when the replica had not yet received the tick: every write since.
  rcli FLUSHALL >/dev/null
  run -0 schedule tick -f s.json --now 2026-11-22T02:00:20Z
  assert_output "nightly@2026-11-22T02:00:00Z: enqueued"
  run -0 schedule work --queue q --consumer w2 --max-tasks 1 -- true
  touch go.1
  wait_until 10 sh -c "schedule history nightly | grep -q warning=" || { cat w1.log; schedule history nightly; false; }
  run -0 schedule history nightly --json
  assert_line -n 0 --regexp '^\{"id":"nightly@2026-11-22T02:00:00Z",.*"worker":"w2","exit":"0","attempts":"1","status":"passed"\}$'
  assert_line -n 1 --partial "\"worker\":\"w1\",\"exit\":\"0\",\"attempts\":\"1\",\"status\":\"passed\",\"warning\":\"$lost_warning\"}"
  run -0 schedule history nightly
  assert_line -n 1 --partial "  worker=w1  exit=0  attempts=1  status=passed  warning=$lost_warning"
  run -0 grep -cxF "schedule: task nightly@2026-11-22T02:00:00Z: $lost_warning" w1.log
  assert_output 1
  run -0 queue_length q
  assert_output 0
}

@test "a run taken over by another worker: its finish leaves the other delivery alone, and says so" {
  run -0 schedule enqueue --queue q --name slow '{}'
  (schedule work --queue q --consumer w1 --visibility 1s -- sh -c "$held" held 1 2>w1.log 3>&- & echo $! >w1.pid)
  wait_until 10 test -s started.1
  # w1 stops heartbeating; after 1s w2 reclaims the task as attempt 2
  kill -STOP "$(cat w1.pid)"
  (schedule work --queue q --consumer w2 --visibility 1s -- sh -c "$held" held 2 2>w2.log 3>&- & echo $! >w2.pid)
  wait_until 20 test -s started.2 || { cat w1.log w2.log; false; }
  run -0 cat started.2
  assert_output 2
  kill -CONT "$(cat w1.pid)"
  touch go.1
  wait_until 10 sh -c "schedule history slow | grep -q warning="
  run -0 grep -cF ": $lost_warning" w1.log
  assert_output 1
  # w2's delivery is still its own, and it finishes it
  run -0 rcli XPENDING "$(schedule_tasks_key q)" workers - + 10
  assert_line -n 1 w2
  touch go.2
  wait_until 10 sh -c '[ "$(schedule history slow | wc -l)" = 2 ]'
  run -0 schedule history slow
  assert_line -n 0 --partial "  worker=w1  exit=0  attempts=1  status=passed  warning=$lost_warning"
  assert_line -n 1 --regexp '^id=slow@.*  worker=w2  exit=0  attempts=2  status=passed$'
  run -0 queue_length q
  assert_output 0
}

@test "a run whose take alone was lost (its task is on the queue, delivered to no one) finishes it: no second run" {
  run -0 schedule enqueue --queue q --name once '{}'
  (schedule work --queue q --consumer w1 --max-tasks 1 -- sh -c "$held" held 1 2>w1.log 3>&- & echo $! >w1.pid)
  wait_until 10 test -s started.1
  # What a failover loses when the replica had the task but not its take.
  tasks="$(schedule_tasks_key q)"
  entry="$(rcli XRANGE "$tasks" - + | head -1)"
  rcli DEL "$CIUTILS_NAMESPACE:{q:q}:inflight" >/dev/null
  rcli XACK "$tasks" workers "$entry" >/dev/null
  rcli XGROUP SETID "$tasks" workers 0 >/dev/null
  touch go.1
  wait_until 10 sh -c "! kill -0 $(cat w1.pid)"
  run -0 schedule history once
  assert_output --regexp '^id=once@[^ ]+  started=[^ ]+  ended=[^ ]+  worker=w1  exit=0  attempts=1  status=passed$'
  [ "${#lines[@]}" = 1 ]
  run -0 queue_length q
  assert_output 0
  run -1 schedule take --queue q
}
