#!/usr/bin/env bats
# Scheduling from history (--timings), sharding across CI nodes, and many queued jobs.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

@test "--timings runs unknown jobs first, then the longest known" {
  printf '%s\n' '{"name":"echo short","duration_s":0.1}' '{"name":"echo long","duration_s":9}' >prev.jsonl
  run -0 prun -j 1 -q --ungroup --timings prev.jsonl <<<$'echo short\necho long\necho new'
  assert_output $'new\nlong\nshort'
}

@test "--shard splits jobs deterministically and completely" {
  seq 1 10 | sed 's/^/echo job-/' >jobs.txt
  a=$(prun --shard 1/3 --dry-run -a jobs.txt)
  b=$(prun --shard 2/3 --dry-run -a jobs.txt)
  c=$(prun --shard 3/3 --dry-run -a jobs.txt)
  [ "$a" = "$(prun --shard 1/3 --dry-run -a jobs.txt)" ]
  [ "$(printf '%s\n' "$a" "$b" "$c" | sort)" = "$(sort jobs.txt)" ]
}

@test "--shard auto reads the CI's variables" {
  seq 1 4 | sed 's/^/echo job-/' >jobs.txt
  one=$(CIRCLE_NODE_INDEX=0 CIRCLE_NODE_TOTAL=2 prun --shard auto --dry-run -a jobs.txt)
  [ "$one" = "$(prun --shard 1/2 --dry-run -a jobs.txt)" ]
  run -2 prun --shard auto --dry-run -a jobs.txt
  assert_output --partial "prun: error: --shard auto: none of"
  run -2 prun --shard 4/3 </dev/null
  assert_output --partial "prun: error: --shard"
}

@test "a long queue runs in bounded memory" {
  yes : | head -n 3000 >jobs.txt
  /usr/bin/time -f '%M' -o rss.txt prun -j 4 -q --results r.jsonl -a jobs.txt
  [ "$(wc -l <r.jsonl)" -eq 3000 ]
  # kilobytes; generous for sanitizer builds
  [ "$(tail -1 rss.txt)" -lt 300000 ]
}

@test "100,000 queued jobs: halted after the first, all recorded, bounded memory" {
  { echo 'exit 1'; yes : | head -n 99999; } >jobs.txt
  local status=0
  /usr/bin/time -f '%M' -o rss.txt prun -j 1 -q --halt now --results r.jsonl -a jobs.txt || status=$?
  [ "$status" -eq 1 ]
  [ "$(wc -l <r.jsonl)" -eq 100000 ]
  [ "$(grep -c '"status":"skipped"' r.jsonl)" -eq 99999 ]
  # The queue is read ahead a chunk at a time: about 10 MB in a normal build (35 MB when
  # the whole list was held). Sanitizer builds keep freed memory in quarantine.
  if ! ldd "$(command -v prun)" | grep -q libasan; then
    [ "$(tail -1 rss.txt)" -lt 30000 ]
  fi
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
records_reach() { # FILE N: wait (up to 120 s) until FILE has N lines
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

@test "100,000 queued jobs run in bounded memory; SIGTERM records the rest as skipped" {
  yes : | head -n 100000 >jobs.txt
  prun -j 2 -q --group --results r.jsonl -a jobs.txt >/dev/null 2>err.txt 3>&- &
  local pid=$!
  records_reach r.jsonl 1000
  local early
  early=$(rss_kib "$pid")
  records_reach r.jsonl 4000
  local late
  late=$(rss_kib "$pid")
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
  # Memory does not grow with the jobs run (sanitizer builds: quarantine grows it).
  if ! ldd "$(command -v prun)" | grep -q libasan; then
    [ $((late - early)) -lt 1024 ]
  fi
  [ "$(wc -l <r.jsonl)" -eq 100000 ]
  [ "$(grep -c '"status":"passed"' r.jsonl)" -ge 4000 ]
  [ "$(grep -c '"message":"not started: cancelled"' r.jsonl)" -ge 90000 ]
  /usr/bin/python3 -c '
import json, sys
statuses = [json.loads(line)["status"] for line in open(sys.argv[1])]
assert set(statuses) <= {"passed", "error", "skipped"}, set(statuses)' r.jsonl
}

@test "a producer that never stops does not keep a halted or cancelled prun running" {
  # The failing job ends only once the producer has written a line behind it, so that line
  # is queued or in the pipe when the halt comes, however slow the machine.
  producer() {
    echo 'until [ -e written ]; do sleep 0.01; done; exit 1'
    echo 'echo queued'
    touch written
    exec yes 'echo never'
  }
  run -1 prun -q -j 1 --halt now --results r.jsonl < <(producer)
  [ "$(grep -c '"status":"failed"' r.jsonl)" -eq 1 ]
  [ "$(grep -c '"status":"skipped"' r.jsonl)" -ge 1 ]
  [ "$(field r.jsonl 'echo queued' status)" = skipped ]
  prun -q -j 1 --results r2.jsonl < <(yes 'sleep 0.01') >/dev/null 2>&1 3>&- &
  local pid=$! status=0
  records_reach r2.jsonl 5
  kill -TERM "$pid"
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
}

@test "jobs start while a slow producer is still writing the list" {
  producer() {
    echo 'touch started'
    for ((i = 0; i < 300; i++)); do [ -e started ] && break; sleep 0.1; done
    if [ -e started ]; then echo 'echo streamed'; else echo 'echo waited-for-the-end'; fi
  }
  run -0 prun -q --ungroup < <(producer)
  assert_output streamed
}

@test "--timings orders the jobs of a plan's queue step" {
  printf '%s\n' '{"name":"echo short","duration_s":0.1}' '{"name":"echo long","duration_s":9}' >prev.jsonl
  echo '{"steps": [{"jobs": ["echo short", "echo long"], "workers": 1}]}' >plan.json
  run -0 prun -q --ungroup --timings prev.jsonl -f plan.json
  assert_output $'long\nshort'
}

@test "--shard gives every job its shard, as prun and Bazel name it" {
  for i in 1 2 3; do echo "echo job$i \$PRUN_SHARD_INDEX/\$PRUN_SHARD_TOTAL \$TEST_SHARD_INDEX/\$TEST_TOTAL_SHARDS"; done >jobs.txt
  run -0 prun -q --ungroup --shard 2/3 -a jobs.txt
  assert_output --regexp '^job[123] 2/3 1/3$'
  run -0 prun -q --ungroup -j 1 --shard 1/1 -a jobs.txt
  assert_output $'job1 1/1 0/1\njob2 1/1 0/1\njob3 1/1 0/1'
  run -0 prun -q --ungroup -j 1 -a jobs.txt
  assert_output $'job1 / /\njob2 / /\njob3 / /'
}
