#!/usr/bin/env bats
# report junit: golden output, both JUnit schemas, flaky modes, suites, trimming, nasty strings.

load helpers/suite
load helpers/report_common

setup_file() { suite_start; }

@test "the vendored JUnit schemas are present in the repository" {
  report_check_schemas
}

@test "result records become JUnit valid against both schemas (flaky as pass)" {
  run -0 report junit --flaky-as pass "$REPORT_FIXTURES/results.jsonl" -o junit.xml
  assert_output "report: junit.xml: 6 tests in 2 suites, 2 failures, 1 errors, 1 skipped"
  assert_junit_valid junit.xml
  assert_golden junit.xml junit-pass.xml
}

@test "flakyFailure (the default) validates against junit-10.xsd; jenkins-junit.xsd has no such element" {
  run -0 report junit -q "$REPORT_FIXTURES/results.jsonl" -o junit.xml
  assert_output ""
  assert_junit_valid junit.xml junit-10
  assert_golden junit.xml junit-flaky.xml
  run ! xmllint --noout --schema "$REPORT_SCHEMAS/jenkins-junit.xsd" junit.xml
}

@test "--flaky-as duplicate writes a failed and a passed testcase" {
  run -0 report junit --flaky-as duplicate "$REPORT_FIXTURES/results.jsonl" -o junit.xml
  assert_junit_valid junit.xml
  assert_golden junit.xml junit-duplicate.xml
  run -0 grep -c '<testcase name="search"' junit.xml
  assert_output 2
}

@test "TAP from bats and prove becomes valid JUnit" {
  run -0 report junit "$REPORT_FIXTURES/bats.tap" "$REPORT_FIXTURES/prove.tap" -o junit.xml
  assert_junit_valid junit.xml
  assert_golden junit.xml junit-tap.xml
}

@test "--suite-name puts every test in one suite; stdout by default" {
  run -0 report junit --suite-name nightly --flaky-as pass - <"$REPORT_FIXTURES/results.jsonl"
  echo "$output" >out.xml
  assert_junit_valid out.xml
  run -0 grep -c '<testsuite ' out.xml
  assert_output 1
  run -0 grep -c '<testsuite name="nightly" tests="6" failures="2" errors="1" skipped="1"' out.xml
}

@test "nasty strings are cleaned: NUL, ANSI, U+FFFE, lone surrogates, ]]>, markup" {
  run -0 report junit --flaky-as pass "$REPORT_FIXTURES/nasty.jsonl" -o junit.xml
  assert_junit_valid junit.xml
  assert_golden junit.xml junit-nasty.xml
  run ! grep -q $'\x1b' junit.xml
  run -0 grep -c 'NUL\\x00 ' junit.xml
}

@test "system-out is trimmed head and tail (--max-output)" {
  /usr/bin/python3 -c 'import json; print(json.dumps({"name":"big","classname":"c","status":"passed","stdout_tail":"H"*100+"M"*5000+"T"*100}))' >big.jsonl
  run -0 report junit --max-output 100 big.jsonl -o junit.xml
  assert_junit_valid junit.xml
  run -0 grep -c "^\[… 5000 bytes trimmed …\]$" junit.xml
  run -2 report junit --max-output lots big.jsonl -o junit.xml
  assert_output --partial "report: error: --max-output"
}

@test "bad flag values name the flag" {
  run -2 report junit --flaky-as maybe "$REPORT_FIXTURES/results.jsonl"
  assert_output "report: error: --flaky-as: 'maybe' is not one of flaky, pass, duplicate"
  run -2 report junit --on-duplicate first "$REPORT_FIXTURES/results.jsonl"
  assert_output "report: error: --on-duplicate: 'first' is not one of keep-all, last, worst"
  run -2 report junit --bogus
  assert_output --partial "report: error:"
  run -2 report frobnicate
  assert_output "report: error: 'frobnicate': unknown command (see report --help)"
}

@test "--fail-on-failure exits 1 when a test failed" {
  run -1 report junit --fail-on-failure -q "$REPORT_FIXTURES/results.jsonl" -o junit.xml
  assert_junit_valid junit.xml junit-10
  printf '1..1\nok 1 fine\n' >ok.tap
  run -0 report junit --fail-on-failure -q ok.tap -o junit.xml
}

@test "--help lists the flags, and the exit codes" {
  run -0 report junit --help
  assert_output --partial "--flaky-as"
  assert_output --partial "--max-output"
  assert_output --partial "Exit status:"
  run -0 report merge --help
  refute_output --partial "--suite-name"
  run -0 report --help
  assert_output --partial "From result files (INPUT: a file, or - for stdin):"
  assert_output --partial "History in Redis:"
  local command
  for command in junit merge summary annotate metrics html store history serve; do
    assert_output --regexp "(^|"$'\n'")  $command "
  done
}

@test "a testcase without a name keeps the file: named (unnamed #N), with a warning naming file and line" {
  printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' '<testsuite name="s" tests="3">' \
    '  <testcase classname="c" name="ok"/>' '  <testcase classname="c"><failure message="boom"/></testcase>' \
    '  <testcase classname="c" name="also ok"/>' '</testsuite>' >in.xml
  run --separate-stderr report junit in.xml -o out.xml
  assert_success
  [ "$stderr" = "$(printf '%s\n' 'report: warning: in.xml:4:3: <testcase> without a name attribute; kept as "(unnamed #1)"' \
    'report: out.xml: 3 tests in 1 suites, 1 failures, 0 errors, 0 skipped')" ] || { echo "$stderr"; false; }
  assert_junit_valid out.xml
  grep -q 'name="(unnamed #1)"' out.xml
  [ "$(grep -c '<testcase ' out.xml)" = 3 ]
}

# junit_meaning FILE: what FILE means, element by element (tests/helpers/junit_meaning.py).
junit_meaning() {
  /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/junit_meaning.py" "$1"
}

@test "Surefire's flakyFailure, flakyError, rerunFailure and rerunError survive with their trace and output" {
  run -0 report junit -q "$REPORT_FIXTURES/surefire-rerun.xml" -o junit.xml
  assert_junit_valid junit.xml junit-10
  junit_meaning "$REPORT_FIXTURES/surefire-rerun.xml" >expected
  junit_meaning junit.xml >actual
  diff -u expected actual
  # every kind is there, each with its own trace and output (the comparison above cannot be vacuous)
  [ "$(grep -c " flakyFailure type='org.opentest4j.AssertionFailedError' .* system-out='cart: adding sku-1 (attempt " actual)" = 2 ]
  grep -q " flakyError type='java.net.ConnectException' message='Connection refused' stackTrace='java.net.ConnectException: Connection refused\\\\n.* system-err='retrying \]\]> payment gateway\\\\n'" actual
  [ "$(grep -c " rerunFailure type='java.lang.AssertionError' " actual)" = 2 ]
  grep -q " rerunError type='java.net.SocketTimeoutException' message='gateway timeout' stackTrace='java.net.SocketTimeoutException: gateway timeout\\\\n'" actual
  # Surefire before 2.22.1 put the trace in the element's text; it is written as <stackTrace>
  run -0 xmllint --xpath 'string(//testcase[@name="stock"]/flakyFailure/stackTrace)' junit.xml
  assert_line --index 0 'java.lang.AssertionError: stale stock'
  # and the run's verdict is unchanged: the reruns of a failed test do not make it flaky
  run -0 report junit "$REPORT_FIXTURES/surefire-rerun.xml" -o junit.xml
  assert_output "report: junit.xml: 7 tests in 3 suites, 1 failures, 1 errors, 1 skipped"
}

@test "report's own flaky records are written as Jenkins reads them: details in <stackTrace>" {
  run -0 report junit -q "$REPORT_FIXTURES/results.jsonl" -o junit.xml
  run -0 xmllint --xpath 'string(//testcase[@name="search"]/flakyFailure/stackTrace)' junit.xml
  assert_output $'first attempt: exit status 1\n\nconnection reset'
  run -0 xmllint --xpath 'string(//testcase[@name="search"]/flakyFailure/@type)' junit.xml
  assert_output flaky
}

@test "--flaky-as pass drops rerun elements (jenkins-junit.xsd has none) and stays valid against both schemas" {
  run -0 report junit -q --flaky-as pass "$REPORT_FIXTURES/surefire-rerun.xml" -o junit.xml
  assert_junit_valid junit.xml
  run -1 grep -E 'flaky(Failure|Error)|rerun(Failure|Error)' junit.xml
  run -0 xmllint --xpath 'string(//testcase[@name="addsItem"]/system-out)' junit.xml
  assert_output '[flaky: passed on attempt 3; earlier failure: expected: <2> but was: <1>]'
}
