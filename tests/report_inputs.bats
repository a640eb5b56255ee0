#!/usr/bin/env bats
# report's inputs: format detection, several inputs and stdin, bad input named by
# position, empty inputs, unwritable outputs, nothing half-written.

load helpers/suite
load helpers/report_common

setup_file() { suite_start; }

@test "JSON Lines, TAP and JUnit XML are told apart by content, stdin included" {
  cp "$REPORT_FIXTURES/bats.tap" noext
  run -0 report junit -q "$REPORT_FIXTURES/results.jsonl" noext - -o all.xml <"$REPORT_FIXTURES/prove.tap"
  assert_junit_valid all.xml junit-10
  run -0 grep -c '<testcase ' all.xml
  assert_output 15
}

@test "a bad record is named by file, line and field" {
  printf '{"name":"a","status":"passed"}\n\n{"name":"b","status":"green"}\n' >bad.jsonl
  run -2 report junit bad.jsonl -o out.xml
  assert_output "report: error: bad.jsonl:3: field 'status' is 'green', not one of passed, failed, error, timeout, skipped, flaky"
  printf '{"name":"a","status":"passed"}\n{"name":"b",\n' >broken.jsonl
  run -2 report summary broken.jsonl
  assert_output --partial "report: error: broken.jsonl:2:"
  printf '{"status":"passed","duration_s":-1,"name":"x"}\n' >neg.jsonl
  run -2 report junit neg.jsonl
  assert_output "report: error: neg.jsonl:1: field 'duration_s' must be a number of seconds from 0 to 1e12"
  printf '{"status":"passed","duration_s":2e12,"name":"x"}\n' >long.jsonl
  run -2 report junit long.jsonl
  assert_output "report: error: long.jsonl:1: field 'duration_s' must be a number of seconds from 0 to 1e12"
  [ ! -e out.xml ]
}

@test "what report writes from TAP, report reads back, even with a timing beyond any clock" {
  # Found by fuzz/report_input: the timing became time="666…" that the JUnit reader refused.
  printf '1..2\nok 1 slow in 99999999999999999999999ms\nok 2 quick in 12ms\n' >t.tap
  run -0 report junit t.tap -o a.xml
  run -0 report junit a.xml -o b.xml
  run -0 xmllint --xpath 'string(//testcase[1]/@name)' b.xml
  assert_output "slow in 99999999999999999999999ms"
  run -0 xmllint --xpath 'string(//testcase[2]/@time)' b.xml
  assert_output "0.012"
}

@test "malformed TAP is named by line" {
  printf '1..2\nok 1 a\n1..2\n' >twice.tap
  run -2 report junit twice.tap
  assert_output "report: error: twice.tap:3: a second plan (the first is on line 1)"
  printf 'TAP version 14\n1..1\nnot ok 1 x\n  ---\n  message: boom\n' >open.tap
  run -2 report junit open.tap
  assert_output "report: error: open.tap:4: YAML diagnostics block not closed with '...'"
}

@test "a TAP run that stopped early shows as an error, a bail out too" {
  printf '1..3\nok 1 a\nnot ok 2 b\n' >short.tap
  run -0 report summary --format text short.tap
  assert_output --partial "error  short › TAP plan (0.00s): planned 3 tests but 2 ran"
  printf '1..3\nok 1 a\nBail out! lost the database\nok 2 b\n' >bail.tap
  run -0 report summary --format text bail.tap
  assert_output --partial "error  bail › Bail out! (0.00s): lost the database"
}

@test "malformed XML is named by line and column" {
  printf '<testsuites>\n<testsuite name="a" tests="1">\n<testcase name="x">\n</testsuite>\n' >bad.xml
  run -2 report merge bad.xml -o out.xml
  assert_output "report: error: bad.xml:4:3: malformed XML: mismatched tag"
  [ ! -e out.xml ]
}

@test "DOCTYPEs are refused: no entity expansion (billion laughs), no XXE" {
  cat >laughs.xml <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuites><testsuite name="&lol2;" tests="0"/></testsuites>
XML
  run -2 report merge laughs.xml -o out.xml
  assert_output "report: error: laughs.xml:2:16: a DOCTYPE is not allowed in JUnit XML (DTDs and entities are refused)"
  echo secret >secret.txt
  cat >xxe.xml <<XML
<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY xxe SYSTEM "file://$PWD/secret.txt">]>
<testsuites><testsuite name="s" tests="1"><testcase name="&xxe;"/></testsuite></testsuites>
XML
  run -2 report merge xxe.xml
  assert_output --partial "a DOCTYPE is not allowed"
  refute_output --partial secret
}

@test "a 0-byte results file is refused with exit 2, even with --allow-empty" {
  : >empty.jsonl
  run -2 report junit empty.jsonl -o out.xml
  assert_output "report: error: empty.jsonl: empty file (0 bytes): refusing it, as CI servers would show an \"[empty]\" failure"
  run -2 report junit --allow-empty empty.jsonl -o out.xml
  [ ! -e out.xml ]
}

@test "no results: a clear message, or with --allow-empty an empty valid report" {
  printf '1..0 # SKIP nothing to do\n' >none.tap
  run -2 report junit none.tap -o out.xml
  assert_output "report: error: none.tap: no test results (--allow-empty writes an empty report)"
  cp none.tap none2.tap
  run -2 report junit none.tap none2.tap -o out.xml
  assert_output "report: error: INPUT: no test results in none.tap or the 1 other input (--allow-empty writes an empty report)"
  [ ! -e out.xml ]
  run -0 report junit --allow-empty -q none.tap -o out.xml
  assert_junit_valid out.xml
  run -0 cat out.xml
  assert_output '<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="report" tests="0" failures="0" errors="0" time="0.000">
</testsuites>'
  run -0 report summary --allow-empty --format text none.tap
  assert_output --partial "PASSED — no tests"
}

@test "missing inputs, unknown formats and missing files name the input" {
  run -2 report junit
  assert_output "report: error: INPUT: missing: give result files (JSON Lines, TAP or JUnit XML), or - for stdin"
  echo "hello world" >what.txt
  run -2 report junit what.txt
  assert_output "report: error: what.txt: cannot tell the format (expected result records as JSON Lines, TAP or JUnit XML)"
  run -2 report junit nowhere.jsonl
  assert_output "report: error: nowhere.jsonl: No such file or directory"
  mkdir results
  run -2 report junit results
  assert_output "report: error: results: is a directory"
}

@test "an unwritable output fails and leaves nothing half-written" {
  mkdir ro
  chmod 555 ro
  if [ "$(id -u)" = 0 ]; then
    # root writes anywhere: use a directory that does not exist instead
    run ! report junit "$REPORT_FIXTURES/results.jsonl" -o missing/dir/junit.xml
  else
    run ! report junit "$REPORT_FIXTURES/results.jsonl" -o ro/junit.xml
  fi
  assert_output --partial "report: error:"
  [ -z "$(ls -A ro)" ]
  [ ! -e missing ]
}

@test "a failure part-way through leaves the previous output untouched" {
  echo "previous" >junit.xml
  { cat "$REPORT_FIXTURES/results.jsonl"; echo '{"name":"x","status":"nope"}'; } >half.jsonl
  run -2 report junit half.jsonl -o junit.xml
  assert_output --partial "half.jsonl:7: field 'status'"
  run -0 cat junit.xml
  assert_output "previous"
  [ "$(ls -A | grep -c junit)" = 1 ]
}
