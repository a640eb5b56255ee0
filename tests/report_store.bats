#!/usr/bin/env bats
# report store / history: capped Redis streams, pass and flake rates, duration trend.

load helpers/suite
load helpers/report_common

setup_file() { suite_start small_stream_redis; }

# run_with STATUS DURATION RUN: one record of web.e2e::search
record() {
  printf '{"name":"search","classname":"web.e2e","status":"%s","duration_s":%s,"run_id":"%s"}\n' "$1" "$2" "$3"
  printf '{"name":"login","classname":"web.e2e","status":"passed","duration_s":1,"run_id":"%s"}\n' "$3"
}

@test "store appends the run and each test to streams capped with MAXLEN" {
  export GITHUB_SHA=abc123 GITHUB_REF_NAME=main
  run -0 report store "$REPORT_FIXTURES/results.jsonl"
  assert_output "report: stored run nightly@2026-11-22T02:00:00Z (6 tests) in redis://127.0.0.1:$REDIS_PORT/0"
  run -0 redis-cli -p "$REDIS_PORT" xlen "$CIUTILS_NAMESPACE:{report}:runs"
  assert_output 1
  run -0 redis-cli -p "$REDIS_PORT" zcard "$CIUTILS_NAMESPACE:{report}:tests"
  assert_output 6
  run -0 redis-cli -p "$REDIS_PORT" --raw xrange "$CIUTILS_NAMESPACE:{report}:test:web.e2e::checkout flow" - +
  assert_output --partial $'status\nfailed'
  assert_output --partial $'commit\nabc123'
  run -0 redis-cli -p "$REDIS_PORT" ttl "$CIUTILS_NAMESPACE:{report}:runs"
  [ "$output" -gt 0 ]
}

@test "a run of more than one batch (2,000 tests a script) joins the runs stream after all of its results" {
  /usr/bin/python3 -c '
for i in range(2500):
    print("{\"name\":\"t%d\",\"classname\":\"big\",\"status\":\"passed\",\"duration_s\":1}" % i)' >big.jsonl
  redis-cli -p "$REDIS_PORT" monitor >monitor.log 3>&- &
  local monitor=$!
  wait_until 10 grep -q '^OK' monitor.log
  report store -q big.jsonl
  redis-cli -p "$REDIS_PORT" echo stored >/dev/null
  wait_until 10 grep -q '"echo" "stored"' monitor.log
  kill "$monitor"
  local runs_at last_test_at
  runs_at="$(grep -n '"XADD" "'"$CIUTILS_NAMESPACE"':{report}:runs"' monitor.log | cut -d: -f1)"
  last_test_at="$(grep -n '"XADD" "'"$CIUTILS_NAMESPACE"':{report}:test:' monitor.log | tail -1 | cut -d: -f1)"
  [ "$(grep -c '"XADD" "'"$CIUTILS_NAMESPACE"':{report}:test:' monitor.log)" = 2500 ]
  [ "$runs_at" -gt "$last_test_at" ]
}

@test "history: pass rate, flake rate and trend over the stored runs" {
  for i in 1 2 3 4; do
    status=passed
    [ "$i" = 2 ] && status=flaky
    [ "$i" = 3 ] && status=failed
    record "$status" "$i" "run-$i" >r$i.jsonl
    run -0 report store -q r$i.jsonl
  done
  run -0 report history --test search
  assert_line --index 0 "web.e2e::search"
  assert_line --partial "failed  3.000s  run-3"
  assert_line "  pass rate 75.0%, flake rate 25.0%, mean 2.500s, trend +133% over 4 runs"
  run -0 report history
  assert_line --partial "75.0%    25.0%    4      2.500s     +133%   web.e2e::search"
  assert_line --partial "100.0%   0.0%     4      1.000s     +0%     web.e2e::login"
  run -0 report history --json --test web.e2e::login
  assert_output --partial '"test":"web.e2e::login","runs":4,"passed":4'
  run -2 report history --test nope
  assert_output "report: error: --test: no stored results for 'nope'"
}

@test "streams stay capped (--max-per-test), approximately as MAXLEN ~ allows" {
  for i in $(seq 1 30); do
    record passed 1 "r$i" >r.jsonl
    report store -q --max-per-test 5 --max-runs 5 r.jsonl
  done
  run -0 redis-cli -p "$REDIS_PORT" xlen "$CIUTILS_NAMESPACE:{report}:test:web.e2e::search"
  [ "$output" -ge 5 ] && [ "$output" -le 12 ]
  run -0 redis-cli -p "$REDIS_PORT" xlen "$CIUTILS_NAMESPACE:{report}:runs"
  [ "$output" -ge 5 ] && [ "$output" -le 12 ]
}

@test "each stored run counts once per suite, with the suite's worst status, in one hash" {
  record failed 1 run-1 >r.jsonl
  printf '{"name":"x","classname":"api","status":"skipped","duration_s":0}\n' >>r.jsonl
  run -0 report store -q r.jsonl
  record passed 1 run-2 >r.jsonl
  run -0 report store -q r.jsonl
  run -0 redis-cli -p "$REDIS_PORT" hgetall "$CIUTILS_NAMESPACE:{report}:finished"
  assert_equal "$(paste - - <<<"$output" | sort | tr '\t\n' '= ')" "failed:web.e2e=1 passed:web.e2e=1 skipped:api=1 "
  run -0 redis-cli -p "$REDIS_PORT" pttl "$CIUTILS_NAMESPACE:{report}:finished"
  [ "$output" -gt 0 ]
}

@test "Redis unreachable: exit 3 naming the redacted URL" {
  run -3 report store --redis "redis://:hunter2@127.0.0.1:1/0" "$REPORT_FIXTURES/results.jsonl"
  assert_output --partial "report: error:"
  refute_output --partial hunter2
}

@test "--namespace NS puts every key under NS (flag over \$CIUTILS_NAMESPACE), as in lockctl" {
  record passed 1 run-1 >r.jsonl
  run -0 report store -q --namespace team-a r.jsonl
  run -0 redis-cli -p "$REDIS_PORT" --scan --pattern '*'
  assert_equal "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" \
    "team-a:{report}:finished team-a:{report}:runs team-a:{report}:test:web.e2e::login team-a:{report}:test:web.e2e::search team-a:{report}:tests "
  run -0 report history --namespace team-a --test search
  assert_line --index 0 "web.e2e::search"
  run -0 report history
  assert_output "no stored runs"
  CIUTILS_NAMESPACE=team-a run -0 report history --json --test web.e2e::login
  assert_output --partial '"runs":1'
  CIUTILS_NAMESPACE=team-a run -0 report history --namespace team-b
  assert_output "no stored runs"
  run -0 report html --history --namespace team-a r.jsonl -o page.html
  grep -q '<td>web.e2e::search</td>' page.html
}

@test "an invalid --namespace is exit 2 naming it, before Redis is asked (lockctl's rule and message)" {
  record passed 1 run-1 >r.jsonl
  for ns in 'a:b' 'a{b' 'a}b' 'a b' ''; do
    run -2 report store --namespace "$ns" --redis redis://127.0.0.1:1/0 r.jsonl
    assert_output "report: error: --namespace: invalid namespace '$ns'"
  done
  run -2 report history --namespace 'x:y'
  assert_output "report: error: --namespace: invalid namespace 'x:y'"
  CIUTILS_NAMESPACE='x y' run -2 report store r.jsonl
  assert_output "report: error: --namespace: invalid namespace 'x y'"
  run -2 report html --history --namespace '{x}' r.jsonl -o page.html
  assert_output "report: error: --namespace: invalid namespace '{x}'"
  [ ! -e page.html ]
  run -0 redis-cli -p "$REDIS_PORT" dbsize
  assert_output 0
  run -0 report store --help
  assert_output --partial "--namespace NS        key prefix (else \$CIUTILS_NAMESPACE, ciutils)"
}

@test "history sorts by flakiness by default; --sort failures|recent|name; --limit takes the first in that order" {
  for i in 1 2 3 4; do
    retried=passed alternating=passed
    [ $((i % 2)) = 0 ] && retried=flaky && alternating=failed
    for t in "steady passed" "broken failed" "retried $retried" "alternating $alternating"; do
      set -- $t
      printf '{"name":"%s","classname":"web","status":"%s","duration_s":1,"run_id":"run-%s"}\n' "$1" "$2" "$i"
    done >r.jsonl
    report store -q r.jsonl
  done
  printf '{"name":"steady","classname":"web","status":"passed","duration_s":1,"run_id":"run-5"}\n' >r.jsonl
  report store -q r.jsonl  # steady is now the most recently run
  names() { awk 'NR > 1 { print $NF }' <<<"$output" | tr '\n' ' '; }
  run -0 report history
  assert_equal "$(names)" "web::retried web::alternating web::broken web::steady "
  run -0 report history --limit 1
  assert_equal "$(names)" "web::retried "
  run -0 report history --sort recent --limit 1
  assert_equal "$(names)" "web::steady "
  run -0 report history --sort failures
  assert_equal "$(names)" "web::broken web::alternating web::steady web::retried "
  run -0 report history --sort name
  assert_equal "$(names)" "web::alternating web::broken web::retried web::steady "
  run -0 report history --json --sort flaky --limit 2
  assert_output --partial '"test":"web::retried","runs":4,"passed":2,"failed":0,"flaky":2'
  assert_output --partial '"test":"web::alternating","runs":4,"passed":2,"failed":2,"flaky":0,"skipped":0,"pass_rate":5E-1,"flake_rate":0E0'
  assert_output --partial '"flips":3'
  run -2 report history --sort random
  assert_output "report: error: --sort: 'random' is not one of flaky, failures, recent, name"
}
