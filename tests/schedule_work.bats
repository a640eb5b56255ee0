#!/usr/bin/env bats
# schedule work / take / ack / fail: task on stdin and in the environment, retries and
# dead letters, infrastructure exit codes, timeouts, kill -9 reclaim, SIGTERM grace.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

teardown() { kill_test_pids; }

# start_worker NAME ARGS...: a background worker, its pid in NAME.pid, its messages in NAME.log.
start_worker() {
  local name="$1"
  shift
  (schedule work "$@" 2>"$name.log" 3>&- & echo $! >"$name.pid")
}

@test "work: task JSON on stdin, TASK_* in the environment, ack on exit 0, history" {
  write_schedules s.json '{"name": "nightly-e2e", "cron": "0 2 * * *", "queue": "e2e",
    "payload": {"test": "opm-tests-1", "app": "opm", "location": "s3://zemog-bucket/website-tests.zip",
                "notifications": ["frontend"]}}'
  run -0 schedule tick -f s.json --now 2026-11-22T02:00:10Z
  cat >task.sh <<'SH'
#!/bin/sh
{
  echo "id=$TASK_ID queue=$TASK_QUEUE attempt=$TASK_ATTEMPT schedule=$TASK_SCHEDULE slot=$TASK_SLOT"
  echo "test=$TASK_PAYLOAD_TEST app=$TASK_PAYLOAD_APP location=$TASK_PAYLOAD_LOCATION notifications=$TASK_PAYLOAD_NOTIFICATIONS"
  cat
} >out.txt
SH
  chmod +x task.sh
  run -0 schedule work --queue e2e --exit-when-empty -- ./task.sh
  run -0 cat out.txt
  assert_line -n 0 "id=nightly-e2e@2026-11-22T02:00:00Z queue=e2e attempt=1 schedule=nightly-e2e slot=2026-11-22T02:00:00Z"
  assert_line -n 1 'test=opm-tests-1 app=opm location=s3://zemog-bucket/website-tests.zip notifications=["frontend"]'
  assert_line -n 2 --regexp '^\{"id":"nightly-e2e@2026-11-22T02:00:00Z","schedule":"nightly-e2e","slot":"2026-11-22T02:00:00Z","queue":"e2e","attempt":1,"enqueued_at":"[^"]+","payload":\{"test":"opm-tests-1",'
  run -0 queue_length e2e
  assert_output 0
  run -0 schedule history nightly-e2e --json
  assert_output --regexp '^\{"id":"nightly-e2e@2026-11-22T02:00:00Z","slot":"2026-11-22T02:00:00Z","enqueued":"[^"]+","started":"[^"]+","ended":"[^"]+","worker":"[^"]+","exit":"0","attempts":"1","status":"passed"\}$'
}

@test "poison task: retried with backoff, dead-lettered after --max-attempts, requeued" {
  run -0 schedule enqueue --queue q --name poison '{"n":1}'
  run -0 schedule work --queue q --exit-when-empty --max-attempts 3 --retry-delay 0 -- sh -c 'echo "$TASK_ATTEMPT" >>attempts; exit 7'
  assert_output --partial "attempt 1: exit status 7, retrying in 0ms"
  assert_output --partial "exit status 7 on attempt 3 of 3; moved to the dead letters"
  run -0 cat attempts
  assert_output "1
2
3"
  run -0 schedule dead-letters --queue q
  assert_output --regexp $'^[0-9T:.-]+Z\tpoison@[^\t]+\texit status 7 on attempt 3 of 3$'
  run -0 queue_length q
  assert_output 0
  run -0 schedule dead-letters --queue q --requeue
  assert_output "schedule: requeued 1 dead letter"
  run -0 queue_length q
  assert_output 1
  run -0 schedule dead-letters --queue q
  assert_output ""
}

@test "infrastructure exit codes retry without counting an attempt" {
  run -0 schedule enqueue --queue q '{}'
  # First run: exit 3 (infrastructure); second: exit 0. One attempt allowed, yet no dead letter.
  run -0 schedule work --queue q --exit-when-empty --max-attempts 1 --retry-delay 0 --infra-exit-codes 3,125 -- \
    sh -c 'echo "$TASK_ATTEMPT" >>attempts; [ -f seen ] && exit 0; touch seen; exit 3'
  assert_output --partial "exit status 3 (infrastructure), retrying in 0ms without counting the attempt"
  run -0 cat attempts
  assert_output "1
1"
  run -0 schedule dead-letters --queue q
  assert_output ""
  run -2 schedule work --queue q --infra-exit-codes 3,x -- true
  assert_output --partial "--infra-exit-codes"
}

@test "--timeout kills CMD's process group" {
  run -0 schedule enqueue --queue q '{}'
  SECONDS=0
  run -0 schedule work --queue q --exit-when-empty --max-attempts 1 --timeout 1s --kill-grace 1s -- \
    sh -c 'sleep 60 & echo $! >child.pid; wait'
  ((SECONDS < 30))
  assert_output --partial "timed out after 1s, killing it"
  # Gone, or a zombie waiting for whoever inherited it.
  run ps -o stat= -p "$(cat child.pid)"
  [ "$status" -ne 0 ] || [[ "$output" == Z* ]] || [ -z "$output" ]
  run -0 schedule dead-letters --queue q
  assert_output --partial "timed out after 1s on attempt 1 of 1"
}

@test "kill -9 mid-task: reclaimed after the visibility timeout and run once more" {
  run -0 schedule enqueue --queue q --name crash '{}'
  start_worker a --queue q --visibility 2s -- sh -c 'echo "a $TASK_ATTEMPT" >>runs; exec sleep 600'
  wait_until 10 grep -q '^a 1$' runs
  kill_worker a.pid
  # Another worker takes it over once it has been idle for the visibility timeout.
  run -0 timeout 30 schedule work --queue q --visibility 2s --max-tasks 1 -- sh -c 'echo "b $TASK_ATTEMPT" >>runs'
  run -0 cat runs
  assert_output "a 1
b 2"
  run -0 queue_length q
  assert_output 0
  run -0 schedule status --queue q --json
  assert_output --partial '"pending":0'
}

@test "SIGTERM: running tasks finish within --grace; exit 143" {
  run -0 schedule enqueue --queue q '{}'
  start_worker w --queue q --grace 20s -- sh -c 'touch started; sleep 1; echo done >>runs'
  wait_until 10 test -f started
  kill -TERM "$(cat w.pid)"
  wait_until 20 sh -c "! kill -0 $(cat w.pid)"
  run -0 cat runs
  assert_output "done"
  run -0 queue_length q
  assert_output 0
  run -0 grep -c "stopping: no new tasks; 1 running, grace 20s" w.log
}

@test "SIGTERM: a task still running after --grace is handed back" {
  run -0 schedule enqueue --queue q --name long '{}'
  (schedule work --queue q --grace 1s -- sh -c 'echo "$TASK_ATTEMPT" >>runs; exec sleep 600' 2>w.log 3>&- &
    echo $! >w.pid; rc=0; wait $! || rc=$?; echo $rc >w.rc) 3>&- &
  wait_until 10 test -s runs
  kill -TERM "$(cat w.pid)"
  wait_until 20 test -f w.rc
  run -0 cat w.rc
  assert_output 143
  run -0 grep -c "handed back to the queue" w.log
  # Back on the queue as the same attempt, ready for the next worker at once.
  run -0 schedule take --queue q
  assert_output --regexp '^\{"id":"long@[^"]+",.*"attempt":1,'
}

@test "take / ack / fail from a shell" {
  run -1 schedule take --queue q
  assert_output "schedule: no task on queue q"
  run -0 schedule enqueue --queue q --name job '{"k":"v"}'
  run -0 --separate-stderr schedule take --queue q --visibility 1m
  id="$(echo "$output" | sed 's/^{"id":"\([^"]*\)".*/\1/')"
  run -0 schedule fail "$id" --queue q --retry-in 0 --max-attempts 2
  assert_output "schedule: task $id will be retried in 0ms"
  run -0 schedule take --queue q --wait 2s
  assert_output --partial '"attempt":2'
  run -0 schedule fail "$id" --queue q --max-attempts 2 --reason "checkout broke"
  assert_output "schedule: task $id moved to the dead letters"
  run -0 schedule dead-letters --queue q --json
  assert_output --partial '"reason":"checkout broke on attempt 2 of 2"'
  run -1 schedule ack "$id" --queue q
  assert_output "schedule: error: task $id is not held by any worker on queue q"
  run -0 schedule enqueue --queue q '{}'
  run -0 schedule take --queue q
  id="$(echo "$output" | sed 's/^{"id":"\([^"]*\)".*/\1/')"
  TASK_QUEUE=q run -0 schedule ack "$id"
  run -0 queue_length q
  assert_output 0
}

@test "a waiting take is woken by an enqueue" {
  (sleep 1; schedule enqueue -q --queue q --name late '{}') 3>&- &
  run -0 schedule take --queue q --wait 20s
  assert_output --regexp '^\{"id":"late@'
}
