#!/usr/bin/env bats
# Fencing tokens persist across a Redis restart (with persistence), and so do leases.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start durable_redis; }

restart_redis() {
  stop_server
  start_server
}

@test "fences strictly increase across grants and a Redis restart; the lease survives" {
  last=0
  for i in $(seq 1 20); do
    out="$(lockctl acquire f --json)"
    fence="$(echo "$out" | sed 's/.*"fence":\([0-9]*\).*/\1/')"
    [ "$fence" -gt "$last" ]
    last="$fence"
    lockctl release f --token "$(echo "$out" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
  done
  held="$(lockctl acquire f --ttl 60s --json)"
  restart_redis
  # the lease survived the restart
  run -75 lockctl acquire f --no-wait
  lockctl release f --token "$(echo "$held" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
  out="$(lockctl acquire f --json)"
  fence="$(echo "$out" | sed 's/.*"fence":\([0-9]*\).*/\1/')"
  [ "$fence" -eq 22 ]
}

@test "run keeps its lease through a Redis restart" {
  # The TTL leaves room for a slow restart on a loaded machine: renewals (every TTL/3)
  # before and after the restart must keep the lease; the command outlives two of them.
  lockctl run r --ttl 8s -- sleep 6 3>&- &
  pid=$!
  wait_until 10 bash -c '[ "$(lockctl status r --json | grep -c "\"held\":1")" = 1 ]'
  restart_redis
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  run -0 lockctl history r --json
  refute_output --partial '"event":"expired"'
  assert_output --partial '"event":"released"'
}
