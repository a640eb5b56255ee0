#!/usr/bin/env bats
# lockctl run: environment, exit status pass-through, lease loss, --max-hold, signals.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "run exports the lease and passes the command's exit status through" {
  run -7 lockctl run uat -- sh -c 'echo "$LOCKCTL_RESOURCE $LOCKCTL_RESOURCES $LOCKCTL_FENCE ${#LOCKCTL_TOKEN}"; exit 7'
  assert_output "uat uat 1 32"
  run -0 lockctl run uat -- true
  # released at the end
  run -0 lockctl acquire uat --no-wait
}

@test "run reports a command that is not found (127) and releases" {
  run -127 lockctl run uat -- no-such-command-xyz
  assert_output "lockctl: error: cannot run 'no-such-command-xyz': No such file or directory"
  run -0 lockctl acquire uat --no-wait
}

@test "run renews the lease past its TTL" {
  run -0 lockctl run uat --ttl 1s -- sleep 1.6
  run lockctl history uat --json
  refute_output --partial '"event":"expired"'
  assert_output --partial '"event":"released"'
}

@test "lease loss (force-release) stops the command's whole group, grandchild included, exit 74" {
  lockctl run uat --ttl 2s --kill-grace 1s -- sh -c 'sleep 300 & echo $! >grandchild.pid; wait' 3>&- 2>err &
  pid=$!
  wait_until 10 test -s grandchild.pid
  grandchild="$(cat grandchild.pid)"
  kill -0 "$grandchild"
  lockctl force-release uat
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 74 ]
  run cat err
  assert_output --regexp "^lockctl: error: the lease was force-released on uat; stopping the command \(process group [0-9]+\)$"
  run kill -0 "$grandchild"
  [ "$status" -ne 0 ]
  run lockctl history uat --json
  assert_output --partial '"event":"lost"'
}

@test "Redis unreachable past the TTL: the command is stopped with 74" {
  lockctl run uat --ttl 1s --kill-grace 1s -- sleep 30 3>&- 2>err &
  pid=$!
  wait_until 10 bash -c '[ "$(lockctl status uat --json | grep -c "\"held\":1")" = 1 ]'
  redis-cli -p "$REDIS_PORT" client pause 4000 write >/dev/null
  redis-cli -p "$REDIS_PORT" client kill type normal >/dev/null || true
  rc=0
  wait "$pid" || rc=$?
  redis-cli -p "$REDIS_PORT" client unpause >/dev/null
  [ "$rc" -eq 74 ]
  run cat err
  assert_output --partial "lockctl: error: "
  assert_output --partial "stopping the command"
}

@test "--max-hold stops the command with 124 and releases" {
  run -124 lockctl run uat --max-hold 1s --kill-grace 1s -- sleep 30
  assert_output --regexp "^lockctl: error: held uat for --max-hold 1s; stopping the command"
  run -0 lockctl acquire uat --no-wait
}

@test "SIGTERM to run is forwarded to the command's group, then the lease is released" {
  lockctl run uat -- sh -c 'trap "echo got-term >trapped; exit 9" TERM; echo ready >ready; while :; do sleep 0.05; done' 3>&- &
  pid=$!
  wait_until 10 test -s ready
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 9 ]
  run cat trapped
  assert_output got-term
  run -0 lockctl acquire uat --no-wait
}

@test "run --pool --quantity exports every member and its fence" {
  lockctl pool set envs e1 e2 e3
  run -0 lockctl run --pool envs --quantity 2 -- sh -c 'echo "$LOCKCTL_RESOURCES|$LOCKCTL_FENCES"'
  assert_output "e1 e2|1 1"
}
