#!/usr/bin/env bats
# examples/canary: schedule daemon + schedule work run canaries with timeouts, report store
# keeps their results, report serve shows them (what `scripts/bootstrap canary` starts).

load helpers/suite

setup_file() { suite_start; }

teardown() {
  # wait for its cleanup (it stops its Redis), before bats removes the directory it is in
  if [ -n "${canary_pid:-}" ]; then
    kill "$canary_pid" 2>/dev/null
    wait "$canary_pid" 2>/dev/null
  fi
  return 0
}

@test "the canary example comes up with a throwaway Redis, shows every canary's result, and stops clean" {
  env -u REDIS_URL -u CIUTILS_NAMESPACE TMPDIR="$BATS_TEST_TMPDIR" CANARY_LISTEN=127.0.0.1:0 \
    "$CIUTILS_SOURCE_DIR/examples/canary/run.sh" >canary.out 2>&1 3>&- &
  canary_pid=$!
  wait_until 30 grep -q '^canary: dashboard http' canary.out || { cat canary.out >&2; false; }
  url="$(sed -n 's/^canary: dashboard \(http[^ ]*\)\/ .*/\1/p' canary.out)"
  # login passes, checkout fails, health hangs and is killed by its 2 s timeout
  shown() {
    curl -sS -f "$url/metrics" >metrics.txt &&
      grep -q '^ciutils_report_test_last_status{suite="shop",test="login",status="passed"} 1$' metrics.txt &&
      grep -q '^ciutils_report_test_last_status{suite="shop",test="checkout",status="failed"} 1$' metrics.txt &&
      grep -q '^ciutils_report_test_last_status{suite="api",test="health",status="timeout"} 1$' metrics.txt &&
      grep -q '^ciutils_report_test_last_status{suite="shop",test="search",' metrics.txt &&
      grep -Eq '^ciutils_report_runs_finished_total\{suite="api",status="timeout"\} [1-9]' metrics.txt
  }
  wait_until 40 shown || { cat canary.out metrics.txt >&2; false; }
  run -0 promtool check metrics <metrics.txt
  run -0 curl -sS -f "$url/"
  assert_output --partial '<title>Canaries</title>'
  assert_output --partial '<a class="suite" href="/suite/api">api</a>'
  assert_output --partial '<a class="suite" href="/suite/shop">shop</a>'
  run -0 promtool check config "$CIUTILS_SOURCE_DIR/examples/canary/prometheus.yml"
  dir="$(sed -n 's/^canary: logs in \([^ ]*\) .*/\1/p' canary.out)"
  [ -S "$dir/redis/redis.sock" ]
  kill -TERM "$canary_pid"
  rc=0
  wait "$canary_pid" || rc=$?
  canary_pid=
  assert_equal "$rc" 143
  # everything it started is gone, its Redis and directory with it
  [ ! -e "$dir" ]
  run ! pgrep -f "$dir"
}
