#!/usr/bin/env bats
# redis+sentinel:// (a primary, two replicas and three sentinels started here): the tools
# find the primary through the sentinels, fail with exit 3 naming each sentinel's answer when
# none names one; --min-replicas waits for the replicas (WAIT) and fails with 3 when they do
# not acknowledge; and a failover under running tools loses nothing that was acknowledged.

load helpers/suite
load helpers/redis_sentinel
load helpers/schedule_helpers

setup_file() { suite_start redis_sentinel; }

# Background loops and workers a test started (their pids in bg.pids) stop with it.
teardown() {
  touch "$BATS_TEST_TMPDIR/stop"
  local pid
  for pid in $(cat "$BATS_TEST_TMPDIR/bg.pids" 2>/dev/null); do
    kill "$pid" 2>/dev/null || true
  done
}

@test "every tool finds the primary through the sentinels" {
  run -0 --separate-stderr lockctl acquire uat --owner sentinel-test
  run -0 redis-cli -p "$(primary_port)" --scan --pattern "$CIUTILS_NAMESPACE:*"
  [ -n "$output" ]
  run -0 lockctl status uat --json
  assert_output --partial '"owner":"sentinel-test"'
  run -0 schedule enqueue --queue e2e '{}'
  printf '{"name":"t","classname":"c","status":"passed","duration_s":1,"run_id":"r1"}\n' >r.jsonl
  run -0 report store -q r.jsonl
}

@test "a master name the sentinels do not know: exit 3 naming each sentinel's answer" {
  url="${REDIS_URL/mymaster/nosuchmaster}"
  run -3 lockctl status uat --redis "$url"
  first="${SENTINEL_PORTS%% *}"
  assert_output --partial "lockctl: error: cannot connect to Redis at ${url}: no sentinel named the primary (127.0.0.1:$first: does not know master 'nosuchmaster'; "
}

@test "no sentinel reachable: exit 3 after the connect timeout, naming each" {
  port="$(free_port)"
  run -3 lockctl status uat --redis "redis+sentinel://127.0.0.1:$port/mymaster"
  assert_output "lockctl: error: cannot connect to Redis at redis+sentinel://127.0.0.1:$port/mymaster/0: no sentinel named the primary (127.0.0.1:$port: Connection refused)"
}

# The replicas stay attached to the first primary until the failover tests below.
replica_pid() {
  cat "$REDIS_DIR/replica$1.pid"
}

@test "--min-replicas: with every replica up, enqueue, tick and acquire succeed" {
  run -0 --separate-stderr schedule enqueue --queue mr --name up --min-replicas 2 '{}'
  assert_output --partial '"id":"up@'
  write_schedules s.json '{"name": "every-minute", "cron": "* * * * *", "queue": "mr"}'
  run -0 --separate-stderr schedule tick -f s.json --min-replicas 2 --now 2026-06-01T00:00:00Z
  assert_output "every-minute@2026-06-01T00:00:00Z: enqueued"
  run -0 --separate-stderr lockctl acquire mr-lock --min-replicas 2 --owner up
  run -0 --separate-stderr lockctl status mr-lock --json
  assert_output --partial '"owner":"up"'
}

@test "--min-replicas: a replica paused: exit 3 naming how many acknowledged; a refused grant is released" {
  kill -STOP "$(replica_pid 2)"
  url="${REDIS_URL}"
  run -3 --separate-stderr schedule enqueue --queue mr --name paused --min-replicas 2 '{}'
  assert_equal "$stderr" "schedule: error: Redis at $url: only 1 of 2 replicas acknowledged the task within 1s (--min-replicas)"
  assert_output ""
  write_schedules s.json '{"name": "every-minute", "cron": "* * * * *", "queue": "mr"}'
  run -3 --separate-stderr schedule tick -f s.json --min-replicas 2 --now 2026-06-01T00:01:00Z
  assert_equal "$stderr" "schedule: error: Redis at $url: only 1 of 2 replicas acknowledged the tick's tasks and decisions on queue mr within 1s (--min-replicas)"
  run -3 --separate-stderr lockctl acquire paused-lock --min-replicas 2 --ttl 3s
  assert_equal "$stderr" "lockctl: error: Redis at $url: only 1 of 2 replicas acknowledged the grant of paused-lock within 1s (--min-replicas)"
  kill -CONT "$(replica_pid 2)"
  run -0 --separate-stderr lockctl status paused-lock --json
  assert_output --partial '"held":0'
  # one replica is enough for N=1
  run -0 --separate-stderr schedule enqueue --queue mr --name one --min-replicas 1 '{}'
}

@test "--min-replicas: bad values and cluster URLs are usage errors (exit 2), nothing written" {
  run -2 --separate-stderr schedule enqueue --queue mr --min-replicas -1 '{}'
  assert_equal "$stderr" "schedule: error: --min-replicas: -1 is out of range 0..100"
  run -2 --separate-stderr schedule enqueue --queue mr --min-replicas 1 --redis redis+cluster://127.0.0.1:1/ '{}'
  assert_equal "$stderr" "schedule: error: --min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)"
  run -2 --separate-stderr lockctl run x --min-replicas 101 -- true
  assert_equal "$stderr" "lockctl: error: --min-replicas: 101 is out of range 0..100"
  run -2 --separate-stderr lockctl acquire x --min-replicas 1 --redis redis+cluster://127.0.0.1:1/
  assert_equal "$stderr" "lockctl: error: --min-replicas: not supported on a Redis Cluster URL (each master has its own replicas)"
}

# The tools under a failover. Sentinel promotes one replica and moves the other to it at
# once, but demotes the old primary only some 10 s later; until then the old primary takes
# writes from whoever is still connected to it, and loses them when it is demoted. A write
# acknowledged by every replica (--min-replicas 2 here) is on the promoted one.

# holder N: `lockctl run fo-lock --min-replicas 2` in a loop until the file "stop" exists;
# each command marks the resource held (mkdir, which fails when another holder has it: an
# overlap), appends its fence, holds ~1 s (three renewals) and unmarks. Exit codes go to
# exits.N, messages to errors.N.
holder() {
  local status
  while [ ! -e stop ]; do
    status=0
    lockctl run fo-lock --min-replicas 2 --ttl 1s --wait 60s --owner "holder-$1" -- sh -c '
      mkdir held 2>/dev/null || echo "overlap at fence $LOCKCTL_FENCE" >>overlaps
      trap "rmdir held; exit 143" TERM
      echo "$LOCKCTL_FENCE" >>fences
      sleep 1 & wait
      rmdir held' 2>>"errors.$1" || status=$?
    echo "$status" >>"exits.$1"
  done
}

# feeder: `schedule enqueue --min-replicas 2` of tasks f1, f2, … until the file "stop"
# exists; "fN STATUS" lines in enqueued.
feeder() {
  local n=0 status
  while [ ! -e stop ]; do
    n=$((n + 1))
    status=0
    schedule enqueue -q --queue fo --name "f$n" --min-replicas 2 '{}' 2>>enqueue.err || status=$?
    echo "f$n $status" >>enqueued
  done
}

# zeros_since_mark N FILE: FILE has N lines "0" (or "... 0") after its first $(cat mark.FILE).
zeros_since_mark() {
  [ "$(tail -n +"$(($(cat "mark.$2") + 1))" "$2" | grep -c '\(^\| \)0$')" -ge "$1" ]
}

# going_on_after_failover: each holder has run its command twice more, and three more
# tasks were enqueued and acknowledged.
going_on_after_failover() {
  zeros_since_mark 2 exits.1 && zeros_since_mark 2 exits.2 && zeros_since_mark 2 exits.3 &&
    zeros_since_mark 3 enqueued
}

# all_acknowledged_done: every task enqueue acknowledged (exit 0) was run.
all_acknowledged_done() {
  local missing
  missing="$(awk '$2 == 0 { print $1 }' enqueued | sort -u | comm -23 - <(sort -u done))"
  [ -z "$missing" ]
}

# sum_of_counts: the total of grep -c's "file:count" lines.
sum_of_counts() {
  awk -F: '{ n += $NF } END { print n + 0 }'
}

@test "a failover under lockctl run, schedule work and a one-shot command: nothing acknowledged is lost" {
  : >enqueued
  : >done
  for i in 1 2 3; do
    : >"exits.$i"
    holder "$i" 3>&- &
    echo "$!" >>bg.pids
  done
  schedule work --queue fo --visibility 2s --retry-delay 1s -q -- sh -c 'echo "$TASK_SCHEDULE" >>done' \
    2>worker.err 3>&- &
  worker=$!
  feeder 3>&- &
  echo "$worker $!" >>bg.pids
  # every holder has had the lock and tasks are being done before the failover
  wait_until 30 sh -c '[ "$(grep -cx 0 exits.1 exits.2 exits.3 | grep -c ":0$")" = 0 ] && [ "$(wc -l <done)" -ge 3 ]' || {
    cat errors.* enqueue.err worker.err >&2
    false
  }
  fail_over
  # a one-shot command right away goes to the new primary, not to the old one that
  # still takes writes
  run -0 --separate-stderr schedule enqueue --queue one-shot --name right-after '{}'
  run -0 redis-cli -p "$NEW_PRIMARY" --scan --pattern "$CIUTILS_NAMESPACE:{q:one-shot}*"
  [ -n "$output" ]
  run -0 --separate-stderr lockctl status fo-lock --json
  for f in exits.1 exits.2 exits.3 enqueued; do wc -l <"$f" >"mark.$f"; done
  # the holders and the feeder go on without anyone's help
  wait_until 60 going_on_after_failover || {
    tail -n 3 exits.* enqueued errors.* enqueue.err >&2
    false
  }
  touch stop
  wait_until 30 all_acknowledged_done || {
    cat worker.err enqueue.err >&2
    false
  }
  run -0 running "$worker"
  kill -TERM "$worker"
  for pid in $(cat bg.pids); do wait "$pid" || true; done

  [ ! -e overlaps ]
  # fences strictly increase: no grant was lost with its fence and given again
  run -0 awk 'NR > 1 && $1 <= last { print "fence " $1 " after " last; bad = 1 } { last = $1 } END { exit bad }' fences
  # a holder either kept its lease (0) or was stopped (74); an acquire whose grant not
  # every replica acknowledged ran nothing and exited 3, saying so
  bad="$(cat exits.* | grep -vx -e 0 -e 3 -e 74 || true)"
  [ -z "$bad" ] || { echo "exit codes other than 0, 3 and 74: $bad" >&2; false; }
  [ "$(cat exits.* | grep -cx 3)" = "$(grep -c ' acknowledged the grant of fo-lock within 333ms (--min-replicas)$' errors.* | sum_of_counts)" ]
  [ "$(cat exits.* | grep -cx 74)" = "$(grep -c 'on fo-lock; stopping the command' errors.* | sum_of_counts)" ]
  # an enqueue either was acknowledged or failed with 3, saying so
  bad="$(awk '$2 != 0 && $2 != 3' enqueued)"
  [ -z "$bad" ] || { echo "unexpected: $bad" >&2; false; }
  [ "$(grep -c ' 3$' enqueued)" = "$(grep -c ' acknowledged the task within 1s (--min-replicas)$' enqueue.err)" ]
}
