#!/usr/bin/env bats
# prun queue on a real 3-master Redis Cluster (redis+cluster:// URL): runs whose hash tags
# land on each master, pushed as job lists, as plans and in parts (append, seal) and drained
# by two workers each, a worker killed with -9 mid-job; and a run pushed and drained over rediss:// and through
# redis+sentinel://.

load helpers/suite
load helpers/prun_queue
load helpers/redis_cluster
load helpers/redis_tls

# The TLS server (its plain port watched by one sentinel) first, the cluster last: REDIS_URL
# is the cluster's, TLS_URL and SENTINEL_URL the others'.
setup_file() { suite_start redis_tls plain_sentinel redis_cluster; }

# start_plain_sentinel: one sentinel watching the TLS server's plain port as "mymaster".
start_plain_sentinel() {
  SENTINEL_PORT="$(free_port)"
  cat >"$REDIS_DIR/sentinel.conf" <<CONF
port $SENTINEL_PORT
bind 127.0.0.1
daemonize yes
pidfile $REDIS_DIR/sentinel.pid
logfile $REDIS_DIR/sentinel.log
dir $REDIS_DIR
sentinel monitor mymaster 127.0.0.1 $REDIS_PORT 1
CONF
  redis-server "$REDIS_DIR/sentinel.conf" --sentinel 3>&- || return 1
  wait_until 10 sh -c "redis-cli -p $SENTINEL_PORT sentinel get-master-addr-by-name mymaster | grep -qx $REDIS_PORT" || {
    cat "$REDIS_DIR/sentinel.log" >&2
    return 1
  }
  export TLS_URL="$REDIS_URL" SENTINEL_URL="redis+sentinel://127.0.0.1:$SENTINEL_PORT/mymaster/0"
}

stop_plain_sentinel() { stop_pidfile "$REDIS_DIR/sentinel.pid"; }

# qfield RUN FIELD: one field of `prun queue status --json` for run RUN of queue q.
qfield() {
  prun queue status --queue q --run-id "$1" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# run_port RUN: the port of the master serving run RUN's hash tag.
run_port() { slot_owner_port "$CIUTILS_NAMESPACE:{prunq:q/$1}:x"; }

# runs_on_every_master PREFIX: three run ids PREFIX0, PREFIX1, … whose hash tags the three
# masters serve, one each, in CLUSTER_PORTS' order.
runs_on_every_master() {
  local port i
  for port in $CLUSTER_PORTS; do
    i=0
    while [ "$(run_port "$1$i")" != "$port" ]; do i=$((i + 1)); done
    echo "$1$i"
  done
}

# keys_only_on RUN PORT: the master on PORT holds keys of run RUN, the other masters none.
keys_only_on() {
  local port n
  for port in $CLUSTER_PORTS; do
    n="$(cluster_cli "$port" --scan --pattern "$CIUTILS_NAMESPACE:{prunq:q/$1}:*" | wc -l)"
    if [ "$port" = "$2" ]; then
      [ "$n" -ge 3 ] || { echo "run $1: $n keys on its master $port"; return 1; }
    else
      [ "$n" = 0 ] || { echo "run $1: $n keys on $port, not its master $2"; return 1; }
    fi
  done
}

# holds_run_lease RUN PID: the worker with that pid holds at least one lease of run RUN.
holds_run_lease() {
  prun queue status --queue q --run-id "$1" --json |
    /usr/bin/python3 -c 'import json,sys; sys.exit(0 if any(":%s:" % sys.argv[1] in h["worker"] for h in json.load(sys.stdin)["leased_by"]) else 1)' "$2"
}

# gated_jobs N: N job lines, each waiting for the file go, then `echo job I; exit C` with
# C = I for every third job, else 0.
gated_jobs() {
  local i
  for i in $(seq 1 "$1"); do
    echo "until [ -e '$PWD/go' ]; do sleep 0.05; done; echo job $i; exit $((i % 3 == 0 ? i : 0))"
  done
}

# exit_codes_right FILE: every record of a job line ending in `exit C` has exit code C and
# status passed (C = 0) or failed.
exit_codes_right() {
  /usr/bin/python3 - "$1" <<'PY'
import json, re, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    m = re.search(r"(?:^|; )exit (\d+)$", r["name"])
    if not m:
        continue
    want = int(m.group(1))
    status = "passed" if want == 0 else "failed"
    if r["exit_code"] != want or r["status"] != status:
        sys.exit("%s: exit_code %s, status %s" % (r["name"], r["exit_code"], r["status"]))
PY
}

# drain_on_every_master ARGS...: pushes each run of RUNS with ARGS (-a FILE or -f FILE), starts
# two workers per run, waits until both of a run hold leases (the jobs wait for the file go),
# then lets the jobs end and waits for the workers.
drain_on_every_master() {
  local r w
  for r in "${RUNS[@]}"; do
    prun queue push --queue q --run-id "$r" "$@" 2>"$r.push.err" || { cat "$r.push.err"; return 1; }
    keys_only_on "$r" "$(run_port "$r")" || return 1
  done
  pids=()
  for r in "${RUNS[@]}"; do
    for w in 1 2; do
      prun queue work --queue q --run-id "$r" -j 2 --results "$r.$w.jsonl" -q >"$r.$w.out" 2>"$r.$w.err" 3>&- &
      echo $! >"$r.$w.pid"
      pids+=($!)
    done
  done
  for r in "${RUNS[@]}"; do
    for w in 1 2; do
      wait_until 60 holds_run_lease "$r" "$(cat "$r.$w.pid")" || { echo "worker $w of run $r holds no lease"; return 1; }
    done
  done
  touch go
  for p in "${pids[@]}"; do wait "$p" || true; done
}

# read_failed_run RUN N: run RUN was loaded with N jobs, `wait` says all N are done, 2 of
# them failed (exit 1), and its N records (in RUN.all.jsonl) carry their jobs' exit codes.
read_failed_run() {
  [ "$(cat "$1.push.err")" = "prun: loaded $2 jobs into run $1 of queue q (expires in 1d)" ]
  run -1 --separate-stderr prun queue wait --queue q --run-id "$1" --timeout 60s
  [ "$stderr" = "prun: $2/$2 done, 2 failed, 0 running, 0 queued" ]
  prun queue results --queue q --run-id "$1" >"$1.all.jsonl"
  check_results "$1.all.jsonl" "$2"
  exit_codes_right "$1.all.jsonl"
}

@test "job lists on every master: two workers drain each run, wait and results give every job once with its exit code" {
  read -r -a RUNS <<<"$(runs_on_every_master list | tr '\n' ' ')"
  [ "${#RUNS[@]}" = 3 ]
  gated_jobs 8 >jobs.txt
  drain_on_every_master -a jobs.txt
  for r in "${RUNS[@]}"; do
    read_failed_run "$r" 8
    once_each "$r.all.jsonl" jobs.txt
    # each worker's own file holds what it ran, together the whole run
    cat "$r.1.jsonl" "$r.2.jsonl" >"$r.local.jsonl"
    once_each "$r.local.jsonl" jobs.txt
    run -0 prun queue status --queue q --run-id "$r"
    assert_output "run $r of queue q: 8 jobs, 8 done (6 passed, 2 failed), 0 leased, 0 queued; 0 quarantined, 0 duplicates"
    keys_only_on "$r" "$(run_port "$r")"
  done
}

@test "plans on every master: each run's steps in order over two workers, every job once with its exit code" {
  read -r -a RUNS <<<"$(runs_on_every_master plan | tr '\n' ' ')"
  [ "${#RUNS[@]}" = 3 ]
  gated_jobs 6 >tests.txt
  /usr/bin/python3 - "$PWD" <<'PY' >plan.json
import json, sys
jobs = [l.rstrip("\n") for l in open("tests.txt")]
print(json.dumps({"workers": 2, "steps": [
    "echo built $PRUN_RUN_ID >>'%s/built'" % sys.argv[1],
    {"name": "tests", "jobs": jobs}]}))
PY
  drain_on_every_master -f plan.json
  for r in "${RUNS[@]}"; do
    read_failed_run "$r" 7
    /usr/bin/python3 -c 'import json,sys; [print(r["name"]) for r in map(json.loads, open(sys.argv[1])) if r["classname"] == "tests"]' \
      "$r.all.jsonl" >"$r.tests"
    diff <(sort "$r.tests") <(sort tests.txt)
    [ "$(grep -cx "built $r" built)" = 1 ]
    [ "$(qfield "$r" done)" = 7 ]
    [ "$(qfield "$r" passed)" = 5 ]
    [ "$(qfield "$r" failed)" = 2 ]
    [ "$(qfield "$r" duplicates)" = 0 ]
    keys_only_on "$r" "$(run_port "$r")"
  done
}

@test "kill -9 of a worker mid-job on each master's run: its jobs run on the other worker, the run completes" {
  read -r -a RUNS <<<"$(runs_on_every_master dead | tr '\n' ' ')"
  for i in $(seq 1 9); do echo "until [ -e '$PWD/go' ]; do sleep 0.05; done; echo $i"; done >jobs.txt
  for r in "${RUNS[@]}"; do
    prun queue push --queue q --run-id "$r" -a jobs.txt -q
    prun queue work --queue q --run-id "$r" -j 3 --lease-timeout 1s -q >/dev/null 2>&1 3>&- &
    echo $! >"$r.doomed.pid"
  done
  for r in "${RUNS[@]}"; do
    wait_until 60 holds_run_lease "$r" "$(cat "$r.doomed.pid")"
    kill -KILL "$(cat "$r.doomed.pid")"
  done
  touch go
  pids=()
  for r in "${RUNS[@]}"; do
    # (the survivor's own leases are long: a slow machine must not make it lose one)
    prun queue work --queue q --run-id "$r" -j 4 --lease-timeout 5s --results "$r.b.jsonl" -q >/dev/null 2>"$r.b.err" 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for r in "${RUNS[@]}"; do
    run -0 prun queue wait --queue q --run-id "$r" --timeout 60s
    prun queue results --queue q --run-id "$r" >"$r.all.jsonl"
    check_results "$r.all.jsonl" 9
    once_each "$r.all.jsonl" jobs.txt
    [ "$(qfield "$r" passed)" = 9 ]
    [ "$(qfield "$r" duplicates)" = 0 ]
    [ "$(qfield "$r" leased)" = 0 ]
    # the survivor ran what the dead worker held
    [ "$(wc -l <"$r.b.jsonl")" -ge 3 ]
  done
}

@test "runs pushed in parts on every master: append, seal, then two workers drain each" {
  read -r -a RUNS <<<"$(runs_on_every_master part | tr '\n' ' ')"
  printf '%s\n' 'echo a1' 'echo a2' >a.txt
  printf '%s\n' 'echo b1' 'echo b2' 'echo b3' >b.txt
  cat a.txt b.txt >jobs.txt
  for r in "${RUNS[@]}"; do
    prun queue push --queue q --run-id "$r" --append -a a.txt -q
    prun queue push --queue q --run-id "$r" --append -a b.txt -q
    [ "$(qfield "$r" sealed)" = False ]
    run -0 prun queue seal --queue q --run-id "$r"
    [ "$(qfield "$r" sealed)" = True ]
    keys_only_on "$r" "$(run_port "$r")"
  done
  pids=()
  for r in "${RUNS[@]}"; do
    for w in 1 2; do
      prun queue work --queue q --run-id "$r" -j 2 -q >/dev/null 2>"$r.$w.err" 3>&- &
      pids+=($!)
    done
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for r in "${RUNS[@]}"; do
    run -0 --separate-stderr prun queue wait --queue q --run-id "$r" --timeout 60s
    [ "$stderr" = "prun: 5/5 done, 0 running, 0 queued" ]
    prun queue results --queue q --run-id "$r" >"$r.all.jsonl"
    check_results "$r.all.jsonl" 5
    once_each "$r.all.jsonl" jobs.txt
    run -0 prun queue status --queue q --run-id "$r"
    assert_output "run $r of queue q: 5 jobs, 5 done (5 passed), 0 leased, 0 queued; 0 quarantined, 0 duplicates"
  done
}

# drain_small URL: a run of 6 jobs pushed and drained by two workers through URL; wait,
# results and status agree.
drain_small() {
  printf '%s\n' 'echo a' 'echo b' 'exit 4' 'echo d' 'echo e' 'echo f' >jobs.txt
  run -0 --separate-stderr prun queue push --redis "$1" --queue q --run-id r -a jobs.txt
  [ "$stderr" = "prun: loaded 6 jobs into run r of queue q (expires in 1d)" ]
  pids=()
  for w in 1 2; do
    prun queue work --redis "$1" --queue q --run-id r -j 2 -q >/dev/null 2>"w$w.err" 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  run -1 --separate-stderr prun queue wait --redis "$1" --queue q --run-id r --timeout 60s
  [ "$stderr" = "prun: 6/6 done, 1 failed, 0 running, 0 queued" ]
  prun queue results --redis "$1" --queue q --run-id r >all.jsonl
  check_results all.jsonl 6
  once_each all.jsonl jobs.txt
  exit_codes_right all.jsonl
  run -0 prun queue status --redis "$1" --queue q --run-id r
  assert_output "run r of queue q: 6 jobs, 6 done (5 passed, 1 failed), 0 leased, 0 queued; 0 quarantined, 0 duplicates"
  # the run is on the server behind the URL
  [ "$(redis-cli -p "$REDIS_PORT" --scan --pattern "$CIUTILS_NAMESPACE:{prunq:q/r}:*" | wc -l)" -ge 3 ]
}

@test "over rediss://: a run pushed, drained by two workers and read back" {
  drain_small "$TLS_URL"
}

@test "through redis+sentinel://: a run pushed, drained by two workers and read back" {
  drain_small "$SENTINEL_URL"
}
