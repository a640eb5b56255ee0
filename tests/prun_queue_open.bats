#!/usr/bin/env bats
# prun queue: open runs (push --append, seal) and workers that wait for the push and for
# more jobs (--no-exit-when-drained, --wait), on a real redis-server.

load helpers/suite
load helpers/prun_queue

setup_file() { suite_start redis; }
setup() {
  suite_setup
  redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
}

# scripts_ran N: Redis ran at least N scripts since the test began.
scripts_ran() {
  local n
  n=$(redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' |
    awk -F'[:=,]' '/^cmdstat_eval(sha)?:/ { n += $3 } END { print n + 0 }')
  [ "$n" -ge "$1" ]
}


@test "push --append adds each distinct list once; seal closes the run; a plain push to an open run is exit 2" {
  printf '%s\n' 'echo a1' 'echo a2' >a.txt
  printf '%s\n' 'echo b1' >b.txt
  run -0 --separate-stderr prun queue push --queue q --run-id r --append -a a.txt
  [ "$stderr" = "prun: added 2 jobs to run r of queue q (2 jobs in all; open until prun queue seal)" ]
  run -0 --separate-stderr prun queue push --queue q --run-id r --append -a a.txt
  [ "$stderr" = "prun: this list is already in run r of queue q (2 jobs in all)" ]
  run -0 --separate-stderr prun queue push --queue q --run-id r --append -a b.txt
  [ "$stderr" = "prun: added 1 job to run r of queue q (3 jobs in all; open until prun queue seal)" ]
  run -2 --separate-stderr prun queue push --queue q --run-id r -a a.txt
  [ "$stderr" = "prun: error: run r of queue q is open (3 jobs so far): add lists with --append, close it with prun queue seal" ]
  run -0 prun queue status --queue q --run-id r
  assert_output "run r of queue q (open): 3 jobs, 0 done, 0 leased, 3 queued; 0 quarantined, 0 duplicates"
  [ "$(qstatus sealed)" = False ]
  run -0 --separate-stderr prun queue seal --queue q --run-id r
  [ "$stderr" = "prun: sealed run r of queue q with 3 jobs" ]
  run -0 --separate-stderr prun queue seal --queue q --run-id r
  [ "$stderr" = "prun: run r of queue q was already sealed (3 jobs)" ]
  [ "$(qstatus sealed)" = True ]
  echo 'echo c1' >c.txt
  run -2 --separate-stderr prun queue push --queue q --run-id r --append -a c.txt
  [ "$stderr" = "prun: error: run r of queue q is sealed (3 jobs); no list can be added to it" ]
  # a node late with a list already added is no error
  run -0 prun queue push --queue q --run-id r --append -a b.txt
  [ "$(qstatus total)" = 3 ]
  [ "$(qstatus queued)" = 3 ]
  # a sealed run refuses --append of a new list too when it was loaded whole
  prun queue push --queue q --run-id whole -a a.txt
  run -2 --separate-stderr prun queue push --queue q --run-id whole --append -a b.txt
  [ "$stderr" = "prun: error: run whole of queue q is sealed (2 jobs); no list can be added to it" ]
  run -2 --separate-stderr prun queue seal --queue q --run-id none
  [ "$stderr" = "prun: error: no run none of queue q (never pushed, or expired)" ]
}

@test "--no-exit-when-drained: a worker started before the push waits for it, then for every list until the run is sealed" {
  prun queue work --queue q --run-id r -j 2 --no-exit-when-drained --results w.jsonl >w.out 2>w.err 3>&- &
  worker=$!
  echo "$worker" >worker.pid
  # it has looked for the run at least twice and found none
  wait_until 10 scripts_ran 2
  running "$worker"
  printf '%s\n' 'echo a1' 'echo a2' >a.txt
  prun queue push --queue q --run-id r --append -a a.txt
  wait_until 10 done_is 2
  # drained, but the run is open: the worker waits for more
  running "$worker"
  printf '%s\n' 'echo b1' 'echo b2' 'echo b3' >b.txt
  prun queue push --queue q --run-id r --append -a b.txt
  wait_until 10 done_is 5
  running "$worker"
  run -124 --separate-stderr prun queue wait --queue q --run-id r --timeout 0.2s
  [ "$stderr" = $'prun: 5/5 done, 0 running, 0 queued (open: more lists may come)\nprun: error: timed out waiting for run r of queue q: 5/5 done' ]
  prun queue seal --queue q --run-id r
  rc=0
  wait "$worker" || rc=$?
  [ "$rc" = 0 ]
  cat a.txt b.txt >all.txt
  check_results w.jsonl 5
  once_each w.jsonl all.txt
  prun queue results --queue q --run-id r >all.jsonl
  once_each all.jsonl all.txt
  run -0 prun queue wait --queue q --run-id r --timeout 5s
}

@test "default workers end when drained even while the run is open; with --wait they wait for the push" {
  echo 'echo a1' >a.txt
  prun queue work --queue q --run-id r -j 1 --wait 1h -q >w.out 2>w.err 3>&- &
  worker=$!
  echo "$worker" >worker.pid
  wait_until 10 scripts_ran 2
  running "$worker"
  prun queue push --queue q --run-id r --append -a a.txt
  rc=0
  wait "$worker" || rc=$?
  [ "$rc" = 0 ]
  [ "$(tail -n 1 w.out)" = a1 ]
  [ "$(qstatus done)" = 1 ]
  [ "$(qstatus sealed)" = False ]
}

@test "--wait bounds the wait: for a push that never comes (exit 2), for more jobs of an open run (exit as the jobs did)" {
  run -2 --separate-stderr prun queue work --queue q --run-id never -j 1 --no-exit-when-drained --wait 0.3s
  [ "$stderr" = "prun: error: queue q has no run never after waiting 300ms (push it first with prun queue push, or it has expired)" ]
  printf '%s\n' 'true' 'exit 4' >a.txt
  prun queue push --queue q --run-id r --append -a a.txt
  run -1 --separate-stderr prun queue work --queue q --run-id r -j 2 --no-exit-when-drained --wait 0.3s --no-progress
  [[ $stderr == *$'\nprun: stopped waiting for more jobs of the open run r after 300ms with nothing to run (--wait)' ]]
  [ "$(qstatus done)" = 2 ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --exit-when-drained --no-exit-when-drained
  [ "$stderr" = "prun: error: --exit-when-drained and --no-exit-when-drained: choose one" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r --wait soon
  [[ $stderr == "prun: error: --wait: invalid duration 'soon'"* ]]
}
