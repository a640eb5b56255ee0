#!/usr/bin/env bats
# Plan files: steps in order, cleanup always, per-slot setup/teardown, errors with positions.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/prun_common

setup_file() { suite_start; }

@test "steps run in order: a command, a list side by side, a job queue" {
  cat >plan.json <<'JSON'
{
  "env": {"GREETING": "hi"},
  "steps": [
    {"name": "build", "command": "echo built >>log"},
    {"name": "lint", "commands": ["echo lint-$PRUN_SLOT-$CI_COMMAND_NUMBER >>log", "echo lint-$PRUN_SLOT-$CI_COMMAND_NUMBER >>log"]},
    {"name": "tests", "jobs": ["echo t1 $GREETING $STEP >>log", {"name": "two", "command": "echo t2 >>log"}],
     "workers": 2, "env": {"STEP": "s"}}
  ]
}
JSON
  run -0 prun -q -f plan.json --results r.jsonl
  [ "$(head -1 log)" = built ]
  grep -qx lint-0-0 log
  grep -qx lint-1-1 log
  grep -qx "t1 hi s" log
  [ "$(field r.jsonl two classname)" = tests ]
  check_results r.jsonl 5
}

@test "a failing step skips the rest; cleanup always runs, each one, and never fails the run by itself" {
  cat >plan.json <<'JSON'
{
  "steps": ["exit 3", "echo never >>log"],
  "cleanup": ["exit 9", "echo cleaned >>log"]
}
JSON
  run -1 prun -q -f plan.json --results r.jsonl
  [ "$(cat log)" = cleaned ]
  [ "$(field r.jsonl 'echo never >>log' status)" = skipped ]
  [ "$(field r.jsonl 'exit 9' classname)" = cleanup ]
  cat >plan.json <<'JSON'
{"steps": ["true"], "cleanup": ["exit 9"]}
JSON
  run -0 prun -q -f plan.json
}

@test "per-slot setup and teardown run once per slot, teardown even after a failure" {
  cat >plan.json <<'JSON'
{
  "workers": 3,
  "setup": "echo up-$PROJECT_NAME >>$HOME/log",
  "teardown": "echo down-$PRUN_SLOT >>$HOME/log",
  "steps": [{"jobs": ["exit 1", "true", "true", "true"]}]
}
JSON
  run -1 prun -q --run-id r1 -f plan.json
  [ "$(grep '^up-' "$HOME/log" | sort)" = $'up-r1-0\nup-r1-1\nup-r1-2' ]
  [ "$(grep '^down-' "$HOME/log" | sort)" = $'down-0\ndown-1\ndown-2' ]
}

@test "plan commands fill {%} and {#}, and leave the shell's \${#} alone" {
  cat >plan.json <<'JSON'
{
  "workers": 2,
  "setup": "echo setup-{%} >>$HOME/log",
  "steps": [{"jobs": ["echo job-{#}-slot-{%}-$PRUN_SLOT >>$HOME/log"]},
            {"command": "set -- a b; echo args-${#} >>$HOME/log"}]
}
JSON
  run -0 prun -q -f plan.json
  grep -qx setup-0 "$HOME/log"
  grep -qx setup-1 "$HOME/log"
  grep -Eqx 'job-3-slot-([01])-\1' "$HOME/log"
  grep -qx args-2 "$HOME/log"
}

@test "a step timeout applies to its jobs" {
  echo '{"steps": [{"command": "sleep 5", "timeout": "0.2s"}]}' >plan.json
  run -1 prun -q -f plan.json --results r.jsonl
  [ "$(field r.jsonl 'sleep 5' status)" = timeout ]
}

@test "plan errors name file, line and column" {
  printf '{\n  "steps": [\n    {"command": "a", "timeout": "soon"}\n  ]\n}\n' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp '^prun: error: plan.json:3:[0-9]+: '
  printf '{\n  "steps": [\n    {"comand": "a"}\n  ]\n}\n' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp "^prun: error: plan.json:3:[0-9]+: unknown field 'comand'"
  printf '{\n  "steps": [\n    "a",\n' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp '^prun: error: plan.json:[0-9]+:[0-9]+: '
  run -2 prun -f missing.json
  assert_output --partial "prun: error: missing.json"
}

@test "the example plans are valid" {
  for plan in "$CIUTILS_SOURCE_DIR"/examples/prun/*.json; do
    run -0 prun --dry-run -f "$plan"
    assert_output --partial "setup (per slot): docker compose"
  done
}

@test "an empty plan, a value out of range and a directory are refused, naming the field" {
  echo '{"steps": []}' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp "^prun: error: plan.json:1:[0-9]+: steps: a plan needs at least one step$"
  printf '{\n  "workers": 0,\n  "steps": ["true"]\n}\n' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp "^prun: error: plan.json:2:[0-9]+: workers: must be between 1 and 4096$"
  printf '{"steps": [{"jobs": ["true"], "retries": -1}]}' >plan.json
  run -2 prun -f plan.json
  assert_output --regexp "^prun: error: plan.json:1:[0-9]+: retries: must be between 0 and 1000$"
  mkdir dir
  run -2 prun -f dir
  assert_output "prun: error: --plan: dir: is a directory"
  run -2 prun -a dir
  assert_output "prun: error: --arg-file: dir: is a directory"
}

@test "records of skipped plan steps and hooks validate against the schema" {
  cat >plan.json <<'JSON'
{"workers": 1, "setup": "true", "teardown": "true", "steps": ["exit 1", {"name": "later", "jobs": ["true", "true"]}],
 "cleanup": ["true"]}
JSON
  run -1 prun -q --results r.jsonl -f plan.json
  check_results r.jsonl 6
  [ "$(field r.jsonl true status)" = skipped ]
  [ "$(field r.jsonl true exit_code)" = null ]
  [ "$(field r.jsonl true started_at)" = null ]
}
