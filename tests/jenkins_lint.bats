#!/usr/bin/env bats
# CodeNarc (npm-groovy-lint, with Jenkins' rule set) over the Jenkins library and the
# example Jenkinsfiles. One run over a copy with a planted defect: the planted file must
# be the only one reported, which shows both that the real files are clean and that the
# lint can fail.
load helpers/common

@test "npm-groovy-lint: the library and the example Jenkinsfiles are clean, a planted defect is not" {
  local lint="$CIUTILS_SOURCE_DIR/.deps/npm/node_modules/.bin/npm-groovy-lint"
  [ -x "$lint" ] || fail "npm-groovy-lint is not installed: scripts/bootstrap deps (scripts/deps/jenkins.npm)"
  common_setup
  mkdir -p lint/examples
  cp -r "$CIUTILS_SOURCE_DIR/jenkins/src" "$CIUTILS_SOURCE_DIR/jenkins/vars" lint/
  cp "$CIUTILS_SOURCE_DIR"/examples/jenkins/*Jenkinsfile lint/examples/
  printf 'def call(Map args) {\n  def unused = 1\n  sh "echo ${args.x}"\n}\n' >lint/vars/planted.groovy
  run "$lint" --noserver --config "$CIUTILS_SOURCE_DIR/jenkins/.groovylintrc.json" --output txt \
    --loglevel warning --failon warning lint/src lint/vars lint/examples/Jenkinsfile lint/examples/promote.Jenkinsfile
  assert_failure
  assert_output --partial "lint/vars/planted.groovy"
  assert_output --partial "UnusedVariable"
  assert_output --regexp "npm-groovy-lint results in .*13.* linted files"
  # No other file has anything to report.
  refute_output --regexp 'lint/(src/|vars/ci|examples/)'
}
