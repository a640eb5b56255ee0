#!/usr/bin/env bats
# Pacing the starts: --timeout N% (of the median duration), --delay, --memfree, --load.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

teardown() {
  local pid
  for pid in ${BUSY_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
}

@test "--timeout 200% kills a job that runs past twice the median of the jobs passed so far" {
  # Job 1 has no median to go by and is never timed out; job 3 would sleep 60 s.
  run -1 prun -j 1 -q --timeout 200% --results r.jsonl -- 'sleep {}' ::: 0.3 0.2 60
  check_results r.jsonl 3
  [ "$(jq -r .status r.jsonl)" = $'passed\npassed\ntimeout' ]
  message=$(jq -r 'select(.status == "timeout") | .message' r.jsonl)
  [[ $message =~ ^timed\ out\ after\ ([0-9.]+)(m?s)\ \(200%\ of\ the\ median\ ([0-9.]+)(m?s)\)\;\ sent\ SIGTERM\ at\  ]]
  # The limit is twice the median of the two passed jobs, to the millisecond.
  to_ms() { if [ "$2" = ms ]; then echo "$1"; else awk -v s="$1" 'BEGIN { print s * 1000 }'; fi; }
  limit=$(to_ms "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
  median=$(to_ms "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}")
  # (Shown to the millisecond below 1 s, to a tenth of a second above.)
  tol=3; [ "${BASH_REMATCH[2]}${BASH_REMATCH[4]}" = msms ] || tol=150
  awk -v l="$limit" -v m="$median" -v t="$tol" 'BEGIN { d = l - 2 * m; exit !(d >= -t && d <= t) }'
  # Both passed jobs' durations are in the records: the median is theirs.
  awk -v m="$median" -v t="$tol" '{ s[NR] = $1 * 1000 } END { d = (s[1] + s[2]) / 2 - m; exit !(d >= -t && d <= t) }' \
    <(jq -r 'select(.status == "passed") | .duration_s' r.jsonl)
  [ "$(jq -r 'select(.status == "timeout") | .duration_s < 60' r.jsonl)" = true ]

  run -2 prun --timeout 0% -- echo ::: a
  assert_output "prun: error: --timeout: invalid percentage '0%' (expected e.g. 200%)"
  run -2 prun --timeout x% -- echo ::: a
  assert_output "prun: error: --timeout: invalid percentage 'x%' (expected e.g. 200%)"
}

@test "--delay starts jobs at least D apart, whatever the free slots" {
  run -0 prun -j 3 -q --delay 0.3s --results r.jsonl -- true ::: 1 2 3
  check_results r.jsonl 3
  jq -r '.started_at' r.jsonl | /usr/bin/python3 -c '
import sys, datetime
times = sorted(datetime.datetime.fromisoformat(line.strip().replace("Z", "+00:00")) for line in sys.stdin)
gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
assert len(gaps) == 2 and min(gaps) >= 0.299, gaps
'
  run -2 prun --delay soon -- echo ::: a
  assert_output --partial "prun: error: --delay: invalid duration 'soon'"
}

@test "--memfree holds jobs back while memory is short, and a cancellation records them as skipped" {
  run -0 prun -q --memfree 1KiB -- echo ::: ok
  assert_output --partial ok
  prun --memfree 1000TiB --results r.jsonl -- touch started ::: a >out.txt 2>err.txt 3>&- &
  local pid=$!
  wait_until 20 grep -q "^prun: waiting to start jobs: memory available .* GiB is below --memfree 1024000.0 GiB$" err.txt
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  [ "$code" = 143 ]
  [ ! -e started ]
  check_results r.jsonl 1
  [ "$(jq -r '[.status, .message] | @tsv' r.jsonl)" = $'skipped\tnot started: cancelled' ]
  run -2 prun --memfree 5X -- echo ::: a
  assert_output --partial "prun: error: --memfree: invalid size '5X'"
}

@test "--load holds jobs back while as many other processes run" {
  run -0 prun -q --load 100000 -- echo ::: ok
  assert_output --partial ok
  # Three busy loops are always running (or runnable): with --load 2 nothing starts.
  BUSY_PIDS=""
  for _ in 1 2 3; do
    sh -c 'while :; do :; done' 3>&- &
    BUSY_PIDS="$BUSY_PIDS $!"
  done
  prun --load 2 --results r.jsonl -- touch started ::: a >out.txt 2>err.txt 3>&- &
  local pid=$!
  wait_until 20 grep -q "^prun: waiting to start jobs: [0-9]* other processes running or waiting on I/O, --load 2$" err.txt
  [ ! -e started ]
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  [ "$code" = 143 ]
  [ ! -e started ]
  [ "$(jq -r .status r.jsonl)" = skipped ]
  run -2 prun --load many -- echo ::: a
  assert_output "prun: error: --load: invalid value 'many' (expected a number of processes, or a percentage of the CPUs)"
}
