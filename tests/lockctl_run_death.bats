#!/usr/bin/env bats
# lockctl run: nothing runs without its lease. The command dies with lockctl (kill -9),
# a command that ignores SIGTERM is killed after --kill-grace, and descendants that left
# the command's process group are killed at release and named.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

teardown() { kill_test_pids; }

@test "kill -9 of run ends the command's whole group; the next holder never overlaps" {
  lockctl run --ttl 2s uat -- sh -c 'sleep 1000 & echo $! >bg.pid; echo $$ >sh.pid; wait' 3>&- &
  echo $! >lockctl.pid
  wait_until 10 test -s bg.pid
  wait_until 10 test -s sh.pid
  kill -KILL "$(cat lockctl.pid)"
  # The next holder gets the lease when the TTL runs out; by then nothing of the first may run.
  run -0 lockctl run --wait 20s uat -- sh -c '
    for f in sh.pid bg.pid; do
      stat="$(ps -o stat= -p "$(cat $f)")" && [ "${stat#Z}" = "$stat" ] && echo "still running: $f"
    done
    echo second holder'
  assert_output "second holder"
}

@test "a command that ignores SIGTERM is killed after --kill-grace; exit 143, lease released" {
  lockctl run --kill-grace 1s uat -- sh -c 'trap "" TERM; echo $$ >cmd.pid; while :; do sleep 0.05; done' \
    2>run.err 3>&- &
  pid=$!
  wait_until 10 test -s cmd.pid
  kill -TERM "$pid"
  wait_until 20 eval '! running '"$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 143 ]
  run -0 cat run.err
  assert_output --regexp "^lockctl: warning: the command still ran --kill-grace 1s after SIGTERM; killing its process group [0-9]+$"
  ! running "$(cat cmd.pid)"
  run -0 lockctl acquire uat --no-wait
}

@test "a descendant that calls setsid is killed at release and named in a warning" {
  run -0 --separate-stderr lockctl run uat -- sh -c '
    setsid sleep 1000 >/dev/null 2>&1 & echo $! >esc.pid
    while [ "$(cat /proc/$!/comm)" != sleep ]; do sleep 0.01; done'
  esc="$(cat esc.pid)"
  [ "$stderr" = "lockctl: warning: killed sleep (pid $esc), which the command left running outside its process group" ]
  ! running "$esc"
}
