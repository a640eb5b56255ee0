#!/usr/bin/env bats
# lockctl, schedule and notify on a real 3-master Redis Cluster (redis+cluster:// URL):
# keys spread over the masters, exact counts under contention, a slot moved while clients
# hold and wait for locks, enumerating commands that fail rather than print a part.

load helpers/suite
load helpers/redis_cluster
load helpers/schedule_helpers
load helpers/notify_common

setup_file() { suite_start redis_cluster receiver; }

teardown() { kill_test_pids; }

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

# own_port NAME / pool_port POOL: the master serving a resource's own tag / a pool's tag.
own_port() { slot_owner_port "$CIUTILS_NAMESPACE:{lock:$1}:x"; }
pool_port() { slot_owner_port "$CIUTILS_NAMESPACE:{lock:pool:$1}:x"; }

# names_not_on PORT COUNT [PREFIX]: COUNT resource names (PREFIX1, PREFIX2, …) whose own tag
# another master than PORT serves, so a pool change on PORT's pool crosses slots.
names_not_on() {
  local i=0 found=0
  while ((found < $2)); do
    i=$((i + 1))
    if [ "$(own_port "${3:-m}$i")" != "$1" ]; then
      echo "${3:-m}$i"
      found=$((found + 1))
    fi
  done
}

# crossing_member POOL PREFIX: a resource name whose own tag neither the pool's master nor
# the master of the pool's name serves (so those can be held while its own master runs).
crossing_member() {
  local i=0 port
  while :; do
    i=$((i + 1))
    port="$(own_port "$2$i")"
    if [ "$port" != "$(pool_port "$1")" ] && [ "$port" != "$(own_port "$1")" ]; then
      echo "$2$i"
      return 0
    fi
  done
}

# pause_writes PORT / resume_writes PORT: a master holds every script sent to it (CLIENT
# PAUSE WRITE) until resumed, so a pool change can be stopped between two of its steps.
pause_writes() { redis-cli -p "$1" client pause 60000 write >/dev/null; }
resume_writes() { redis-cli -p "$1" client unpause >/dev/null; }
# no_script_held PORT: no client's script waits on that master. A client killed while its
# script was held is gone once this holds, and its script is dropped, never run: wait for
# it before resuming, or the script may still run.
no_script_held() { ! redis-cli -p "$1" client list | grep -q 'flags=b .* cmd=eval'; }

# transit_of POOL R: the move of R recorded in POOL's scope ("" when none).
transit_of() { redis-cli -p "$(pool_port "$1")" hget "$CIUTILS_NAMESPACE:{lock:pool:$1}:transit" "$2"; }
# name_field R FIELD: a field of R's name hash, on its own tag.
name_field() { redis-cli -p "$(own_port "$1")" hget "$CIUTILS_NAMESPACE:{lock:$1}:name" "$2"; }
has_transit() { [ -n "$(transit_of "$1" "$2")" ]; }
has_name_field() { [ -n "$(name_field "$1" "$2")" ]; }

token_of() { sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' <<<"$1"; }

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

@test "pool set, add and remove on a cluster: members, their state and the errors as on one server" {
  local members
  members="$(names_not_on "$(pool_port envs)" 4 e | tr '\n' ' ')"
  read -r e1 e2 e3 e4 <<<"$members"
  run -0 lockctl acquire "$e1" --json
  first="$output"
  run -0 lockctl release "$e1" --token "$(token_of "$first")"
  run -0 lockctl pool set-labels "$e2" linux gpu
  run -0 lockctl pool set-props "$e2" url=https://e2.example
  run -0 lockctl reserve "$e3" --note maintenance
  run -0 lockctl pool set -v envs "$e1" "$e2" "$e3"
  assert_output "lockctl: pool envs: 3 member(s)"
  run -0 lockctl pool list
  assert_output "envs $(printf '%s\n' "$e1" "$e2" "$e3" | sort | tr '\n' ' ' | sed 's/ $//')"
  # what each member carries came with it: fence, labels, properties, reservation
  run -0 lockctl acquire --pool envs --label gpu --json
  assert_output --partial "\"resources\":[\"$e2\"]"
  assert_output --partial '"url":"https://e2.example"'
  run -0 lockctl acquire "$e1" --json
  assert_output --partial '"fence":2'
  run -75 lockctl acquire --pool envs --no-wait
  run -0 lockctl status envs --json
  assert_output --partial "\"name\":\"$e3\",\"slots\":1,\"fence\":0,\"leaving\":false,\"held\":0"
  assert_output --partial '"note":"maintenance"'
  # add and remove; the name a pool has, and a member of another pool, are refused
  run -0 lockctl pool add -v envs "$e4"
  assert_output "lockctl: pool envs: 4 member(s)"
  run -2 lockctl pool set other "$e4"
  assert_output "lockctl: error: MEMBER: '$e4' is already in pool 'envs'"
  run -2 lockctl pool set other envs
  assert_output "lockctl: error: MEMBER: 'envs' is a pool (pool and resource names must differ)"
  run -2 lockctl pool set "$e1" z
  assert_output "lockctl: error: POOL: '$e1' is a resource (pool and resource names must differ)"
  run -2 lockctl acquire envs
  assert_output "lockctl: error: RESOURCE: 'envs' is a pool (use --pool envs)"
  run -0 lockctl pool remove -v envs "$e3" "$e4"
  assert_output "lockctl: pool envs: 2 member(s)"
  run -0 lockctl status "$e3" --json
  assert_output --partial '"note":"maintenance"'
  run -0 lockctl acquire "$e4" --json
  assert_output --partial '"fence":1'
  run -0 lockctl pool set other "$e3"
  run -0 lockctl pool list
  assert_output "envs $(printf '%s\n' "$e1" "$e2" | sort | tr '\n' ' ' | sed 's/ $//')
other $e3"
  # nothing is left half moved
  for port in $CLUSTER_PORTS; do
    run -0 sh -c "redis-cli -p $port --scan --pattern '*transit*'; redis-cli -p $port --scan --pattern '*outbox*'"
    assert_output ""
  done
}

@test "pool grants without overlap: 12 clients x 5 runs through --pool while a member joins and leaves" {
  local members m4
  members="$(names_not_on "$(pool_port grid)" 4 g | tr '\n' ' ')"
  read -r g1 g2 g3 m4 <<<"$members"
  lockctl pool set grid "$g1" "$g2" "$g3"
  cat >use.sh <<'SH'
#!/bin/sh
# Fails loudly when two holders ever use one member at once; counts uses per member.
mkdir "busy.$LOCKCTL_RESOURCE" 2>/dev/null || { echo "overlap on $LOCKCTL_RESOURCE" >>overlaps; exit 1; }
n=0
[ -e "count.$LOCKCTL_RESOURCE" ] && read -r n <"count.$LOCKCTL_RESOURCE"
sleep 0.002
echo $((n + 1)) >"count.$LOCKCTL_RESOURCE"
rmdir "busy.$LOCKCTL_RESOURCE"
SH
  chmod +x use.sh
  local c
  for c in $(seq 1 12); do
    (
      for _ in 1 2 3 4 5; do
        lockctl run --pool grid --ttl 10s --wait 60s -- ./use.sh || echo "client $c failed: $?" >>failures
      done
    ) 3>&- &
  done
  for _ in 1 2 3; do
    lockctl pool add grid "$m4"
    lockctl pool remove grid "$m4"
  done
  wait
  [ ! -e failures ] || { cat failures overlaps 2>/dev/null; false; }
  [ ! -e overlaps ]
  run -0 sh -c "cat count.* | awk '{ s += \$1 } END { print s }'"
  assert_output 60
  # each member's fence counts its grants exactly: none was granted twice, by name or pool
  local r
  for r in "$g1" "$g2" "$g3" "$m4"; do
    [ -e "count.$r" ] || continue
    run -0 lockctl status "$r" --json
    assert_output --partial "\"fence\":$(cat "count.$r"),"
  done
}

@test "a pool change while members are held and awaited, on a cluster" {
  local members
  members="$(names_not_on "$(pool_port hp)" 2 h | tr '\n' ' ')"
  read -r x y <<<"$members"
  lockctl pool set hp "$y"
  plain="$(lockctl acquire "$x" --owner plain --json)"
  pooled="$(lockctl acquire --pool hp --owner pooled --json)"
  (lockctl acquire --pool hp --owner pool-waiter --wait 60s --json >pool-waiter.json 3>&- & echo $! >pool-waiter.pid)
  wait_until 10 sh -c "lockctl status hp --json | grep -q '\"owner\":\"pool-waiter\"'"
  (lockctl acquire "$x" --owner name-waiter --wait 60s --json >name-waiter.json 3>&- & echo $! >name-waiter.pid)
  wait_until 10 sh -c "lockctl status $x --json | grep -q '\"owner\":\"name-waiter\"'"
  # x joins while held and awaited: its lease and its waiter go with it
  run -0 lockctl pool add hp "$x"
  wait_until 10 sh -c "lockctl status hp --json | grep -q '\"owner\":\"name-waiter\"'"
  run -0 lockctl status hp --json
  assert_output --partial "\"name\":\"$x\",\"slots\":1,\"fence\":1,\"leaving\":false,\"held\":1"
  assert_output --partial '"owner":"plain"'
  [ ! -s pool-waiter.json ] && [ ! -s name-waiter.json ]
  run -0 lockctl renew "$x" --token "$(token_of "$plain")"
  run -0 lockctl release "$x" --token "$(token_of "$plain")"
  assert_output ""
  # the pool waiter queued first: it gets x; the name waiter still waits
  wait_until 10 grep -q '"token"' pool-waiter.json
  run cat pool-waiter.json
  assert_output --partial "\"resources\":[\"$x\"]"
  assert_output --partial '"fence":2'
  # a held member removed: not handed out by name meanwhile, its lease goes on
  run -0 lockctl pool remove hp "$y"
  run -75 lockctl acquire "$y" --no-wait
  run -0 lockctl status "$y" --json
  assert_output --partial '"leaving":true,"held":1'
  run -0 lockctl release "$y" --token "$(token_of "$pooled")"
  run -0 lockctl release "$x" --token "$(token_of "$(cat pool-waiter.json)")"
  wait_until 10 grep -q '"token"' name-waiter.json
  run cat name-waiter.json
  assert_output --partial '"fence":3'
  # the next pool command lets the free leaver go
  run -0 lockctl pool add hp "$x"
  run -0 lockctl acquire "$y" --no-wait --json
  assert_output --partial '"fence":2'
}

@test "a pool add killed with -9 after its resource's state left: renew, acquire and pool commands finish it" {
  local pool=crash r held
  r="$(crossing_member "$pool" c)"
  held="$(lockctl acquire "$r" --ttl 60s --owner holder --json)"
  add_killed_after_export "$pool" "$r"
  # half moved: r's own scope grants nothing, the pool has not taken it in yet
  run -0 name_field "$r" pool
  assert_output "$pool"
  has_transit "$pool" "$r"
  # the holder's renewal meets its lease on the way and finishes the move
  run -0 lockctl renew "$r" --token "$(token_of "$held")"
  run -0 transit_of "$pool" "$r"
  assert_output ""
  run -75 lockctl acquire --pool "$pool" --no-wait
  run -75 lockctl acquire "$r" --no-wait
  run -0 lockctl release "$r" --token "$(token_of "$held")"
  run -0 lockctl acquire --pool "$pool" --json
  assert_output --partial "\"resources\":[\"$r\"]"
  assert_output --partial '"fence":2'
}

@test "pool commands killed with -9 between steps leave what the next command or acquire finishes" {
  local pool=halt r rp
  r="$(crossing_member "$pool" k)"
  rp="$(own_port "$r")"
  # an add stopped after its first step: r is still granted by name only, then the next
  # pool command takes it in
  pause_writes "$rp"
  (lockctl pool add "$pool" "$r" 2>add.err 3>&- & echo $! >add.pid)
  wait_until 10 has_transit "$pool" "$r"
  kill -KILL "$(cat add.pid)"
  wait_until 10 no_script_held "$rp"
  resume_writes "$rp"
  run -0 name_field "$r" pool
  assert_output ""
  run -0 lockctl acquire "$r" --json
  run -0 lockctl release "$r" --token "$(token_of "$output")"
  run -0 lockctl pool set -v "$pool" "$r"
  assert_output "lockctl: pool $pool: 1 member(s)"
  run -0 transit_of "$pool" "$r"
  assert_output ""
  # a remove stopped after its first step: the pool no longer offers r and r's own scope
  # does not grant it yet; an acquire by name finishes the move
  pause_writes "$rp"
  (lockctl pool remove "$pool" "$r" 2>remove.err 3>&- & echo $! >remove.pid)
  wait_until 10 has_transit "$pool" "$r"
  kill -KILL "$(cat remove.pid)"
  wait_until 10 no_script_held "$rp"
  resume_writes "$rp"
  run -0 name_field "$r" pool
  assert_output "$pool"
  run -2 lockctl acquire --pool "$pool" --no-wait
  assert_output --partial "unknown pool '$pool'"
  run -0 lockctl acquire "$r" --json
  assert_output --partial '"fence":2'
  run -0 name_field "$r" pool
  assert_output ""
  run -0 transit_of "$pool" "$r"
  assert_output ""
}

# add_killed_after_export POOL R: a `pool add POOL R` killed with -9 once R's state has left
# its own tag (exported), before the pool took it in (R's own tag and POOL's on two masters).
add_killed_after_export() {
  local rp pp
  rp="$(own_port "$2")"
  pp="$(pool_port "$1")"
  pause_writes "$rp"
  (lockctl pool add "$1" "$2" 2>add.err 3>&- & echo $! >add.pid)
  wait_until 10 has_transit "$1" "$2"   # claimed in the pool; the export waits on R's master
  pause_writes "$pp"
  resume_writes "$rp"
  wait_until 10 has_name_field "$2" transfer   # exported; the import waits on the pool's master
  kill -KILL "$(cat add.pid)"
  wait_until 10 no_script_held "$pp"
  resume_writes "$pp"
}

@test "force-release of a resource on its way into a pool ends its lease there" {
  local pool=forced r held
  r="$(crossing_member "$pool" f)"
  held="$(lockctl acquire "$r" --ttl 60s --owner holder --json)"
  add_killed_after_export "$pool" "$r"
  # the lease is in neither scope's keys: force-release finishes the move, then ends it
  run -0 lockctl force-release "$r" --json
  assert_output "{\"resource\":\"$r\",\"forced\":1}"
  run -1 lockctl renew "$r" --token "$(token_of "$held")"
  assert_output "lockctl: error: $r: the lease was force-released"
  run -0 lockctl acquire --pool "$pool" --json
  assert_output --partial "\"resources\":[\"$r\"]"
  assert_output --partial '"fence":2'
}

# first_name PREFIX TEST...: the first of PREFIX1, PREFIX2, … for which every TEST (a shell
# condition on $n) holds.
first_name() {
  local prefix="$1" i=0 n
  shift
  while :; do
    i=$((i + 1))
    n="$prefix$i"
    eval "$*" && { echo "$n"; return 0; }
  done
}

@test "a pool add that named the pool before a remove emptied it never makes a plain lock a pool" {
  local third="${CLUSTER_PORTS##* }" pool other a b held add
  # the pool's two tags and its members' are not on the third master (no seed: nothing but
  # the add's step in pool 'other' is sent there); pool 'other' is
  pool="$(first_name p '[ "$(own_port "$n")" != "$third" ] && [ "$(pool_port "$n")" != "$third" ]')"
  other="$(first_name q '[ "$(pool_port "$n")" = "$third" ]')"
  read -r a b <<<"$(names_not_on "$third" 2 m | tr '\n' ' ')"
  lockctl pool set "$pool" "$a"
  # b was removed from 'other' while held, and is free now: an add elsewhere first lets it leave
  lockctl pool set "$other" "$b"
  held="$(lockctl acquire "$b" --json)"
  lockctl pool remove "$other" "$b"
  lockctl release "$b" --token "$(token_of "$held")"
  # the add names the pool, then waits on the third master before it claims b
  pause_writes "$third"
  local base
  base="$(input_bytes "$third")"
  lockctl pool add "$pool" "$b" >add.out 2>add.err 3>&- &
  add=$!
  echo "$add" >add.pid
  wait_until 10 input_grew "$third" $((base + 100))
  # meanwhile the pool is emptied: its name is no pool now, and a plain lock takes it
  run -0 lockctl pool remove "$pool" "$a"
  run -0 lockctl acquire "$pool" --owner plain --json
  resume_writes "$third"
  local rc=0
  wait "$add" || rc=$?
  [ "$rc" = 2 ] || { cat add.err; false; }
  run -0 cat add.err
  assert_output "lockctl: error: POOL: '$pool' is a resource (pool and resource names must differ)"
  # the name is a plain lock only: no member, nothing on its way
  run -0 lockctl status "$pool" --json
  assert_output --partial '"owner":"plain"'
  run -2 lockctl acquire --pool "$pool" --no-wait
  assert_output --partial "unknown pool '$pool'"
  run -0 transit_of "$pool" "$b"
  assert_output ""
  run -0 redis-cli -p "$(pool_port "$pool")" scard "$CIUTILS_NAMESPACE:{lock:pool:$pool}:members"
  assert_output 0
  # b is a plain resource again
  run -0 lockctl acquire "$b" --no-wait --json
  assert_output --partial '"fence":2'
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
