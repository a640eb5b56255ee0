#!/usr/bin/env bats
# report annotate: GitHub workflow commands, escaped, at most 10 per type.

load helpers/suite
load helpers/report_common

setup_file() { suite_start; }

@test "annotations: golden" {
  run -0 report annotate "$REPORT_FIXTURES/results.jsonl" "$REPORT_FIXTURES/bats.tap" "$REPORT_FIXTURES/nasty.jsonl"
  echo "$output" >annotations.txt
  assert_golden annotations.txt annotate.txt
}

@test "test output cannot inject workflow commands; properties are escaped" {
  /usr/bin/python3 - <<'PY' >evil.jsonl
import json
print(json.dumps({"name": "a,b:c", "classname": "x", "status": "failed", "file": "src/a,b:c.cpp", "line": 3,
                  "message": "100% broken\r\n::add-mask::hunter2\n::set-output name=x::y",
                  "stderr_tail": "\n::stop-commands::token\n::error::fake"}))
PY
  run -0 report annotate evil.jsonl
  assert_output "::error file=src/a%2Cb%3Ac.cpp,line=3,title=x › a%2Cb%3Ac failed::100%25 broken%0D%0A::add-mask::hunter2%0A::set-output name=x::y%0A%0A::stop-commands::token%0A::error::fake"
  [ "${#lines[@]}" -eq 1 ]
}

@test "at most 10 per type, the rest summarised in the tenth" {
  for i in $(seq 1 14); do
    printf '{"name":"t%s","classname":"c","status":"failed","message":"m%s"}\n' "$i" "$i"
  done >many.jsonl
  run -0 report annotate many.jsonl
  [ "${#lines[@]}" -eq 10 ]
  assert_line --index 9 "::error title=5 more failed tests::c › t10, c › t11, c › t12, c › t13, c › t14"
  run -0 report annotate --max-per-type 3 many.jsonl
  [ "${#lines[@]}" -eq 3 ]
  run -2 report annotate --max-per-type 0 many.jsonl
  assert_output --partial "report: error: --max-per-type"
}

@test "a green run prints nothing and exits 0; --fail-on-failure exits 1 on red" {
  printf '1..1\nok 1 fine\n' >ok.tap
  run -0 report annotate --fail-on-failure ok.tap
  assert_output ""
  run -1 report annotate --fail-on-failure "$REPORT_FIXTURES/results.jsonl"
}
