#!/usr/bin/env bats
# report html: one self-contained page, escaped everywhere, checked in headless chromium.

load helpers/common
load helpers/redis
load helpers/report_common
load helpers/report_browser

setup_file() {
  start_redis
}

teardown_file() {
  stop_redis
}

setup() {
  common_setup
}

@test "the page is self-contained and escapes every name: golden" {
  run -0 report html "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/nasty.jsonl" -o report.html
  assert_golden report.html report.html
  run ! grep -Eq '(src|href)=|url\(|@import' report.html
  run -0 grep -c '<script>' report.html
  assert_output 2
  run -0 grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' report.html
}

@test "chromium renders it with no console errors and the failure list present" {
  run -0 report html "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/bats.tap" "$REPORT_FIXTURES/nasty.jsonl" -o report.html
  report_dump_dom report.html
  assert_page_clean
  run -0 grep -c '<li class="failure">' "$BATS_TEST_TMPDIR/dom.html"
  assert_output 5
  # the <script> test name stayed text: the DOM holds only the page's own two scripts
  run -0 grep -o '<script' "$BATS_TEST_TMPDIR/dom.html"
  [ "${#lines[@]}" -eq 2 ]
  run -0 grep -c '&lt;script&gt;alert(1)&lt;/script&gt;' "$BATS_TEST_TMPDIR/dom.html"
}

@test "the page reports a script error when one happens (the check works)" {
  run -0 report html "$REPORT_FIXTURES/results.jsonl" -o report.html
  sed -i 's|</body>|<script>undefined_function();</script></body>|' report.html
  report_dump_dom report.html
  run ! assert_page_clean
  run -0 grep -o 'id="report-js-error">script error: Uncaught ReferenceError' "$BATS_TEST_TMPDIR/dom.html"
}

@test "--history adds pass rate, durations over the last runs and the flaky table" {
  for i in 1 2 3; do
    status=passed
    [ "$i" = 2 ] && status=failed
    printf '{"name":"search","classname":"web.e2e","status":"%s","duration_s":%s,"run_id":"run-%s"}\n' "$status" "$i" "$i" >r.jsonl
    report store -q r.jsonl
  done
  run -0 report html --history --last 10 "$REPORT_FIXTURES/results.jsonl" -o report.html
  report_dump_dom report.html
  assert_page_clean
  run -0 grep -c '<table id="flaky-tests">' "$BATS_TEST_TMPDIR/dom.html"
  run -0 grep -o '<td>web.e2e::search</td><td class="num">0.0%</td><td class="num">66.7%</td>' "$BATS_TEST_TMPDIR/dom.html"
  run -0 grep -c '<polyline' "$BATS_TEST_TMPDIR/dom.html"
}

@test "an unreachable Redis with --history is exit 3 and writes nothing" {
  run -3 report html --history --redis redis://127.0.0.1:1/0 "$REPORT_FIXTURES/results.jsonl" -o report.html
  [ ! -e report.html ]
}

@test "wording and one time format: passed on a retry, 14d7h6m9s as in the summary, long names wrap" {
  long="$(printf 'x%.0s' $(seq 1 300))"
  printf '%s\n' '{"name":"retried","classname":"c","status":"flaky"}' \
    "{\"name\":\"$long\",\"classname\":\"c\",\"status\":\"passed\",\"duration_s\":1235169}" >r.jsonl
  run -0 report html r.jsonl -o page.html
  run ! grep -q '1 attempts' page.html
  grep -q 'retried</b> <span class="cls">c</span> passed on a retry' page.html
  grep -q '<b>14d7h6m9s</b>total time' page.html
  grep -q 'overflow-wrap:anywhere' page.html
  run -0 report summary r.jsonl
  assert_output --partial '14d7h6m9s'
  refute_output --partial '1 attempts'
}
