#!/usr/bin/env bats
# Timeouts kill whole process trees; escapees are caught; nothing is left behind.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/prun_common

setup() {
  common_setup
  MARK=$(unique_mark)
}

teardown() {
  pkill -KILL -f "sleep $MARK" 2>/dev/null || true
}

@test "timeout kills the job and its grandchildren: status timeout, exit 124" {
  run -1 --separate-stderr prun -q --timeout 0.3s --results r.jsonl <<<"sh -c 'sleep $MARK & sleep $MARK'"
  name="sh -c 'sleep $MARK & sleep $MARK'"
  [ "$(field r.jsonl "$name" status)" = timeout ]
  [ "$(field r.jsonl "$name" exit_code)" = 124 ]
  [ "$(field r.jsonl "$name" timed_out)" = true ]
  [ "$(field r.jsonl "$name" signal)" = 15 ]
  [[ "$(field r.jsonl "$name" message)" == "timed out after 300ms, sent SIGTERM"* ]]
  check_results r.jsonl 1
  no_process_with "sleep $MARK"
}

@test "a job that ignores TERM is killed after the grace of the kill sequence" {
  run -1 prun -q --timeout 0.2s --kill-sequence TERM,0.3s,KILL --results r.jsonl \
    <<<"trap '' TERM; sleep $MARK; sleep $MARK"
  [ "$(field r.jsonl "trap '' TERM; sleep $MARK; sleep $MARK" status)" = timeout ]
  no_process_with "sleep $MARK"
}

@test "background children left by a finished job are killed" {
  run -0 --separate-stderr prun -q --results r.jsonl <<<"sleep $MARK >/dev/null 2>&1 & echo started"
  [[ "$(field r.jsonl "sleep $MARK >/dev/null 2>&1 & echo started" message)" == *"left background processes, killed"* ]]
  no_process_with "sleep $MARK"
}

@test "a setsid escapee is caught, reported as leaked and killed" {
  run -0 --separate-stderr prun -q --results r.jsonl <<<"setsid sleep $MARK >/dev/null 2>&1 </dev/null & sleep 0.2"
  msg=$(field r.jsonl "setsid sleep $MARK >/dev/null 2>&1 </dev/null & sleep 0.2" message)
  [[ $msg == *"escaped process(es) leaked, killed"* ]] || [[ $msg == *"left background processes"* ]]
  no_process_with "sleep $MARK"
}

@test "a double-forked daemon holding the output pipe is caught" {
  run -0 --separate-stderr prun -q --results r.jsonl <<<"(setsid sh -c 'sleep $MARK' &) ; echo ok"
  msg=$(field r.jsonl "(setsid sh -c 'sleep $MARK' &) ; echo ok" message)
  # Caught either still in the job's group (before setsid) or as an escapee after it.
  [[ $msg == *"leaked, killed"* ]] || [[ $msg == *"left background processes, killed"* ]]
  no_process_with "sleep $MARK"
}

@test "no zombies and no processes after a run of many short jobs" {
  for i in $(seq 50); do echo "sleep 0.0$((i % 10)); (sleep $MARK &) ; true"; done >jobs.txt
  run -0 prun -j 4 -q -a jobs.txt --results r.jsonl
  check_results r.jsonl 50
  no_process_with "sleep $MARK"
}
