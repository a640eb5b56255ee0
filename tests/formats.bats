#!/usr/bin/env bats
# The shared formats: the examples in docs/formats.md validate against docs/schemas/,
# and the schemas reject what they must.

load helpers/common

setup() {
  common_setup
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
