#!/usr/bin/env bats
# The GitHub Actions in actions/: node --test suites (tests/actions/*.test.js) run under
# Node 24, the runtime of `runs.using: node24`, installed by scripts/bootstrap into .deps/npm.

load helpers/common

setup() {
  common_setup
  NODE="$CIUTILS_SOURCE_DIR/.deps/npm/node_modules/.bin/node"
  [ -x "$NODE" ] || fail "$NODE missing: run scripts/bootstrap deps"
}

node_suite() {
  run "$NODE" --test --test-reporter=spec "$(ls "$CIUTILS_SOURCE_DIR"/tests/actions/"$1".test.*)"
  echo "$output"
  assert_success
  assert_line --regexp '^ℹ pass [1-9]'
  assert_line 'ℹ fail 0'
}

@test "actions/lock: grant, cancel, FIFO, a dead runner, post-step release" {
  node_suite lock
}

@test "actions/setup: runner checks, version, cache hit and miss, from-source" {
  node_suite setup
}

@test "every action.yml and example workflow: GitHub's parser, actionlint, shellcheck; broken files caught" {
  node_suite validate
}

@test "actions/run, report, fetch, notify, schedule-tick: steps run with the real tools and servers" {
  node_suite tools
}
