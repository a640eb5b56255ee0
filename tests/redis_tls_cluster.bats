#!/usr/bin/env bats
# rediss+cluster://: lockctl, schedule and notify on a 3-master Redis Cluster that speaks only
# TLS (clients and cluster bus), every node's certificate verified: keys on all three masters,
# MOVED followed from one TLS node to another, exact counts under contention, a wrong CA or
# name refused with exit 3 naming the certificate problem.

load helpers/suite
load helpers/redis_cluster
load helpers/redis_tls
load helpers/redis_tls_cluster
load helpers/schedule_helpers
load helpers/notify_common

setup_file() { suite_start tls_cluster receiver; }

setup() {
  suite_setup
  unset CIUTILS_REDIS_CACERT CIUTILS_REDIS_CERT CIUTILS_REDIS_KEY SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE
  read -r P1 P2 P3 <<<"$CLUSTER_PORTS"
  SEEDS="127.0.0.1:$P1,127.0.0.1:$P2"
}

# The probes of schedule_helpers, over TLS through the cluster (redis-cli -c follows MOVED).
rcli() { cluster_cli "$P1" -c "$@"; }

# move_slot KEY TO_PORT: moves KEY's slot and its keys to the master on TO_PORT, as
# redis-cli --cluster reshard does (IMPORTING, MIGRATING, MIGRATE over TLS, SETSLOT NODE).
move_slot() {
  local from slot from_id to_id keys port
  from="$(slot_owner_port "$1")"
  slot="$(cluster_cli "$from" cluster keyslot "$1")"
  from_id="$(node_id "$from")"
  to_id="$(node_id "$2")"
  cluster_cli "$2" cluster setslot "$slot" importing "$from_id" >/dev/null
  cluster_cli "$from" cluster setslot "$slot" migrating "$to_id" >/dev/null
  while keys="$(cluster_cli "$from" cluster getkeysinslot "$slot" 100)" && [ -n "$keys" ]; do
    # shellcheck disable=SC2086
    cluster_cli "$from" migrate 127.0.0.1 "$2" "" 0 5000 keys $keys | grep -qx OK || return 1
  done
  for port in "$2" "$from" $CLUSTER_PORTS; do
    cluster_cli "$port" cluster setslot "$slot" node "$to_id" >/dev/null
  done
}

# own_port NAME: the master serving a resource's own tag.
own_port() { slot_owner_port "$CIUTILS_NAMESPACE:{lock:$1}:x"; }

@test "lockctl: locks on all three TLS masters; list, status and release reach each one" {
  local r tokens=()
  for r in r1 r2 r3 r4 r5 r6 r7 r8 r9; do
    run -0 --separate-stderr lockctl acquire "$r" --ttl 60s --owner "tls-$r"
    tokens+=("$r ${lines[1]}")
  done
  # the names land on every master, and what went over TLS is there
  [ "$(for r in r1 r2 r3 r4 r5 r6 r7 r8 r9; do own_port "$r"; done | sort -u | wc -l)" = 3 ]
  for port in $CLUSTER_PORTS; do
    [ "$(cluster_cli "$port" dbsize)" -gt 0 ]
  done
  run -0 lockctl list
  [ "$(grep -c ' 1/1 held ' <<<"$output")" = 9 ]
  run -0 lockctl status r5 --json
  assert_output --partial '"owner":"tls-r5"'
  local held token
  for held in "${tokens[@]}"; do
    read -r r token <<<"$held"
    run -0 lockctl release "$r" --token "$token"
  done
  run -0 lockctl list
  [ "$(grep -c ' 0/1 held ' <<<"$output")" = 9 ]
}

@test "MOVED from one TLS node to another: lockctl run renews its lease on the new owner after its slot moves" {
  local from to expiry="$CIUTILS_NAMESPACE:{lock:moving}:expiry"
  from="$(own_port moving)"
  for port in $CLUSTER_PORTS; do [ "$port" != "$from" ] && to="$port"; done
  (lockctl run moving --ttl 5s -- sh -c 'until [ -e moved ]; do sleep 0.05; done; echo kept' \
    >run.out 2>run.err 3>&- &
    echo $! >run.pid)
  wait_until 10 sh -c "lockctl status moving --json | grep -q '\"owner\"'"
  move_slot "$expiry" "$to"
  [ "$(own_port moving)" = "$to" ]
  # the lease's expiry moves on at the new owner: a renewal followed MOVED there
  local moved_at
  moved_at="$(cluster_cli "$to" zrange "$expiry" 0 0 withscores | sed -n 2p)"
  [ -n "$moved_at" ]
  wait_until 20 sh -c "[ \"\$(redis-cli $CLUSTER_CLI_ARGS -p $to zrange '$expiry' 0 0 withscores | sed -n 2p)\" -gt $moved_at ]"
  touch moved
  wait_until 20 sh -c '! kill -0 "$(cat run.pid)" 2>/dev/null'
  run -0 cat run.out run.err
  assert_output kept
  run -0 lockctl status moving --json
  assert_output --partial '"fence":1'
  assert_output --partial '"holders":[]'
}

@test "10 clients x 10 lockctl run increments over TLS give exactly 100" {
  echo 0 >counter
  printf '#!/bin/sh\nread -r n <counter\nsleep 0.002\necho $((n + 1)) >counter\n' >incr.sh
  chmod +x incr.sh
  local c pids=()
  for c in $(seq 1 10); do
    (
      for _ in $(seq 1 10); do
        lockctl run counter --ttl 10s --wait 60s -- ./incr.sh || echo "client $c: exit $?" >>failures
      done
    ) 3>&- &
    pids+=($!)
  done
  wait "${pids[@]}"
  [ ! -e failures ] || { cat failures; false; }
  run -0 cat counter
  assert_output 100
  run -0 lockctl status counter --json
  assert_output --partial '"fence":100'
}

@test "schedule: 3 concurrent tickers enqueue each slot once on queues of several masters; work runs each once" {
  local q offsets pids=() entries=()
  for q in qa qb qc; do
    entries+=("{\"name\": \"$q\", \"cron\": \"* * * * * *\", \"queue\": \"$q\", \"catch_up\": \"all\", \"catch_up_max\": 100, \"grace\": \"1s\"}")
  done
  write_schedules s.json "$(IFS=,; echo "${entries[*]}")"
  run -0 schedule tick -q -f s.json --now 2026-06-01T00:00:00Z
  # three tickers at once, each through its own times of the next 22 seconds
  for offsets in "05 10 15 20" "06 11 16 21" "07 12 17 22"; do
    (for t in $offsets; do schedule tick -q -f s.json --now "2026-06-01T00:00:${t}Z" || exit 1; done) 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  # slots 0 … 22 of each schedule, each once
  for q in qa qb qc; do
    run -0 queue_length "$q"
    assert_output 23
  done
  [ "$(for q in qa qb qc; do slot_owner_port "$(schedule_tasks_key "$q")"; done | sort -u | wc -l)" -ge 2 ]
  for q in qa qb qc; do
    run -0 schedule work --queue "$q" -j 4 --exit-when-empty -- sh -c 'echo "$TASK_SCHEDULE $TASK_SLOT" >>done'
  done
  [ "$(wc -l <done)" = 69 ]
  [ "$(sort -u done | wc -l)" = 69 ]
  run -0 schedule status --queue qb --json
  assert_output --partial '"length":0'
}

@test "notify: fail, fail, pass sends one trigger and one recovery, the alert state on the TLS cluster" {
  alert_lifecycle web/t1
}

@test "the CA from CIUTILS_REDIS_CACERT; seeds by name (localhost) or IP verify against the certificate" {
  CIUTILS_REDIS_CACERT="$TLS_DIR/ca.crt" run -0 --separate-stderr lockctl acquire env-ca --redis "rediss+cluster://$SEEDS/"
  run -0 --separate-stderr lockctl status env-ca --json --redis "rediss+cluster://localhost:$P3/?cacert=$TLS_DIR/ca.crt"
  assert_output --partial '"held":1'
  run -0 --separate-stderr lockctl status env-ca --json --redis "rediss://127.0.0.1:$P1/?cluster=1&cacert=$TLS_DIR/ca.crt"
  assert_output --partial '"held":1'
}

@test "a wrong CA or a name the certificate does not hold: exit 3 naming the certificate problem" {
  # the system's CAs do not include the test CA
  run -3 --separate-stderr lockctl status uat --redis "rediss+cluster://$SEEDS/"
  local why="TLS certificate verification failed: self-signed certificate in certificate chain (give the server's CA with ?cacert=FILE or CIUTILS_REDIS_CACERT)"
  assert_equal "$stderr" "lockctl: error: cannot read the slot map of the Redis Cluster at rediss+cluster://$SEEDS/ (cannot connect to Redis at rediss://127.0.0.1:$P1/0: $why; cannot connect to Redis at rediss://127.0.0.1:$P2/0: $why)"
  run -3 --separate-stderr schedule status --queue qa --redis "rediss+cluster://$SEEDS/?cacert=$TLS_DIR/other-ca.crt"
  [[ "$stderr" == "schedule: error: cannot read the slot map of the Redis Cluster at "*": $why)" ]]
  export PD_KEY=pd-key
  run -3 --separate-stderr notify --key web/t1 --status failed --redis "rediss+cluster://$SEEDS/?cacert=$TLS_DIR/other-ca.crt" \
    "pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
  [[ "$stderr" == *"$why"* ]]
  # every node is verified against ?sni= when given, not against the address the map names
  run -3 --separate-stderr lockctl status uat --redis "rediss+cluster://$SEEDS/?cacert=$TLS_DIR/ca.crt&sni=redis.example.org"
  [[ "$stderr" == *"rediss://127.0.0.1:$P1/0: TLS certificate verification failed: hostname mismatch"* ]]
  run -0 --separate-stderr lockctl run uat --redis "rediss+cluster://$SEEDS/?cacert=$TLS_DIR/ca.crt&sni=localhost" -- true
}

@test "?insecure=1 reaches every node without verification and warns once, naming the cluster URL" {
  run -0 --separate-stderr lockctl acquire r1 --redis "rediss+cluster://$SEEDS/?insecure=1"
  run -0 --separate-stderr lockctl list --redis "rediss+cluster://$SEEDS/?insecure=1"
  [ "$(grep -c ' 1/1 held ' <<<"$output")" = 1 ]
  assert_equal "$stderr" "lockctl: warning: Redis at rediss+cluster://$SEEDS/: ?insecure=1: the server's TLS certificate is not verified; anyone on the network path can read and change what the tools store (locks, queues, passwords)"
}

@test "mutual TLS: nodes that require a client certificate refuse without one and work with one" {
  local port
  for port in $CLUSTER_PORTS; do cluster_cli "$port" config set tls-auth-clients yes >/dev/null; done
  run -3 --separate-stderr lockctl acquire m1
  [[ "$stderr" == *"(the server wants a client certificate: give ?cert=FILE&key=FILE)"* ]]
  run -0 --separate-stderr lockctl acquire m1 --redis "$REDIS_URL&cert=$TLS_DIR/client.crt&key=$TLS_DIR/client.key"
  export CIUTILS_REDIS_CERT="$TLS_DIR/client.crt" CIUTILS_REDIS_KEY="$TLS_DIR/client.key"
  run -0 --separate-stderr lockctl list
  [ "$(grep -c ' 1/1 held ' <<<"$output")" = 1 ]
  run -0 --separate-stderr schedule enqueue --queue mtls '{}'
}

@test "a plain redis+cluster:// URL at TLS nodes fails with exit 3 and says so" {
  # the nodes drop a client that does not start a TLS handshake (a reset, or an end of file)
  run -3 --separate-stderr lockctl status uat --redis "redis+cluster://$SEEDS/"
  [[ "$stderr" == "lockctl: error: cannot read the slot map of the Redis Cluster at redis+cluster://$SEEDS/ (Redis CLUSTER at redis://127.0.0.1:$P1/0: "*" (is that port TLS? use a rediss:// URL); Redis CLUSTER at redis://127.0.0.1:$P2/0: "*" (is that port TLS? use a rediss:// URL))" ]]
}
