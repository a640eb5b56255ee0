#!/usr/bin/env bats
# The shared formats: the examples in docs/formats.md validate against docs/schemas/,
# and the schemas reject what they must.

load helpers/suite

setup_file() { suite_start redis; }

setup() {
  suite_setup
  VALIDATE="$CIUTILS_SOURCE_DIR/tests/helpers/validate_json.py"
  SCHEMAS="$CIUTILS_SOURCE_DIR/docs/schemas"
}

# The JSON lines of docs/formats.md's code block that follows the given heading.
example_after() {
  awk -v heading="$1" '
    index($0, heading) == 1 { found = 1 }
    found && /^```json/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' "$CIUTILS_SOURCE_DIR/docs/formats.md"
}

@test "the result record example validates against result.schema.json" {
  example_after "## Result records" >record.jsonl
  [ -s record.jsonl ]
  run "$VALIDATE" "$SCHEMAS/result.schema.json" record.jsonl
  assert_success
}

@test "the task example validates against task.schema.json" {
  example_after "## Tasks" >task.jsonl
  [ -s task.jsonl ]
  run "$VALIDATE" "$SCHEMAS/task.schema.json" task.jsonl
  assert_success
}

@test "a result with an unknown status is rejected, naming the line and field" {
  printf '%s\n' \
    '{"name":"a","status":"passed","exit_code":0,"started_at":"2026-11-22T10:00:00Z","duration_s":1,"attempts":1}' \
    '{"name":"b","status":"exploded","exit_code":0,"started_at":"2026-11-22T10:00:00Z","duration_s":1,"attempts":1}' \
    >bad.jsonl
  run "$VALIDATE" "$SCHEMAS/result.schema.json" bad.jsonl
  assert_failure 1
  assert_output --partial "bad.jsonl:2: status: 'exploded' is not one of"
}

@test "a task without a payload object is rejected" {
  echo '{"id":"x@2026-11-22T02:00:00Z","queue":"e2e","attempt":1,"enqueued_at":"2026-11-22T02:00:00Z","payload":[1]}' >bad.jsonl
  run "$VALIDATE" "$SCHEMAS/task.schema.json" bad.jsonl
  assert_failure 1
  assert_output --partial "bad.jsonl:1: payload: [1] is not of type 'object'"
}

@test "prun's result records validate against result.schema.json" {
  printf '%s\n' 'true' 'exit 3' 'sleep 5' >jobs.txt
  run -1 prun -j 3 --timeout 0.3s --kill-sequence KILL --results results.jsonl -a jobs.txt
  [ "$(wc -l <results.jsonl)" -eq 3 ]
  run "$VALIDATE" "$SCHEMAS/result.schema.json" results.jsonl
  assert_success
}

@test "report reads what prun writes" {
  printf '%s\n' 'true' 'exit 3' >jobs.txt
  run -1 prun -j 2 --results results.jsonl -a jobs.txt
  run -0 report junit results.jsonl -o junit.xml
  run -0 xmllint --noout junit.xml
  run -0 xmllint --xpath 'string(/testsuites/@tests)' junit.xml
  assert_output 2
  run -0 xmllint --xpath 'string(/testsuites/@failures)' junit.xml
  assert_output 1
  run -0 xmllint --xpath 'string(//testcase[failure]/@name)' junit.xml
  assert_output "exit 3"
  run -0 xmllint --xpath 'string(//testcase[not(failure)]/@name)' junit.xml
  assert_output "true"
}

@test "schedule's tasks validate against task.schema.json" {
  run -0 --separate-stderr schedule enqueue --queue formats '{"test":"opm-tests-1","app":"opm"}'
  echo "$output" >enqueued.jsonl
  run "$VALIDATE" "$SCHEMAS/task.schema.json" enqueued.jsonl
  assert_success
  run -0 --separate-stderr schedule take --queue formats --wait 1s
  echo "$output" >taken.jsonl
  run "$VALIDATE" "$SCHEMAS/task.schema.json" taken.jsonl
  assert_success
}
