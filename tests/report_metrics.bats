#!/usr/bin/env bats
# report metrics: Prometheus text parsed back strictly (and by promtool when installed),
# written atomically, pushed to a Pushgateway with PUT.

load helpers/suite
load helpers/report_common

setup_file() { suite_start pushgateway; }

@test "metrics parse back strictly: counts, histogram, per-suite gauges, no timestamps" {
  run -0 report metrics "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/nasty.jsonl" -o report.prom
  assert_golden report.prom metrics.prom
  run -0 /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/report_promparse.py" report.prom
  assert_line 'ciutils_report_tests{status="failed"} 2'
  assert_line 'ciutils_report_test_duration_seconds_bucket{le="+Inf"} 7'
  assert_line 'ciutils_report_test_duration_seconds_count{} 7'
  assert_line 'ciutils_report_suite_tests{suite="nasty \"quotes\" & <tags>",status="skipped"} 1'
  assert_line 'ciutils_report_failed{} 1'
  if command -v promtool >/dev/null; then
    run -0 promtool check metrics <report.prom
  fi
}

@test "the .prom file is replaced atomically and kept on bad input" {
  run -0 report metrics "$REPORT_FIXTURES/results.jsonl" -o report.prom
  cp report.prom before.prom
  echo '{"name":1,"status":"passed"}' >bad.jsonl
  run -2 report metrics bad.jsonl -o report.prom
  assert_output "report: error: bad.jsonl:1: field 'name' must be a string"
  cmp report.prom before.prom
  [ "$(ls -A | grep -c prom)" = 2 ]
}

@test "--push PUTs the same text to the Pushgateway, grouped by job and instance" {
  run -0 report metrics --push "http://127.0.0.1:$PUSHGATEWAY_PORT" --job nightly --instance agent-7 \
    "$REPORT_FIXTURES/results.jsonl" -o report.prom
  run -0 head -2 "$BATS_FILE_TMPDIR/requests/000.req"
  assert_output "PUT /metrics/job/nightly/instance/agent-7
text/plain; version=0.0.4"
  tail -n +3 "$BATS_FILE_TMPDIR/requests/000.req" >pushed.prom
  cmp pushed.prom report.prom
}

@test "a Pushgateway that refuses gives exit 3; a bad URL exit 2" {
  run -3 report metrics --push "http://127.0.0.1:$PUSHGATEWAY_PORT" --job broken "$REPORT_FIXTURES/results.jsonl" -o r.prom
  assert_output --partial "report: error: PUT http://127.0.0.1:$PUSHGATEWAY_PORT/metrics/job/broken: HTTP 500"
  run -2 report metrics --push "ftp://example" "$REPORT_FIXTURES/results.jsonl"
  assert_output "report: error: --push: 'ftp://example' is not an http:// or https:// URL"
}

@test "--max-series caps per-suite cardinality: the smallest suites are summed as (other), with a warning" {
  for i in 1 2 3 4 5; do echo "{\"name\":\"t$i\",\"classname\":\"big\",\"status\":\"failed\"}"; done >many.jsonl
  for i in $(seq -w 1 29); do echo "{\"name\":\"t\",\"classname\":\"s$i\",\"status\":\"passed\"}"; done >>many.jsonl
  run -0 --separate-stderr report metrics many.jsonl --max-series 100 -o m.prom
  [ "$stderr" = 'report: warning: 20 suites summed as suite="(other)" to stay within --max-series 100 (classnames make one series per status each)' ]
  run -0 /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/report_promparse.py" m.prom
  [ "$(grep -c '^' m.prom | tr -d ' ')" -gt 0 ]
  [ "$(grep -v '^#' m.prom | wc -l)" -le 100 ]
  [ "$(grep -o 'suite="[^"]*"' m.prom | sort -u | wc -l)" = 11 ]
  grep -qx 'ciutils_report_suite_tests{suite="(other)",status="passed"} 20' m.prom
  grep -qx 'ciutils_report_suite_tests{suite="big",status="failed"} 5' m.prom
  grep -qx 'ciutils_report_suite_tests{suite="s09",status="passed"} 1' m.prom
  # Within the cap nothing is folded and nothing is said.
  run -0 --separate-stderr report metrics many.jsonl -o all.prom
  [ -z "$stderr" ]
  [ "$(grep -o 'suite="[^"]*"' all.prom | sort -u | wc -l)" = 30 ]
  run -2 report metrics many.jsonl --max-series 10
  assert_output "report: error: --max-series: must be at least 100, got 10"
}
