#!/usr/bin/env bats
# Scheduling from history (--timings), sharding across CI nodes, and many queued jobs.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/prun_common

setup() {
  common_setup
}

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
  /usr/bin/time -f '%M' -o rss.txt prun -j 1 -q --halt now --results r.jsonl -a jobs.txt || true
  [ "$(wc -l <r.jsonl)" -eq 100000 ]
  [ "$(grep -c '"status":"skipped"' r.jsonl)" -eq 99999 ]
  # About 35 MB in a normal build; sanitizer builds keep freed memory in quarantine.
  if ! ldd "$(command -v prun)" | grep -q libasan; then
    [ "$(tail -1 rss.txt)" -lt 150000 ]
  fi
}

@test "--timings orders the jobs of a plan's queue step" {
  printf '%s\n' '{"name":"echo short","duration_s":0.1}' '{"name":"echo long","duration_s":9}' >prev.jsonl
  echo '{"steps": [{"jobs": ["echo short", "echo long"], "workers": 1}]}' >plan.json
  run -0 prun -q --ungroup --timings prev.jsonl -f plan.json
  assert_output $'long\nshort'
}
