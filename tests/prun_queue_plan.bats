#!/usr/bin/env bats
# prun queue with a plan file (push -f): steps in order across workers, each job with its
# step's settings, node-local setup/teardown/cleanup, on a real redis-server.

load helpers/suite
load helpers/prun_queue

setup_file() { suite_start redis; }

# summary FILE: "classname|name|status|attempts|stdout" of each record, sorted.
summary() {
  /usr/bin/python3 -c '
import json, sys
rows = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.append("|".join([r["classname"], r["name"], r["status"], str(r["attempts"]), r["stdout_tail"].strip()]))
print("\n".join(sorted(rows)))' "$1"
}

write_plan() {
  cat >plan.json <<JSON
{
  "workers": 2,
  "env": {"PLAN_V": "p"},
  "setup": "echo setup \$PRUN_SLOT >>\"$PWD/setup.\$\$\"",
  "teardown": "echo teardown",
  "steps": [
    "echo built >>\"$PWD/marks\"; echo build",
    {"name": "lint", "commands": ["echo lint0 \$PRUN_SLOT", "echo lint1 \$PRUN_SLOT"]},
    {"name": "tests", "jobs": [
        "test \$(wc -l <\"$PWD/marks\") = 1 && echo t1 \$LEVEL \$PLAN_V",
        {"name": "flaky once", "command": "if [ -e \"$PWD/flaked\" ]; then echo again; else touch \"$PWD/flaked\"; exit 1; fi"},
        {"name": "slow", "command": "sleep 30"},
        "echo t4"],
     "timeout": "1s", "retries": 1, "env": {"LEVEL": "debug"}}
  ],
  "cleanup": ["echo tidy"]
}
JSON
}

@test "a plan over 2 workers: every step's job recorded once, in step order, with its step's settings, as local prun records it" {
  write_plan
  run -0 --separate-stderr prun queue push --queue q --run-id r -f plan.json
  [ "$stderr" = "prun: loaded 7 jobs into run r of queue q (expires in 1d)" ]
  pids=()
  for w in 1 2; do
    prun queue work --queue q --run-id r --results "w$w.jsonl" -q >"w$w.out" 2>"w$w.err" 3>&- &
    pids+=($!)
  done
  rcs=()
  for p in "${pids[@]}"; do
    rc=0
    wait "$p" || rc=$?
    rcs+=("$rc")
  done
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 7
  # the slow job timed out on both attempts (1s, --retries 1): the run failed
  run -1 prun queue wait --queue q --run-id r
  [ "$(field all.jsonl slow status)" = timeout ]
  [ "$(field all.jsonl slow attempts)" = 2 ]
  [ "$(field all.jsonl 'flaky once' status)" = flaky ]
  [ "$(field all.jsonl 'echo lint1 $PRUN_SLOT' stdout_tail)" = "lint1 1" ]
  [ "$(field all.jsonl 'echo lint1 $PRUN_SLOT' classname)" = lint ]
  # the tests step started only once the build step was recorded: t1 passed
  [ "$(field all.jsonl 'test $(wc -l <"'"$PWD"'/marks") = 1 && echo t1 $LEVEL $PLAN_V' stdout_tail)" = "t1 debug p" ]
  # every worker set up its own slots, tore them down and cleaned up; none of that is the run's
  [ "$(cat setup.* | sort | tr '\n' ' ')" = "setup 0 setup 0 setup 1 setup 1 " ]
  for w in 1 2; do
    [ "$(field "w$w.jsonl" 'teardown (slot 1)' status)" = passed ]
    [ "$(field "w$w.jsonl" "echo tidy" stdout_tail)" = tidy ]
  done
  ! grep -q '"classname":"\(setup\|teardown\|cleanup\)"' all.jsonl
  # the one that ran the slow job failed; and the records are those of local prun
  [[ " ${rcs[*]} " == *" 1 "* ]]
  rm -f marks flaked
  run -1 prun -f plan.json --results local.jsonl -q
  grep -v '"classname":"\(setup\|teardown\|cleanup\)"' local.jsonl >local-steps.jsonl
  diff <(summary all.jsonl) <(summary local-steps.jsonl)
}

@test "a failed step: the later steps' jobs are recorded as skipped, once, as local prun skips them" {
  printf '%s\n' '{"steps": [{"name": "a", "jobs": ["true", "exit 3", "true # 2"]},' \
    '{"name": "b", "jobs": ["echo never", {"name": "never 2", "command": "echo never"}]}],' \
    '"cleanup": ["echo tidy"]}' >plan.json
  prun queue push --queue q --run-id r -f plan.json
  run -1 prun queue work --queue q --run-id r -j 2 --results w.jsonl -q
  [ "$(field w.jsonl "echo tidy" status)" = passed ]
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 5
  [ "$(field all.jsonl 'never 2' status)" = skipped ]
  [ "$(field all.jsonl 'never 2' classname)" = b ]
  [ "$(field all.jsonl 'never 2' message)" = "not started: an earlier step failed" ]
  [ "$(qstatus skipped)" = 2 ]
  [ "$(qstatus done)" = 5 ]
  run -1 prun queue wait --queue q --run-id r
  run -1 prun -f plan.json --results local.jsonl -q
  grep -v tidy local.jsonl >local-steps.jsonl
  diff <(summary all.jsonl) <(summary local-steps.jsonl)
}

@test "a worker started late skips the steps the run has finished; a step waits for another worker's jobs" {
  printf '%s\n' '{"steps": [{"name": "a", "jobs": ["until [ -e go ]; do sleep 0.02; done # a1", "true # a2"]},' \
    '{"name": "b", "jobs": ["echo b1", "echo b2"]}]}' >plan.json
  prun queue push --queue q --run-id r -f plan.json
  # worker 1 holds a1 (a long job); worker 2 runs a2, then waits for a1 before step b
  prun queue work --queue q --run-id r -j 1 --results w1.jsonl -q >/dev/null 2>&1 3>&- &
  echo $! >w1.pid
  wait_until 10 holds_lease "$(cat w1.pid)"
  prun queue work --queue q --run-id r -j 2 --results w2.jsonl -q >w2.out 2>&1 3>&- &
  echo $! >w2.pid
  wait_until 10 done_is 1
  [ "$(qstatus queued)" = 2 ]
  running "$(cat w2.pid)"
  touch go
  wait "$(cat w1.pid)"
  wait "$(cat w2.pid)"
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 4
  [ "$(qstatus passed)" = 4 ]
  # b1 and b2 started after a1 ended
  /usr/bin/python3 - all.jsonl <<'PY'
import json, sys, datetime
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
rs = {json.loads(l)["name"]: json.loads(l) for l in open(sys.argv[1])}
a_end = max(t(r["started_at"]) + r["duration_s"] for n, r in rs.items() if r["classname"] == "a")
b_start = min(t(r["started_at"]) for n, r in rs.items() if r["classname"] == "b")
sys.exit(0 if b_start >= a_end - 0.002 else "step b started before step a ended")
PY
  # a worker started after the run is done runs nothing of it
  run -0 prun queue work --queue q --run-id r -j 1 --results w3.jsonl -q
  [ ! -s w3.jsonl ]
}

@test "push -f: idempotent per plan; a different plan, a list under a plan's run id, bad plans and flags are exit 2" {
  printf '%s\n' '{"steps": ["echo a", {"jobs": ["echo b", "echo c"]}]}' >plan.json
  pids=()
  for i in 1 2 3 4; do
    prun queue push --queue q --run-id r -f plan.json 2>"p$i.err" 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ "$(grep -lx 'prun: loaded 3 jobs into run r of queue q (expires in 1d)' p*.err | wc -l)" = 1 ]
  [ "$(grep -lx 'prun: run r of queue q is already loaded (3 jobs)' p*.err | wc -l)" = 3 ]
  printf '%s\n' '{"steps": ["echo a", {"jobs": ["echo b", "echo c"], "timeout": 5}]}' >other.json
  run -2 --separate-stderr prun queue push --queue q --run-id r -f other.json
  [ "$stderr" = "prun: error: run r of queue q was loaded with a different job list (3 jobs); a new list needs a new --run-id" ]
  printf '%s\n' 'echo a' 'echo b' 'echo c' >jobs.txt
  run -2 --separate-stderr prun queue push --queue q --run-id r -a jobs.txt
  [ "$stderr" = "prun: error: run r of queue q was loaded with a different job list (3 jobs); a new list needs a new --run-id" ]
  down="redis://127.0.0.1:$(free_port)/0"
  printf '%s\n' '{"steps": [{"command": "true", "timeout": "soon"}]}' >bad.json
  run -2 --separate-stderr prun queue push --redis "$down" --queue q --run-id x -f bad.json
  [ "$stderr" = "prun: error: bad.json:1:43: timeout: invalid duration 'soon' (expected a number; use e.g. 250ms, 90s, 10m, 1h30m)" ]
  run -2 --separate-stderr prun queue work --redis "$down" --queue q --run-id x -f bad.json
  [ "$stderr" = "prun: error: bad.json:1:43: timeout: invalid duration 'soon' (expected a number; use e.g. 250ms, 90s, 10m, 1h30m)" ]
  run -2 --separate-stderr prun queue push --queue q --run-id x -f plan.json -a jobs.txt
  [ "$stderr" = "prun: error: --plan and --arg-file exclude each other" ]
  run -2 --separate-stderr prun queue push --queue q --run-id x -f plan.json --append
  [ "$stderr" = "prun: error: --append: a plan is one whole run; --append adds job lists" ]
  run -2 --separate-stderr prun queue work --queue q --run-id x -f plan.json --fallback shard:1/2
  [ "$stderr" = "prun: error: --fallback: a plan's steps run in order across the workers; there is no static share of a plan" ]
  run -2 --separate-stderr prun queue work --queue q --run-id r -j 1 -- echo {}
  [ "$stderr" = "prun: error: -- TEMPLATE: run r of queue q holds a plan; its steps say what runs" ]
  [ "$(qstatus queued)" = 3 ]
  [ "$(qstatus leased)" = 0 ]
}
