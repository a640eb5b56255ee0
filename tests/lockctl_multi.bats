#!/usr/bin/env bats
# Several named resources at once: all of them or none, in one script on their pool's
# scope; no partial hold while waiting, no deadlock, FIFO with the other waiters.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

token_of() { sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' <<<"$1"; }
held_count() {
  lockctl status "$1" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"][0]["held"])'
}

@test "acquire and run take several resources of one pool under one lease" {
  lockctl pool set envs db-1 queue-1 web-1
  run -0 lockctl acquire queue-1 db-1 --json
  assert_output --partial '"resources":["queue-1","db-1"]'
  assert_output --partial '"fences":[1,1]'
  token="$(token_of "$output")"
  run -75 lockctl acquire db-1 web-1 --no-wait
  assert_output "lockctl: error: could not acquire db-1 and web-1: busy (--no-wait)"
  # all or nothing: web-1 was not taken by the refused request
  run -0 lockctl acquire web-1 --no-wait
  run -0 lockctl release db-1 --token "$token"
  run -0 lockctl status queue-1 --json
  assert_output --partial '"held":0'
  run -0 lockctl run db-1 queue-1 -- sh -c 'echo "$LOCKCTL_RESOURCES|$LOCKCTL_FENCES"'
  assert_output "db-1 queue-1|2 2"
}

@test "resources taken together must share one pool" {
  lockctl pool set envs db-1
  lockctl pool set other queue-1
  run -2 lockctl acquire db-1 plain
  assert_output "lockctl: error: RESOURCE: resources taken together must be members of one pool, and 'plain' is in none (lockctl pool add POOL db-1 plain)"
  run -2 lockctl acquire db-1 queue-1
  assert_output "lockctl: error: RESOURCE: resources taken together must be members of one pool: 'db-1' is in pool 'envs', 'queue-1' in pool 'other'"
  run -2 lockctl acquire db-1 db-1
  assert_output "lockctl: error: RESOURCE: 'db-1' is given twice"
  run -2 lockctl acquire db-1 envs
  assert_output "lockctl: error: RESOURCE: 'envs' is a pool (use --pool envs)"
  run -2 lockctl run db-1 queue-1 sh
  assert_output "lockctl: error: COMMAND: missing (put the command after --)"
}

@test "a waiter for several resources holds none of them while it waits, then gets all" {
  lockctl pool set envs a b
  held="$(lockctl acquire b --json)"
  lockctl acquire a b --owner both --json >granted 3>&- &
  pid=$!
  wait_queue a 1
  [ "$(held_count a)" = 0 ]
  # strict FIFO: a request behind it does not take a meanwhile
  run -75 lockctl acquire a --no-wait
  run -0 lockctl status a
  assert_line --regexp '^  1\. both  wants a \+ b  waiting '
  lockctl release b --token "$(token_of "$held")"
  wait "$pid"
  run cat granted
  assert_output --partial '"resources":["a","b"]'
}

@test "a request for several resources is not starved by single requests behind it" {
  lockctl pool set envs a b
  held="$(lockctl acquire a --json)"
  lockctl acquire a b --owner both --json >both 3>&- &
  both=$!
  wait_queue a 1
  lockctl acquire b --owner single --json >single 3>&- &
  single=$!
  wait_queue a 2
  [ "$(held_count b)" = 0 ]
  lockctl release a --token "$(token_of "$held")"
  wait "$both"
  run cat both
  assert_output --partial '"resources":["a","b"]'
  running "$single"
  lockctl release a --token "$(token_of "$(cat both)")"
  wait "$single"
  run cat single
  assert_output --partial '"resources":["b"]'
}

@test "crossing requests (a b / b a) never deadlock and never overlap" {
  lockctl pool set envs a b c
  # each command marks what it holds; a second holder of a resource finds the mark
  cat >work.sh <<'SH'
for r in $LOCKCTL_RESOURCES; do mkdir "mark.$r" 2>/dev/null || echo "overlap on $r" >>overlaps; done
sleep 0.02
for r in $LOCKCTL_RESOURCES; do rmdir "mark.$r"; done
echo done >>finished
SH
  pids=()
  for i in $(seq 1 8); do
    lockctl run a b --wait 60s -- sh work.sh 3>&- &
    pids+=($!)
    lockctl run b a --wait 60s -- sh work.sh 3>&- &
    pids+=($!)
    lockctl run c a --wait 60s -- sh work.sh 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ ! -e overlaps ]
  [ "$(wc -l <finished)" = 24 ]
}

@test "a pool change that separates waited-for resources ends the wait with exit 2" {
  lockctl pool set envs a b
  held="$(lockctl acquire a --json)"
  lockctl acquire a b --owner both 2>err 3>&- &
  pid=$!
  wait_queue a 1
  lockctl pool remove envs b
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" = 2 ]
  run cat err
  assert_output "lockctl: error: RESOURCE: resources taken together must be members of one pool, and 'b' is in none (lockctl pool add POOL a b)"
  run -0 lockctl status a --json
  assert_output --partial '"queue":[]'
}
