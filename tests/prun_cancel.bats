#!/usr/bin/env bats
# Cancellation: SIGTERM/SIGINT stop the run, kill jobs, run teardown and cleanup, and
# record every job; a second signal kills at once; kill -9 leaves a valid results file.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

setup() { mark_setup; }
teardown() { kill_marked; }

running_sleeps() {
  [ "$(pgrep -f "sleep $MARK" | wc -l)" -ge "$1" ]
}

write_plan() {
  cat >plan.json <<JSON
{
  "setup": "echo up-\$PRUN_SLOT >>$PWD/events",
  "teardown": "echo down-\$PRUN_SLOT >>$PWD/events",
  "steps": [
    {"name": "tests", "jobs": ["sleep $MARK", "sh -c 'sleep $MARK & sleep $MARK'", "echo never"], "workers": 2}
  ],
  "cleanup": ["echo cleanup >>$PWD/events", "exit 1", "echo cleanup-after-failure >>$PWD/events"]
}
JSON
}

@test "SIGTERM mid-run: jobs killed, teardown and cleanup ran, exit 143, nothing left" {
  write_plan
  prun -f plan.json --results r.jsonl >out.txt 2>err.txt 3>&- &
  pid=$!
  wait_until 10 running_sleeps 3
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
  grep -qx down-0 events
  grep -qx down-1 events
  grep -qx cleanup events
  grep -qx cleanup-after-failure events
  check_results r.jsonl
  [ "$(field r.jsonl "sleep $MARK" status)" = error ]
  [[ "$(field r.jsonl "sleep $MARK" message)" == "cancelled by SIGTERM"* ]]
  [ "$(field r.jsonl "echo never" status)" = skipped ]
  grep -q "prun: SIGTERM received" err.txt
  no_process_with "sleep $MARK"
}

@test "SIGINT gives exit 130" {
  prun -q --results r.jsonl <<<"sleep $MARK" >/dev/null 2>&1 3>&- &
  pid=$!
  wait_until 10 running_sleeps 1
  kill -INT "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 130 ]
  [ "$(field r.jsonl "sleep $MARK" status)" = error ]
  no_process_with "sleep $MARK"
}

@test "a second signal kills at once" {
  prun -q --cancel-grace 60s --results r.jsonl <<<"trap '' TERM; sleep $MARK; sleep $MARK" >/dev/null 2>&1 3>&- &
  pid=$!
  wait_until 10 running_sleeps 1
  kill -TERM "$pid"
  sleep 0.3
  kill -0 "$pid"
  start=$SECONDS
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
  [ $((SECONDS - start)) -lt 10 ]
  no_process_with "sleep $MARK"
}

@test "--cancel-grace bounds the time a stubborn job gets" {
  prun -q --cancel-grace 1s --results r.jsonl <<<"trap '' TERM; sleep $MARK; sleep $MARK" >/dev/null 2>&1 3>&- &
  pid=$!
  wait_until 10 running_sleeps 1
  start=$SECONDS
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
  [ $((SECONDS - start)) -lt 10 ]
  no_process_with "sleep $MARK"
}

@test "the results file is valid after kill -9 of prun" {
  { for i in $(seq 20); do echo "echo job-$i"; done; echo "sleep $MARK"; } >jobs.txt
  prun -j 1 -q -a jobs.txt --results r.jsonl >/dev/null 2>&1 3>&- &
  pid=$!
  wait_until 10 running_sleeps 1
  kill -KILL "$pid"
  wait "$pid" || true
  check_results r.jsonl 20
}
