#!/usr/bin/env bats
# Waiting: FIFO, priority, wake-ups, dead holders and dead waiters.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "waiters are granted in arrival order" {
  holder="$(lockctl acquire q)"
  for i in 1 2 3 4 5; do
    lockctl run q --owner "w$i" -- sh -c "echo $i >>order" 3>&- &
    wait_queue q "$i"
  done
  run lockctl status q
  assert_line --index 3 --regexp '^  1\. w1  wants q'
  lockctl release q --token "$(sed -n 2p <<<"$holder")"
  wait
  run cat order
  assert_output "$(printf '1\n2\n3\n4\n5')"
}

@test "a higher --priority waiter goes first" {
  holder="$(lockctl acquire q)"
  lockctl run q --owner low -- sh -c 'echo low >>order' 3>&- &
  wait_queue q 1
  lockctl run q --owner high --priority 5 -- sh -c 'echo high >>order' 3>&- &
  wait_queue q 2
  lockctl release q --token "$(sed -n 2p <<<"$holder")"
  wait
  run cat order
  assert_output "$(printf 'high\nlow')"
}

@test "kill -9 of the holder: the next waiter gets the resource within TTL + 1s" {
  lockctl run h --ttl 2s -- sh -c 'echo $$ >child.pid; exec sleep 60' 3>&- &
  holder_pid=$!
  wait_until 10 bash -c '[ "$(lockctl status h --json | grep -c "\"held\":1")" = 1 ]'
  kill -9 "$holder_pid"
  start=$(date +%s%N)
  run -0 lockctl acquire h --wait 20s
  elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "granted after ${elapsed_ms} ms" >&3
  [ "$elapsed_ms" -le 3000 ]
  run lockctl history h
  assert_output --partial "expired"
  # The command died with its lockctl (docs/lockctl.md: nothing runs without its lease).
  wait_until 10 eval '! running "$(cat child.pid)"'
}

@test "kill -9 of a waiter: it drops out of the queue and the queue heals" {
  holder="$(lockctl acquire w)"
  lockctl acquire w --owner doomed 3>&- >/dev/null 2>&1 &
  doomed=$!
  wait_queue w 1
  lockctl run w --owner survivor -- true 3>&- &
  survivor=$!
  wait_queue w 2
  kill -9 "$doomed"
  wait_queue w 1
  run lockctl status w
  assert_output --partial "survivor"
  refute_output --partial "doomed"
  lockctl release w --token "$(sed -n 2p <<<"$holder")"
  wait "$survivor"
  run lockctl history w
  assert_output --partial "abandoned  doomed"
}

@test "SIGTERM to a waiter removes it from the queue at once" {
  holder="$(lockctl acquire t)"
  lockctl acquire t --owner leaver 3>&- >/dev/null 2>err &
  pid=$!
  wait_queue t 1
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 143 ]
  run cat err
  assert_output "lockctl: error: interrupted by SIGTERM while waiting for t"
  run queue_length t
  assert_output 0
}

@test "SIGHUP to a waiter removes it from the queue: exit 129, as acquire --help and run --help say" {
  holder="$(lockctl acquire h)"
  lockctl run h --owner hungup -- true 3>&- >/dev/null 2>err &
  pid=$!
  wait_queue h 1
  kill -HUP "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 129 ]
  run cat err
  assert_output "lockctl: error: interrupted by SIGHUP while waiting for h"
  run queue_length h
  assert_output 0
  for command in acquire run; do
    run -0 lockctl "$command" --help
    assert_output --regexp "SIGINT, SIGTERM or SIGHUP [a-z ,:]*130, 143 or 129"
  done
}

@test "--wait gives up with 75 and leaves the queue; --conflict-exit-code changes the code" {
  holder="$(lockctl acquire c)"
  run -75 lockctl acquire c --wait 300ms
  assert_output "lockctl: error: could not acquire c within --wait 300ms"
  run -9 lockctl acquire c --no-wait --conflict-exit-code 9
  run queue_length c
  assert_output 0
}
