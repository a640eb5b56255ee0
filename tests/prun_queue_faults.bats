#!/usr/bin/env bats
# prun queue when nodes fail: a worker killed, a worker stopped past its lease, a job that
# kills its worker every time.

load helpers/suite
load helpers/prun_queue

setup_file() { suite_start redis; }

@test "kill -9 of a worker mid-run: its jobs finish on another, none lost, none recorded twice" {
  # Each job waits for the file go, so the doomed worker still holds its leases however
  # slowly the status polls come round on a busy machine.
  for i in $(seq 1 24); do echo "until [ -e '$PWD/go' ]; do sleep 0.05; done; echo $i"; done >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  prun queue work --queue q --run-id r -j 3 --lease-timeout 1s -q >/dev/null 2>&1 3>&- &
  echo $! >doomed.pid
  wait_until 60 holds_lease "$(cat doomed.pid)"
  kill -KILL "$(cat doomed.pid)"
  touch go
  # (the survivor's own leases are long: a slow machine must not make it lose one)
  run -0 --separate-stderr prun queue work --queue q --run-id r -j 4 --lease-timeout 5s --results b.jsonl
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 24
  once_each all.jsonl jobs.txt
  [ "$(qstatus duplicates)" = 0 ]
  [ "$(qstatus passed)" = 24 ]
  # the survivor ran what the dead worker held
  [ "$(wc -l <b.jsonl)" -ge 3 ]
}

@test "a worker stopped past its lease, then continued: its late result goes to the duplicates stream" {
  # The job waits for the file go, so it cannot end before the worker is stopped.
  job="until [ -e '$PWD/go' ]; do sleep 0.05; done; echo slow"
  echo "$job" >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  prun queue work --queue q --run-id r -j 1 --lease-timeout 1s --results a.jsonl >/dev/null 2>a.err 3>&- &
  stopped=$!
  echo "$stopped" >stopped.pid
  wait_until 60 holds_lease "$stopped"
  kill -STOP "$stopped"
  touch go
  # another worker takes the job once the lease has run out, runs it and records it
  run -0 --separate-stderr prun queue work --queue q --run-id r -j 1 --lease-timeout 5s --results b.jsonl
  check_results b.jsonl 1
  kill -CONT "$stopped"
  rc=0
  wait "$stopped" || rc=$?
  [ "$rc" = 0 ]
  check_results a.jsonl 1
  prun queue results --queue q --run-id r >all.jsonl
  check_results all.jsonl 1
  [ "$(qstatus duplicates)" = 1 ]
  [ "$(qstatus done)" = 1 ]
  grep -Fx "prun: job '$job' had already been recorded by another worker: this result went to the duplicates stream" a.err
  run -0 redis-cli -p "$REDIS_PORT" xlen "$CIUTILS_NAMESPACE:{prunq:q/r}:duplicates"
  assert_output 1
}

@test "a job that kills its worker's process group is quarantined after --max-crashes, not retried forever" {
  printf '%s\n' 'kill -KILL -$(ps -o pgid= -p $PPID | tr -d " ")' 'echo fine' >jobs.txt
  prun queue push --queue q --run-id r -a jobs.txt
  for crash in 1 2; do
    run -137 setsid -w prun queue work --queue q --run-id r -j 1 --lease-timeout 1s --max-crashes 2
  done
  run -0 --separate-stderr prun queue work --queue q --run-id r -j 1 --lease-timeout 1s --max-crashes 2
  [[ $stderr == *"prun: quarantined job 'kill -KILL -\$(ps -o pgid= -p \$PPID | tr -d \" \")': the worker running it was lost 2 times (--max-crashes); recorded as error"* ]]
  prun queue results --queue q --run-id r >all.jsonl
  "$CIUTILS_SOURCE_DIR/tests/helpers/validate_json.py" "$CIUTILS_SOURCE_DIR/docs/schemas/result.schema.json" all.jsonl
  once_each all.jsonl jobs.txt
  poison='kill -KILL -$(ps -o pgid= -p $PPID | tr -d " ")'
  [ "$(field all.jsonl "$poison" status)" = error ]
  [ "$(field all.jsonl "$poison" attempts)" = 2 ]
  [ "$(field all.jsonl "$poison" message)" = "quarantined: the worker running it was lost 2 times (its lease expired; --max-crashes 2)" ]
  [ "$(field all.jsonl 'echo fine' status)" = passed ]
  [ "$(qstatus quarantined)" = 1 ]
  run -1 prun queue wait --queue q --run-id r
}

@test "a worker that loses Redis past --lease-timeout lets its running jobs finish, then exits 3 naming the URL" {
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$BATS_TEST_TMPDIR" --pidfile "$BATS_TEST_TMPDIR/own-redis.pid" --logfile "$BATS_TEST_TMPDIR/own-redis.log" 3>&-
  wait_until 10 redis-cli -p "$port" ping
  url="redis://127.0.0.1:$port/0"
  for i in $(seq 1 20); do echo "sleep 0.3; echo $i"; done >jobs.txt
  prun queue push --redis "$url" --queue q --run-id r -a jobs.txt
  prun queue work --redis "$url" --queue q --run-id r -j 2 --lease-timeout 1s --results local.jsonl \
    >/dev/null 2>err 3>&- &
  worker=$!
  wait_until 10 test -s local.jsonl
  kill -KILL "$(cat own-redis.pid)"
  rc=0
  wait "$worker" || rc=$?
  [ "$rc" = 3 ] || { cat err; false; }
  grep -E "^prun: error: .*Redis.* at redis://127\.0\.0\.1:$port/0.* \(results of this worker since then are only local; its leased jobs return to the queue when their leases expire\)$" err
  check_results local.jsonl
}
