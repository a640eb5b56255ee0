#!/usr/bin/env bats
# report merge: several JUnit files into one, duplicates per --on-duplicate, totals recomputed.

load helpers/suite
load helpers/report_common

setup_file() { suite_start; }

totals() {
  head -2 "$1" | tail -1
}

@test "merging keeps every case by default and recomputes the totals" {
  run -0 report merge "$REPORT_FIXTURES/pytest.xml" "$REPORT_FIXTURES/rerun.xml" -o all.xml
  assert_output "report: all.xml: 7 tests in 1 suites, 1 failures, 1 errors, 1 skipped"
  assert_junit_valid all.xml junit-10
  assert_golden all.xml merge-keep-all.xml
  run -0 totals all.xml
  assert_output '<testsuites name="report" tests="7" failures="1" errors="1" time="5.500">'
}

@test "--on-duplicate last keeps the later result of each classname+name" {
  run -0 report merge -q --on-duplicate last --flaky-as pass "$REPORT_FIXTURES/pytest.xml" "$REPORT_FIXTURES/rerun.xml" -o all.xml
  assert_junit_valid all.xml
  assert_golden all.xml merge-last.xml
  run -0 totals all.xml
  assert_output '<testsuites name="report" tests="5" failures="0" errors="1" time="3.750">'
}

@test "--on-duplicate worst keeps the worse result" {
  run -0 report merge -q --on-duplicate worst --flaky-as pass "$REPORT_FIXTURES/pytest.xml" "$REPORT_FIXTURES/rerun.xml" -o all.xml
  assert_junit_valid all.xml
  run -0 totals all.xml
  assert_output '<testsuites name="report" tests="5" failures="1" errors="1" time="4.250">'
  run -0 grep -A1 'name="test_post"' all.xml
  assert_output --partial '<failure message="AssertionError: 500 != 200" type="failure">'
}

@test "merging its own output again changes nothing but the order-free totals" {
  run -0 report junit -q --flaky-as pass "$REPORT_FIXTURES/results.jsonl" -o one.xml
  run -0 report merge -q --flaky-as pass one.xml -o two.xml
  assert_junit_valid two.xml
  run -0 diff one.xml two.xml
}

@test "merged output keeps file and failure details from the inputs" {
  run -0 report annotate "$REPORT_FIXTURES/pytest.xml"
  assert_output "::error file=tests/test_api.py,line=20,title=tests.test_api › test_post failed::AssertionError: 500 != 200%0Aposting…"
}

@test "a Surefire rerun file survives merge unchanged in meaning, also merged with others and merged again" {
  junit_meaning() { /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/junit_meaning.py" "$1"; }
  run -0 report merge -q "$REPORT_FIXTURES/surefire-rerun.xml" -o once.xml
  assert_junit_valid once.xml junit-10
  junit_meaning "$REPORT_FIXTURES/surefire-rerun.xml" >expected
  junit_meaning once.xml >actual
  diff -u expected actual
  [ "$(grep -cE " (flaky|rerun)(Failure|Error) " actual)" = 7 ]
  run -0 report merge -q "$REPORT_FIXTURES/pytest.xml" once.xml -o twice.xml
  assert_junit_valid twice.xml junit-10
  junit_meaning twice.xml | grep -F "'com.example.shop." >actual
  diff -u expected actual
}
