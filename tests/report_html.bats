#!/usr/bin/env bats
# report html: one self-contained page, escaped everywhere, checked in headless chromium.

load helpers/suite
load helpers/report_common
load helpers/report_browser

setup_file() { suite_start redis; }

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

# paged_records N: N result records t00000…, every tenth failed; t00001 has a name
# that would end a script element if it were not escaped.
paged_records() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    name = "</script><script>alert(1)</script>" if i == 1 else f"t{i:05d}"
    print(json.dumps({"name": name, "classname": "c", "status": "failed" if i % 10 == 0 else "passed",
                      "message": "boom" if i % 10 == 0 else ""}))
PY
}

# rows: the rows of the table of every test in the dumped DOM, one a line.
rows() {
  grep -o '<tr data-status="[a-z]*"><td class="st [a-z]*">[a-z]*</td><td>[^<]*</td>' "$BATS_TEST_TMPDIR/dom.html" |
    sed -E 's|.*<td>([^<]*)</td>$|\1|'
}

@test "over 1,000 tests the table is paged in chromium: 200 rows a page, pager, filter, #page= and clicks" {
  paged_records 6001 >r.jsonl
  run -0 report html r.jsonl -o page.html
  [ "$(grep -c '^<tr data-status=' page.html)" = 200 ]  # the first page as markup, the rest as data
  report_dump_dom page.html
  assert_page_clean
  run -0 rows
  [ "${#lines[@]}" = 200 ] && [ "${lines[0]}" = t00000 ] && [ "${lines[199]}" = t00199 ]
  assert_line --index 1 '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
  [ "$(grep -o '<script' "$BATS_TEST_TMPDIR/dom.html" | wc -l)" = 3 ]  # onerror, data, the page's script
  grep -q '<span id="page-info">page 1 of 31</span>' "$BATS_TEST_TMPDIR/dom.html"
  grep -q 'All tests (<span id="shown">6001</span> of 6001)' "$BATS_TEST_TMPDIR/dom.html"
  grep -q '<button id="prev-page" disabled="">' "$BATS_TEST_TMPDIR/dom.html"

  # the address picks the filter and the page: 601 failed tests, the 4th page holds the last
  report_dump_dom "page.html#status=failed&page=4"
  assert_page_clean
  run -0 rows
  assert_output t06000
  grep -q '<span id="page-info">page 4 of 4</span>' "$BATS_TEST_TMPDIR/dom.html"
  grep -q 'All tests (<span id="shown">601</span> of 6001)' "$BATS_TEST_TMPDIR/dom.html"
  grep -q '<button id="next-page" disabled="">' "$BATS_TEST_TMPDIR/dom.html"

  # the buttons: next twice, then last
  sed 's|</body>|<script>var n=document.getElementById("next-page");n.click();n.click();</script></body>|' page.html >next.html
  report_dump_dom next.html
  assert_page_clean
  run -0 rows
  [ "${#lines[@]}" = 200 ] && [ "${lines[0]}" = t00400 ]
  grep -q '<span id="page-info">page 3 of 31</span>' "$BATS_TEST_TMPDIR/dom.html"
  sed 's|</body>|<script>document.getElementById("last-page").click();</script></body>|' page.html >last.html
  report_dump_dom last.html
  run -0 rows
  assert_output t06000
}

@test "up to 1,000 tests the table is all markup, with no pager" {
  paged_records 1000 >r.jsonl
  run -0 report html r.jsonl -o page.html
  [ "$(grep -c '^<tr data-status=' page.html)" = 1000 ]
  paged_records 1001 >r.jsonl
  run -0 report html r.jsonl -o paged.html
  [ "$(grep -c '^<tr data-status=' paged.html)" = 200 ]
  grep -q 'id="tests-data"' paged.html
  run -1 grep -E 'id="(tests-data|page-info)"' page.html
}

@test "failures and flaky tests past 1,000 are listed once in the table, not in full" {
  /usr/bin/python3 -c 'import json
for i in range(1200): print(json.dumps({"name": "f%d" % i, "classname": "c", "status": "failed", "message": "m"}))' >r.jsonl
  run -0 report html r.jsonl -o page.html
  grep -q '<h2>Failures (1200; the first 1000 listed, all in the table below)</h2>' page.html
  [ "$(grep -c '<li class="failure">' page.html)" = 1000 ]
}

@test "a small table filters in place, also from the address (#q=, #status=)" {
  run -0 report html "$REPORT_FIXTURES/results.jsonl" -o page.html
  report_dump_dom "page.html#q=CHECKOUT"
  assert_page_clean
  grep -q 'All tests (<span id="shown">1</span> of 6)' "$BATS_TEST_TMPDIR/dom.html"
  [ "$(grep -c '^<tr data-status="[a-z]*" style="display: none;">' "$BATS_TEST_TMPDIR/dom.html")" = 5 ]
  grep -q '^<tr data-status="failed"><td class="st failed">failed</td><td>checkout flow</td>' "$BATS_TEST_TMPDIR/dom.html"
  report_dump_dom "page.html#status=skipped"
  grep -q 'All tests (<span id="shown">1</span> of 6)' "$BATS_TEST_TMPDIR/dom.html"
}
