#!/usr/bin/env bats
# lockctl, schedule and notify on a real 3-master Redis Cluster (redis+cluster:// URL):
# keys spread over the masters, exact counts under contention, a slot moved while clients
# hold and wait for locks, enumerating commands that fail rather than print a part.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis
load helpers/redis_cluster
load helpers/schedule_helpers
load helpers/notify_common

setup_file() {
  start_redis_cluster
  start_receiver
}

teardown_file() {
  stop_servers
  stop_redis_cluster
}

setup() {
  common_setup
  flush_redis_cluster
}

teardown() {
  local f pid
  for f in "$BATS_TEST_TMPDIR"/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# The probes of schedule_helpers, through the cluster (redis-cli -c follows MOVED).
rcli() { redis-cli -c -p "${CLUSTER_PORTS%% *}" "$@"; }

# counter_clients N ROUNDS RESOURCE: N background clients, each running ROUNDS
# read-sleep-write increments of ./counter under `lockctl run RESOURCE`.
counter_clients() {
  echo 0 >counter
  cat >incr.sh <<'SH'
#!/bin/sh
read -r n <counter
sleep 0.002
echo $((n + 1)) >counter
SH
  chmod +x incr.sh
  local c
  for c in $(seq 1 "$1"); do
    (
      for _ in $(seq 1 "$2"); do
        lockctl run "$3" --ttl 10s --wait 30s -- ./incr.sh || echo "client $c failed: $?" >>failures
      done
      echo "$c" >>finished
    ) 3>&- &
  done
}

# acquire_nine: locks r1 … r9, names whose slots land on all three masters.
acquire_nine() {
  local r
  for r in r1 r2 r3 r4 r5 r6 r7 r8 r9; do
    lockctl acquire "$r" --ttl 60s >/dev/null || return 1
  done
}

# input_bytes PORT: the bytes a node has read from its clients so far.
input_bytes() {
  redis-cli -p "$1" info stats | tr -d '\r' | awk -F: '$1 == "total_net_input_bytes" { print $2 }'
}

# input_grew PORT BYTES: the node has read more than BYTES.
input_grew() {
  [ "$(input_bytes "$1")" -gt "$2" ]
}

# move_slot KEY FROM_PORT TO_PORT: moves KEY's slot as redis-cli --cluster reshard does
# (IMPORTING, MIGRATING, MIGRATE of its keys, SETSLOT NODE on every master), holding the
# slot half moved until the clients have sent the old owner a few more commands.
move_slot() {
  local slot from_id to_id keys port base
  slot="$(redis-cli -p "$2" cluster keyslot "$1")"
  from_id="$(node_id "$2")"
  to_id="$(node_id "$3")"
  redis-cli -p "$3" cluster setslot "$slot" importing "$from_id" >/dev/null
  redis-cli -p "$2" cluster setslot "$slot" migrating "$to_id" >/dev/null
  base="$(input_bytes "$2")"
  wait_until 10 input_grew "$2" $((base + 4000))
  while keys="$(redis-cli -p "$2" cluster getkeysinslot "$slot" 100)" && [ -n "$keys" ]; do
    # shellcheck disable=SC2086
    redis-cli -p "$2" migrate 127.0.0.1 "$3" "" 0 5000 keys $keys >/dev/null
  done
  # the new owner first, then the old, then the rest (as redis-cli --cluster reshard does)
  for port in "$3" "$2" $CLUSTER_PORTS; do
    redis-cli -p "$port" cluster setslot "$slot" node "$to_id" >/dev/null
  done
}

@test "keys spread over the masters; list, status and release see every one" {
  acquire_nine
  # every master holds some lock (the names were chosen to land on all three)
  local port
  for port in $CLUSTER_PORTS; do
    [ "$(redis-cli -p "$port" dbsize)" -gt 0 ]
  done
  run -0 lockctl list
  [ "$(echo "$output" | grep -c ' held ')" = 9 ]
  run -0 lockctl status r5 --json
  assert_output --partial '"fence":1'
}

@test "20 clients x 10 increments through the cluster give exactly 200" {
  counter_clients 20 10 counter
  wait
  [ ! -e failures ] || { cat failures; false; }
  run cat counter
  assert_output 200
  run -0 lockctl status counter --json
  assert_output --partial '"fence":200'
  assert_output --partial '"holders":[]'
}

@test "a semaphore grants exactly its slots; a waiter is woken by the release on the key's node" {
  run -0 lockctl acquire lic --slots 2 --no-wait
  token="$(lockctl acquire lic --slots 2 --no-wait --json | sed 's/.*"token":"\([^"]*\)".*/\1/')"
  run -75 lockctl acquire lic --slots 2 --no-wait
  assert_output "lockctl: error: could not acquire lic: busy (--no-wait)"
  (lockctl acquire lic --slots 2 --wait 30s --json >waiter.json 2>waiter.err 3>&- & echo $! >waiter.pid)
  wait_until 10 sh -c "lockctl status lic --json | grep -q '\"position\":1'"
  run -0 lockctl release lic --token "$token"
  wait_until 10 grep -q '"token"' waiter.json
}

@test "a slot moved (MIGRATING, IMPORTING, MIGRATE) while 8 clients hold and wait: no lost or double grant" {
  local from to port
  from="$(slot_owner_port "$CIUTILS_NAMESPACE:{lock:moving}:x")"
  for port in $CLUSTER_PORTS; do [ "$port" != "$from" ] && to="$port"; done
  counter_clients 8 25 moving
  wait_until 20 sh -c '[ "$(cat counter)" -ge 20 ]'
  move_slot "$CIUTILS_NAMESPACE:{lock:moving}:x" "$from" "$to"
  wait_until 20 sh -c '[ "$(cat counter)" -ge 120 ]'
  move_slot "$CIUTILS_NAMESPACE:{lock:moving}:x" "$to" "$from"
  wait
  [ ! -e failures ] || { cat failures; false; }
  run cat counter
  assert_output 200
  run -0 lockctl status moving --json
  assert_output --partial '"fence":200'
  [ "$(slot_owner_port "$CIUTILS_NAMESPACE:{lock:moving}:x")" = "$from" ]
}

@test "schedule: 3 concurrent tickers x 300 slots enqueue each slot exactly once, on every queue" {
  write_schedules s.json '{"name": "a", "cron": "* * * * * *", "queue": "qa", "catch_up": "all", "catch_up_max": 100, "grace": "1s"},
    {"name": "b", "cron": "* * * * * *", "queue": "qb", "catch_up": "all", "catch_up_max": 100, "grace": "1s"},
    {"name": "c", "cron": "* * * * * *", "queue": "qc", "catch_up": "all", "catch_up_max": 100, "grace": "1s"}'
  run -0 schedule tick -q -f s.json --now 2026-06-01T00:00:00Z
  local k pids=()
  for k in 0 1 2; do
    (
      for i in $(seq 1 10); do
        t=$((30 * i + 3 * k))
        ((t > 299)) && t=299
        schedule tick -q -f s.json --now "$(date -u -d "@$((1780272000 + t))" +%Y-%m-%dT%H:%M:%SZ)" || exit 1
      done
    ) 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for q in qa qb qc; do
    run -0 queue_length "$q"
    assert_output 300
  done
  # the three queues' keys are not all on one master
  [ "$(for q in qa qb qc; do slot_owner_port "$(schedule_tasks_key "$q")"; done | sort -u | wc -l)" -ge 2 ]
  run -0 schedule status --queue qa --json
  assert_output --partial '"length":300'
}

@test "schedule: a worker killed with -9 mid-task; its task is redelivered and run once more" {
  run -0 schedule enqueue --queue q --name crash '{}'
  (schedule work --queue q --visibility 2s -- sh -c 'echo "a $TASK_ATTEMPT" >>runs; exec sleep 600' \
    2>a.log 3>&- & echo $! >a.pid)
  wait_until 10 grep -q '^a 1$' runs
  kill_worker a.pid
  run -0 timeout 30 schedule work --queue q --visibility 2s --max-tasks 1 -- sh -c 'echo "b $TASK_ATTEMPT" >>runs'
  run -0 cat runs
  assert_output "a 1
b 2"
  run -0 queue_length q
  assert_output 0
}

@test "notify: fail, fail, pass sends one trigger and one recovery" {
  reset_receiver
  export PD_KEY="pd-routing-key-5678"
  local url="pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
  run -0 notify --key opm/t1 --status failed "$url"
  run -0 notify --key opm/t1 --status failed "$url"
  run -0 notify --key opm/t1 --status passed "$url"
  run -0 receiver_count
  assert_output 2
  [ "$(receiver_field 1 'json.loads(r["body"])["event_action"]')" = trigger ]
  [ "$(receiver_field 2 'json.loads(r["body"])["event_action"]')" = resolve ]
}

@test "notify: alerts the receiver refused are spooled in Redis; flush sends each once" {
  reset_receiver
  local hook="webhook+http://127.0.0.1:$RECEIVER_PORT/hook" i rc
  receiver_plan '{"mode":"500","count":1000}'
  for i in 1 2 3; do
    rc=0
    notify -q --title "alert $i" "$hook?retries=0" 2>/dev/null || rc=$?
    [ "$rc" = 3 ]
  done
  reset_receiver
  run -0 notify flush
  assert_output --partial "notify: flushed 3"
  run -0 receiver_count
  assert_output 3
  run -0 rcli exists "$CIUTILS_NAMESPACE:{notify}:spool"
  assert_output 0
}

@test "report: store then history through the cluster" {
  run -0 report store -q "$CIUTILS_SOURCE_DIR/tests/fixtures/report/results.jsonl"
  run -0 report store -q "$CIUTILS_SOURCE_DIR/tests/fixtures/report/results.jsonl"
  run -0 report history --json
  assert_output --partial '"runs":2'
}

@test "a plain redis:// URL at a cluster node names the cluster URL to use (exit 3)" {
  local port
  # a key this node does not serve answers MOVED
  for port in $CLUSTER_PORTS; do
    [ "$(slot_owner_port "$CIUTILS_NAMESPACE:{lock:elsewhere}:x")" != "$port" ] && break
  done
  run -3 lockctl acquire elsewhere --redis "redis://127.0.0.1:$port/0"
  assert_output --partial "it is a Redis Cluster node (use redis+cluster://host:port,host:port/)"
}

# Last: it leaves the cluster without a master.
@test "a master killed with -9: list exits 3 naming it, never a partial list" {
  acquire_nine
  local victim
  victim="$(echo "$CLUSTER_PORTS" | awk '{print $3}')"
  kill -KILL "$(cluster_node_pid "$victim")"
  run -3 lockctl list
  assert_output --partial "127.0.0.1:$victim"
  refute_output --partial " held "
  run -3 lockctl list --json
  refute_output --partial '"r'
}
