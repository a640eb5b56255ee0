#!/usr/bin/env bats
# report summary: Markdown and text, failures first, size cap.

load helpers/suite
load helpers/report_common

setup_file() { suite_start; }

@test "Markdown summary: golden, failures first, escaped names" {
  run -0 report summary "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/nasty.jsonl" -o summary.md
  assert_golden summary.md summary.md
  run -0 grep -c '&lt;script&gt;alert\\(1\\)&lt;/script&gt;' summary.md
  run ! grep -q '<script>' summary.md
}

@test "text summary for GitLab and Jenkins logs: golden" {
  run -0 report summary --format text "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/bats.tap" -o summary.txt
  assert_golden summary.txt summary.txt
}

@test "appends to \$GITHUB_STEP_SUMMARY from stdout" {
  export GITHUB_STEP_SUMMARY="$BATS_TEST_TMPDIR/step.md"
  echo "# before" >"$GITHUB_STEP_SUMMARY"
  report summary "$REPORT_FIXTURES/results.jsonl" >>"$GITHUB_STEP_SUMMARY"
  run -0 head -2 "$GITHUB_STEP_SUMMARY"
  assert_output "# before
## ❌ Test results: 1 failed, 1 errored, 1 timed out, 1 passed, 1 flaky, 1 skipped (6 tests, 10m20s)"
}

@test "never over --max-bytes: least important parts go first" {
  /usr/bin/python3 - <<'PY' >big.jsonl
import json
for i in range(2000):
    print(json.dumps({"name": f"test {i}", "classname": "big", "status": "failed" if i % 2 else "skipped",
                      "duration_s": i / 10, "message": f"boom {i}", "stderr_tail": "x" * 3000}))
PY
  for max in 1MiB 100000 5000 300; do
    for format in markdown text; do
      run -0 report summary --max-bytes "$max" --format "$format" big.jsonl -o s.out
      size=$(stat -c %s s.out)
      limit=$(case $max in 1MiB) echo 1048576 ;; *) echo "$max" ;; esac)
      [ "$size" -le "$limit" ] || { echo "$format $max: $size bytes" >&2; false; }
    done
  done
  run -0 report summary --max-bytes 100000 big.jsonl
  assert_output --partial "### Failed tests (1000)"
  refute_output --partial "Skipped tests"
  assert_output --partial "_Parts of this summary were left out to stay under 100000 bytes._"
  run -2 report summary --max-bytes 10 big.jsonl
  assert_output "report: error: --max-bytes: at least 64 bytes"
  run -2 report summary --format html big.jsonl
  assert_output "report: error: --format: 'html' is not one of markdown, text"
}
