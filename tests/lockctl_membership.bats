#!/usr/bin/env bats
# Exclusivity whatever the pool membership history: a resource never has more live
# leases than slots, pool changes are atomic, fences are per resource, pool and
# resource names never collide, durations are bounded.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

token_of() { sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' <<<"$1"; }
fence_of() { sed 's/.*"fence":\([0-9]*\).*/\1/' <<<"$1"; }
# script_held: a client's script waits in Redis (CLIENT PAUSE WRITE holds it).
script_held() { redis-cli -p "$REDIS_PORT" client list | grep -q 'flags=b .* cmd=eval'; }

teardown() { kill_test_pids; }

@test "a resource held by name and then added to a pool is not handed out by the pool" {
  held="$(lockctl acquire x --owner plain --json)"
  run -0 lockctl pool set P x y
  run -0 lockctl acquire --pool P --json
  assert_output --partial '"resources":["y"]'
  run -75 lockctl acquire --pool P --no-wait
  run -75 lockctl acquire x --no-wait
  run -0 lockctl status P --json
  assert_output --partial '"name":"x","slots":1,"fence":1,"leaving":false,"held":1'
  assert_output --partial '"owner":"plain"'
  # the holder still reaches its lease: renew and release by name
  run -0 lockctl renew x --token "$(token_of "$held")"
  run -0 lockctl release x --token "$(token_of "$held")"
  assert_output ""
  run -0 lockctl acquire --pool P --json
  assert_output --partial '"resources":["x"]'
  assert_output --partial '"fence":2'
}

@test "run keeps renewing its lease after its resource joins a pool" {
  lockctl run x --ttl 2s --owner runner -- sh -c 'touch started; while [ ! -e stop ]; do sleep 0.05; done' 3>&- &
  pid=$!
  wait_until 10 test -e started
  lockctl pool set P x
  # two TTLs: the lease must have been renewed at its new place
  sleep 4
  run -75 lockctl acquire --pool P --no-wait
  touch stop
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 0 ]
  run -0 lockctl acquire --pool P --no-wait
}

@test "a held member removed from its pool is not handed out by name; its lease goes on" {
  run -0 lockctl pool set P x
  held="$(lockctl acquire --pool P --owner pooled --json)"
  run -0 lockctl pool remove P x
  run -75 lockctl acquire x --no-wait
  run -0 lockctl status x --json
  assert_output --partial '"leaving":true,"held":1'
  assert_output --partial '"owner":"pooled"'
  run -0 lockctl renew x --token "$(token_of "$held")"
  run -0 lockctl release x --token "$(token_of "$held")"
  assert_output ""
  run -0 lockctl acquire x --no-wait --json
  assert_output --partial '"fence":2'
  # gone from the pool for good once free
  run -0 lockctl pool list --json
  assert_output '{}'
}

@test "a waiter on a resource follows it into a pool and is granted there" {
  held="$(lockctl acquire x --json)"
  lockctl acquire x --owner follower --json >granted 3>&- &
  pid=$!
  wait_queue x 1
  lockctl pool set P x
  lockctl release x --token "$(token_of "$held")"
  wait "$pid"
  run cat granted
  assert_output --partial '"resources":["x"]'
  assert_output --partial '"fence":2'
}

@test "fences of one resource never go backwards, whichever way it is acquired" {
  last=0
  step() {
    local out fence
    out="$(lockctl acquire "$@" --json)"
    fence="$(fence_of "$out")"
    [ "$fence" -gt "$last" ] || { echo "fence $fence after $last ($*)" >&2; return 1; }
    last="$fence"
    lockctl release "$(sed 's/.*"resources":\["\([^"]*\)".*/\1/' <<<"$out")" --token "$(token_of "$out")"
  }
  step x
  step x --slots 2
  lockctl pool set P x
  step --pool P
  step x
  lockctl pool remove P x
  step x
  lockctl pool set Q x
  step --pool Q
  lockctl pool remove Q x
  lockctl pool set P x
  step --pool P
  [ "$last" -eq 7 ]
}

@test "a semaphore added to a pool keeps its slots and holders" {
  lockctl acquire s --slots 2 >/dev/null
  lockctl acquire s --slots 2 >/dev/null
  lockctl pool set P s
  run -75 lockctl acquire --pool P --no-wait
  run -0 lockctl status P --json
  assert_output --partial '"name":"s","slots":2,"fence":2,"leaving":false,"held":2'
}

@test "concurrent pool set A x / pool set B x: one wins, the other exits 2 and changes nothing (x50)" {
  for round in $(seq 1 50); do
    flush_redis
    lockctl pool set A x a1 2>errA & pa=$!
    lockctl pool set B x b1 2>errB & pb=$!
    ra=0 rb=0
    wait "$pa" || ra=$?
    wait "$pb" || rb=$?
    if [ "$ra" -eq 0 ]; then winner=A loser=B rl=$rb; else winner=B loser=A rl=$ra; fi
    [ "$((ra + rb))" -eq 2 ] || { echo "round $round: exits $ra $rb" >&2; false; }
    [ "$rl" -eq 2 ]
    run cat "err$loser"
    assert_output "lockctl: error: MEMBER: 'x' is already in pool '$winner'"
    run -0 lockctl pool list
    assert_output "$winner ${winner,,}1 x"
  done
}

@test "a pool add that named the pool before a remove emptied it is refused once a plain lock has the name" {
  lockctl pool set P a
  # the add's first step (naming P a pool) is held in Redis, then the add stops right after it
  redis-cli -p "$REDIS_PORT" client pause 60000 write >/dev/null
  lockctl pool add P b 2>add.err 3>&- &
  local add=$!
  echo "$add" >add.pid
  wait_until 10 script_held
  kill -STOP "$add"
  redis-cli -p "$REDIS_PORT" client unpause >/dev/null
  wait_until 10 eval '! script_held'
  # meanwhile the pool is emptied, so its name is free, and a plain lock takes it
  run -0 lockctl pool remove P a
  run -0 lockctl acquire P --owner plain
  kill -CONT "$add"
  local rc=0
  wait "$add" || rc=$?
  [ "$rc" = 2 ] || { cat add.err; false; }
  run -0 cat add.err
  assert_output "lockctl: error: POOL: 'P' is a resource (pool and resource names must differ)"
  # P is a plain lock only; b was never taken in
  run -0 lockctl pool list
  assert_output ""
  run -2 lockctl acquire --pool P --no-wait
  assert_output --partial "unknown pool 'P'"
  run -0 lockctl status P --json
  assert_output --partial '"owner":"plain"'
  run -0 lockctl acquire b --no-wait --json
  assert_output --partial '"fence":1'
}

@test "pool and resource names never collide" {
  lockctl acquire staging >/dev/null
  run -2 lockctl pool set staging s1
  assert_output "lockctl: error: POOL: 'staging' is a resource (pool and resource names must differ)"
  lockctl pool set uat uat-1
  run -2 lockctl acquire uat
  assert_output "lockctl: error: RESOURCE: 'uat' is a pool (use --pool uat)"
  run -2 lockctl run uat -- true
  assert_output "lockctl: error: RESOURCE: 'uat' is a pool (use --pool uat)"
  run -2 lockctl force-release uat
  assert_output "lockctl: error: RESOURCE: 'uat' is a pool, not a resource (name one of its members)"
  run -2 lockctl pool set other uat
  assert_output "lockctl: error: MEMBER: 'uat' is a pool (pool and resource names must differ)"
  run -2 lockctl pool set uat-1 z
  assert_output "lockctl: error: POOL: 'uat-1' is a resource (pool and resource names must differ)"
  run -0 lockctl pool list
  assert_output "uat uat-1"
}

@test "a name that carries a reservation, labels or properties is a resource: pool set of it is refused" {
  run -0 lockctl reserve held-back --note maintenance
  run -0 lockctl pool set-labels tagged linux
  run -0 lockctl pool set-props described url=https://x.example
  for name in held-back tagged described; do
    run -2 lockctl pool set "$name" s1
    assert_output "lockctl: error: POOL: '$name' is a resource (pool and resource names must differ)"
  done
  # nothing changed: no pool, and each name is still the resource it was
  run -0 lockctl pool list
  assert_output ""
  run -0 lockctl unreserve held-back
  run -0 lockctl acquire tagged --no-wait --json
  run -0 lockctl status described --json
  assert_output --partial '"url":"https://x.example"'
  run -0 lockctl acquire s1 --no-wait --json
  assert_output --partial '"fence":1'
}

@test "durations have upper bounds, named with the flag" {
  run -2 lockctl acquire x --ttl 36500d
  assert_output "lockctl: error: --ttl: 36500d is longer than the limit 1d"
  run -2 lockctl acquire x --wait 400d
  assert_output "lockctl: error: --wait: 400d is longer than the limit 7d"
  run -2 lockctl acquire x --keep-alive --max-hold 90d
  assert_output "lockctl: error: --max-hold: 90d is longer than the limit 30d"
  run -2 lockctl run x --kill-grace 2h -- true
  assert_output "lockctl: error: --kill-grace: 2h is longer than the limit 1h"
  run -2 lockctl renew x --token 0123456789abcdef0123456789abcdef --ttl 1000000d
  assert_output "lockctl: error: --ttl: 1000000d is longer than the limit 1d"
  run -0 lockctl acquire x --ttl 1d --json
  refute_output --partial '"expires_at":"1'
}
