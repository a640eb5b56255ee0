#!/usr/bin/env bats
# redis+sentinel://: the tools find the primary through three sentinels (a primary, a
# replica and three sentinels started here), and fail with exit 3 naming each sentinel's
# answer when none names one.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis
load helpers/redis_sentinel

setup_file() {
  start_redis_sentinel
}

teardown_file() {
  stop_redis_sentinel
}

setup() {
  common_setup
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
