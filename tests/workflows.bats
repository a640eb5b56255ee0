#!/usr/bin/env bats
# .github/workflows/: checked with GitHub's own workflow parser (@actions/workflow-parser,
# installed by scripts/bootstrap from scripts/deps/workflows.npm).

load helpers/common

setup() {
  common_setup
  MODULES="$CIUTILS_SOURCE_DIR/.deps/npm/node_modules"
  [ -d "$MODULES/@actions/workflow-parser" ] || fail "@actions/workflow-parser missing: run scripts/bootstrap deps"
}

validate() {
  node --no-warnings --experimental-loader "$CIUTILS_SOURCE_DIR/tests/helpers/json_loader.mjs" \
    "$CIUTILS_SOURCE_DIR/tests/helpers/validate_workflow.mjs" "$MODULES" "$@"
}

@test "ci.yml and release.yml are valid workflows" {
  run validate "$CIUTILS_SOURCE_DIR/.github/workflows/ci.yml" "$CIUTILS_SOURCE_DIR/.github/workflows/release.yml"
  assert_success
  assert_output ""
}

@test "a broken workflow fails validation with the parser's messages" {
  local broken="$CIUTILS_SOURCE_DIR/tests/fixtures/workflows/broken.yml"
  run validate "$broken"
  assert_failure 1
  assert_line "$broken: $broken (Line: 9, Col: 9): Unexpected value 'run'"
  assert_line "$broken: $broken (Line: 10, Col: 5): Unexpected value 'timeout-minute'"
  assert_line "$broken: $broken (Line: 7, Col: 5): Required property is missing: runs-on"
}

@test "ci.yml runs scripts/bootstrap test in debian:12 on every push and pull request" {
  local ci="$CIUTILS_SOURCE_DIR/.github/workflows/ci.yml"
  grep -qx '  push:' "$ci"
  grep -qx '  pull_request:' "$ci"
  grep -qx '    container: debian:12' "$ci"
  grep -qx '        run: ./scripts/bootstrap test' "$ci"
}

@test "release.yml runs on version tags, runs scripts/release and attaches its five files" {
  local release="$CIUTILS_SOURCE_DIR/.github/workflows/release.yml"
  grep -qx '    tags: \["v\*"\]' "$release"
  grep -qx '    container: debian:12' "$release"
  grep -qx '        run: ./scripts/release "$GITHUB_REF_NAME" --repository "$GITHUB_REPOSITORY" --out dist' "$release"
  for f in 'dist/ciutils-\*.tar.gz' 'dist/ciutils-\*.tar.gz.sha256' 'dist/ciutils_\*.deb' 'dist/ciutils_\*.deb.sha256' 'dist/install'; do
    grep -qx "            $f" "$release" || fail "release.yml does not attach $f"
  done
}
