#!/usr/bin/env bats
# Mutual exclusion under contention: no lost update, semaphores never over capacity.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "20 concurrent run clients x 20 read-sleep-write increments give exactly 400" {
  echo 0 >counter
  cat >incr.sh <<'SH'
#!/bin/sh
read -r n <counter
sleep 0.001
echo $((n + 1)) >counter
SH
  chmod +x incr.sh
  for c in $(seq 1 20); do
    (
      for i in $(seq 1 20); do
        lockctl run counter --ttl 10s -- ./incr.sh || echo "client $c failed" >>failures
      done
    ) 3>&- &
  done
  wait
  [ ! -e failures ] || { cat failures; false; }
  run cat counter
  assert_output 400
  run lockctl status counter --json
  assert_output --partial '"fence":400'
  assert_output --partial '"holders":[]'
}

@test "a 3-slot semaphore never has more than 3 holders" {
  cat >slot.sh <<'SH'
#!/bin/sh
mkdir -p holders
touch "holders/$$"
ls holders | wc -l >>counts
sleep 0.05
rm "holders/$$"
SH
  chmod +x slot.sh
  for c in $(seq 1 8); do
    (
      for i in $(seq 1 4); do
        lockctl run sem --slots 3 --ttl 10s -- ./slot.sh
      done
    ) 3>&- &
  done
  wait
  run sort -n counts
  [ "$(wc -l <counts)" -eq 32 ]
  [ "$(sort -n counts | tail -1)" -le 3 ]
  # with 8 clients competing, the slots are actually shared
  [ "$(sort -n counts | tail -1)" -ge 2 ]
}

@test "a semaphore grants exactly its slot count at once" {
  run -0 lockctl acquire lic --slots 2 --no-wait
  run -0 lockctl acquire lic --slots 2 --no-wait
  run -75 lockctl acquire lic --slots 2 --no-wait
  assert_output "lockctl: error: could not acquire lic: busy (--no-wait)"
  run lockctl status lic --json
  assert_output --partial '"slots":2'
  assert_output --partial '"held":2'
}
