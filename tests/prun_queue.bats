#!/usr/bin/env bats
# prun queue: push, work, wait, results, status and the fallback, on a real redis-server.

load helpers/suite
load helpers/prun_queue

setup_file() { suite_start redis; }

@test "4 workers drain 400 jobs: every job recorded exactly once, in Redis and in their local files" {
  seq 1 400 | sed 's/^/echo job /' >jobs.txt
  run -0 prun queue push --queue q --run-id r -a jobs.txt
  pids=()
  for w in 1 2 3 4; do
    prun queue work --queue q --run-id r -j 2 --results "w$w.jsonl" >"w$w.out" 2>"w$w.err" 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 400
  once_each all.jsonl jobs.txt
  cat w1.jsonl w2.jsonl w3.jsonl w4.jsonl >local.jsonl
  once_each local.jsonl jobs.txt
  [ "$(qstatus done)" = 400 ]
  [ "$(qstatus passed)" = 400 ]
  [ "$(qstatus duplicates)" = 0 ]
  [ "$(qstatus queued)" = 0 ]
  [ "$(qstatus leased)" = 0 ]
  [ "$(field all.jsonl 'echo job 7' stdout_tail)" = "job 7" ]
  [ "$(field all.jsonl 'echo job 7' run_id)" = r ]
}

@test "push is idempotent under 4 racing nodes; a different list under the same run id is exit 2" {
  seq 1 50 | sed 's/^/echo /' >jobs.txt
  pids=()
  for i in 1 2 3 4; do
    prun queue push --queue q --run-id r -a jobs.txt 2>"p$i.err" 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ "$(grep -lx 'prun: loaded 50 jobs into run r of queue q (expires in 1d)' p*.err | wc -l)" = 1 ]
  [ "$(grep -lx 'prun: run r of queue q is already loaded (50 jobs)' p*.err | wc -l)" = 3 ]
  [ "$(qstatus total)" = 50 ]
  [ "$(qstatus queued)" = 50 ]
  echo "echo extra" >>jobs.txt
  run -2 --separate-stderr prun queue push --queue q --run-id r -a jobs.txt
  [ "$stderr" = "prun: error: run r of queue q was loaded with a different job list (50 jobs); a new list needs a new --run-id" ]
  [ "$(qstatus queued)" = 50 ]
  run -0 prun queue push --queue q --run-id other -a jobs.txt --json -q
  assert_output '{"queue":"q","run_id":"other","jobs":51,"loaded":true}'
}

@test "push loads the longest-known jobs first (--timings), unknown ones before them" {
  printf '%s\n' 'echo a' 'echo b' 'echo c' 'echo new' >jobs.txt
  printf '%s\n' '{"name":"echo a","duration_s":1}' '{"name":"echo b","duration_s":9}' '{"name":"echo c","duration_s":4}' >old.jsonl
  prun queue push --queue q --run-id r -a jobs.txt --timings old.jsonl
  run -0 prun queue work --queue q --run-id r -j 1 --no-progress
  [ "$(grep -x 'echo new\|a\|b\|c\|new' <<<"$output" | tr '\n' ' ')" = "new b c a " ]
}

@test "--ttl: every key of the run expires with it" {
  echo true >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt --ttl 1h
  prun queue work --queue q --run-id r -j 1 -q
  keys=$(redis-cli -p "$REDIS_PORT" --scan --pattern "$CIUTILS_NAMESPACE:*")
  [ "$(wc -l <<<"$keys")" -ge 5 ]
  while read -r key; do
    ttl=$(redis-cli -p "$REDIS_PORT" ttl "$key")
    [ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ] || { echo "$key: ttl $ttl"; false; }
    [[ $key == "$CIUTILS_NAMESPACE:{prunq:q/r}:"* ]]
  done <<<"$keys"
}

@test "wait: 0 when all passed, 1 when one failed, 124 on --timeout; progress on stderr" {
  printf '%s\n' 'true' 'echo x' >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  run -124 --separate-stderr prun queue wait --queue q --run-id r --timeout 0.3s
  [ "$stderr" = $'prun: 0/2 done, 0 running, 2 queued\nprun: error: timed out waiting for run r of queue q: 0/2 done' ]
  prun queue wait --queue q --run-id r --timeout 30s 2>wait.err 3>&- &
  waiter=$!
  prun queue work --queue q --run-id r -j 2 -q
  rc=0
  wait "$waiter" || rc=$?
  [ "$rc" = 0 ]
  [ "$(tail -n 1 wait.err)" = "prun: 2/2 done, 0 running, 0 queued" ]

  printf '%s\n' 'true' 'exit 3' >bad.txt
  prun queue push --queue q --run-id bad -a bad.txt
  prun queue work --queue q --run-id bad -j 2 -q || true
  run -1 --separate-stderr prun queue wait --queue q --run-id bad
  [ "$stderr" = "prun: 2/2 done, 1 failed, 0 running, 0 queued" ]
  run -124 --separate-stderr prun queue wait --queue q --run-id never --timeout 0.2s
  [ "$stderr" = "prun: error: timed out waiting for run never of queue q: never pushed" ]
}

@test "work runs jobs as prun does: templates, --env, --retries, its own exit status" {
  printf '%s\n' 'a' 'b' >items.txt
  prun queue push --queue q --run-id r -a items.txt
  run -1 --separate-stderr prun queue work --queue q --run-id r -j 2 --retries 1 -e X=1 --results local.jsonl -- \
    echo '$X-{}-$PRUN_RUN_ID' ';' test {} = a
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 2
  [ "$(field all.jsonl a stdout_tail)" = "1-a-r" ]
  [ "$(field all.jsonl b status)" = failed ]
  [ "$(field all.jsonl b attempts)" = 2 ]
  check_results local.jsonl 2
}

@test "status: text and --json name what is queued, leased by which worker, and done" {
  printf '%s\n' 'true' 'exit 1' 'sleep 30' >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  run -0 prun queue status --queue q --run-id r
  assert_output "run r of queue q: 3 jobs, 0 done, 0 leased, 3 queued; 0 quarantined, 0 duplicates"
  mark=$(unique_mark)
  printf '%s\n' "sleep $mark" >slow.txt
  prun queue work --queue q --run-id r -j 3 -q 3>&- &
  worker=$!
  wait_until 10 holds_lease "$worker"
  wait_until 10 done_is 2
  run -0 prun queue status --queue q --run-id r
  assert_line --index 0 "run r of queue q: 3 jobs, 2 done (1 passed, 1 failed), 1 leased, 0 queued; 0 quarantined, 0 duplicates"
  assert_line --index 1 --regexp "^  leased by $(hostname):$worker:[0-9a-f]{6}: 1$"
  kill -TERM "$worker"
  wait "$worker" || true
  # prun's own cancellation puts the job back for another worker
  [ "$(qstatus queued)" = 1 ]
  [ "$(qstatus leased)" = 0 ]
  [ "$(qstatus done)" = 2 ]
}

@test "fallback: Redis down at start runs this node's --shard share locally and says so" {
  seq 1 12 | sed 's/^/echo /' >jobs.txt
  down="redis://127.0.0.1:$(free_port)/0"
  run -3 --separate-stderr prun queue work --redis "$down" --queue q --run-id r -a jobs.txt -j 2
  [[ $stderr == "prun: error: cannot connect to Redis at $down"* ]]
  run -0 --separate-stderr prun queue push --redis "$down" --queue q --run-id r -a jobs.txt --fallback shard:2/3
  [[ $stderr == "prun: WARNING: cannot connect to Redis at $down"*"; nothing pushed: the workers fall back to their static share (--fallback shard:2/3)" ]]
  run -0 --separate-stderr prun queue work --redis "$down" --queue q --run-id r -a jobs.txt -j 2 \
    --fallback shard:2/3 --results local.jsonl
  [[ $stderr == "prun: WARNING: cannot connect to Redis at $down"* ]]
  [[ $stderr == *$'\nprun: WARNING: running this node\'s static share instead: --shard 2/3 of the job list (--fallback)\n'* ]]
  prun --shard 2/3 -a jobs.txt --dry-run >share.txt
  [ "$(wc -l <share.txt)" = 4 ]
  once_each local.jsonl share.txt
}

@test "bad usage is exit 2 naming the flag; a run that was never pushed is named" {
  run -2 --separate-stderr prun queue work --queue q --run-id r --fallback shard:3/2 -a x
  [ "$stderr" = "prun: error: --fallback: shard 3 is beyond the total 2 (K is 1-based)" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --fallback 2/3
  [ "$stderr" = "prun: error: --fallback: invalid value '2/3' (expected shard:K/N)" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --fallback shard:1/2
  [ "$stderr" = "prun: error: --fallback needs the job list: -a FILE (the list push loads)" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --shard 1/2
  [ "$stderr" = "prun: error: --shard: a queue worker takes what is left; --fallback shard:K/N is the static split" ]
  run -2 --separate-stderr prun queue work --queue 'q{x}' --run-id r
  [ "$stderr" = "prun: error: --queue: invalid value 'q{x}' (letters, digits and ._:@/+=- only)" ]
  run -2 --separate-stderr prun queue status --queue q --run-id r --namespace 'a{b' --redis redis://127.0.0.1:1/0
  [ "$stderr" = "prun: error: --namespace: invalid namespace 'a{b'" ]
  run -2 --separate-stderr prun queue push --run-id r
  [ "$stderr" = "prun: error: --queue: required" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --timeout 0s
  [ "$stderr" = "prun: error: --timeout: must be more than 0" ]
  run -2 --separate-stderr prun queue work --queue q --run-id none -j 1
  [ "$stderr" = "prun: error: queue q has no run none (push it first with prun queue push, or it has expired)" ]
  run -2 --separate-stderr prun queue status --queue q --run-id none
  [ "$stderr" = "prun: error: no run none of queue q (never pushed, or expired)" ]
  run -2 --separate-stderr prun queue frobnicate
  [ "$stderr" = "prun: error: 'frobnicate': unknown command (see prun queue --help)" ]
  run -2 --separate-stderr prun queue
  [ "$stderr" = "prun: error: COMMAND: missing (see prun queue --help)" ]
  run -0 prun queue work --help
  assert_output --partial "--lease-timeout D"
  # A worker takes prun's running flags, and its --help lists them.
  assert_output --partial "--kill-sequence SEQ"
  assert_output --partial "-j [ --jobs ] N"
}

@test "read-ahead: jobs of unknown length are leased one ahead of the free slots while the queue is long; known long ones are not" {
  { echo 'until [ -e go ]; do sleep 0.02; done # 1'; seq 2 40 | sed 's/^/true # /'; } >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  prun queue work --queue q --run-id r -j 1 -q >/dev/null 2>&1 3>&- &
  echo $! >worker.pid
  wait_until 10 holds_lease "$(cat worker.pid)"
  [ "$(qstatus leased)" = 2 ]
  touch go
  wait "$(cat worker.pid)"
  [ "$(qstatus done)" = 40 ]

  rm go
  /usr/bin/python3 -c '
import json
for line in open("jobs.txt"):
    print(json.dumps({"name": line.rstrip("\n"), "duration_s": 5}))' >old.jsonl
  prun queue push --queue q --run-id long -a jobs.txt --timings old.jsonl
  prun queue work --queue q --run-id long -j 1 -q >/dev/null 2>&1 3>&- &
  echo $! >worker.pid
  leased_long() { prun queue status --queue q --run-id long --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["leased"])'; }
  long_leased() { [ "$(leased_long)" != 0 ]; }
  wait_until 10 long_leased
  [ "$(leased_long)" = 1 ]
  touch go
  wait "$(cat worker.pid)"
}
