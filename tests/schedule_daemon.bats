#!/usr/bin/env bats
# schedule daemon: enqueues each slot as it falls due (Redis time), reloads on SIGHUP only
# when the new file validates, stops on SIGTERM.

load helpers/suite
load helpers/schedule_helpers

setup_file() { suite_start redis; }

teardown() { kill_test_pids; }

@test "daemon enqueues every slot once, reloads on SIGHUP, refuses an invalid file" {
  write_schedules s.json '{"name": "sec", "cron": "* * * * * *", "queue": "q"}'
  (schedule daemon -f s.json >daemon.out 2>daemon.log 3>&- & echo $! >daemon.pid)
  wait_until 15 sh -c "[ \"\$(redis-cli -p $REDIS_PORT XLEN '$(schedule_tasks_key q)')\" -ge 3 ]"
  # Consecutive seconds, none twice.
  run -0 sh -c "sort daemon.out | uniq -d"
  assert_output ""
  echo '{"schedules": [{"name": "sec", "cron": "99 * * * *", "queue": "q"}]}' >s.json
  kill -HUP "$(cat daemon.pid)"
  wait_until 10 grep -q "reload refused, keeping the previous schedules: s.json:1:" daemon.log
  write_schedules s.json '{"name": "other", "cron": "* * * * * *", "queue": "q2"}'
  kill -HUP "$(cat daemon.pid)"
  wait_until 10 grep -q "reloaded s.json: 1 schedules" daemon.log
  wait_until 15 sh -c "[ \"\$(redis-cli -p $REDIS_PORT XLEN '$(schedule_tasks_key q2)')\" -ge 1 ]"
  kill -TERM "$(cat daemon.pid)"
  wait_until 10 sh -c "! kill -0 $(cat daemon.pid)"
  run -0 grep -c "daemon: stopping" daemon.log
}

@test "daemon with an invalid file exits 2" {
  write_schedules s.json '{"name": "x", "cron": "* * *", "queue": "q"}'
  run -2 schedule daemon -f s.json
  assert_output --partial "field 'cron': expected 5 fields"
}
