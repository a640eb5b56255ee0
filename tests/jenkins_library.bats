#!/usr/bin/env bats
# The Jenkins shared library (jenkins/): every vars/*.groovy step run by the harness in
# tests/jenkins/ (one JVM for all of them, Debian's groovy 2.4), with its pipeline steps
# mocked and sh running for real against the built tools, a real redis-server and a
# loopback HTTP server.
load helpers/common
load helpers/redis
load helpers/fetch_common
load helpers/groovy

setup_file() {
  start_redis
  fetch_start_server
  groovy_env
  export HARNESS_TAP="$BATS_FILE_TMPDIR/harness.tap"
  # The whole harness once; each test below reads its part of the TAP stream.
  groovy "$CIUTILS_SOURCE_DIR/tests/jenkins/run.groovy" "$CIUTILS_SOURCE_DIR/jenkins" \
    >"$HARNESS_TAP" 2>"$BATS_FILE_TMPDIR/harness.err" || true
}

teardown_file() {
  stop_servers
  stop_redis
}

setup() {
  common_setup
}

# passed CLASS MIN: every test of CLASS passed, and at least MIN of them ran.
passed() {
  local failed ran
  failed="$(grep -c "^not ok [0-9]* - $1: " "$HARNESS_TAP" || true)"
  ran="$(grep -c "^ok [0-9]* - $1: " "$HARNESS_TAP" || true)"
  if [ "$failed" != 0 ] || [ "$ran" -lt "$2" ]; then
    echo "$1: $ran passed, $failed failed (expected at least $2):"
    grep -A 12 "^not ok [0-9]* - $1: " "$HARNESS_TAP" || true
    tail -n 30 "$BATS_FILE_TMPDIR/harness.err"
    return 1
  fi
}

@test "the harness ran to its plan" {
  run tail -n 1 "$HARNESS_TAP"
  assert_output --regexp '^1\.\.[0-9]+$'
}

@test "ciLock: Lockable Resources' arguments on lockctl; release in finally; plain values only" {
  passed CiLockTest 11
}

@test "ciInstall: the install script's interface, the tool cache, PATH for the body" {
  passed CiInstallTest 7
}

@test "ciRun and ciReport: prun's results through report junit into the junit step" {
  passed CiRunReportTest 8
}

@test "ciFetch and ciUpload: checksums, http and file downloads, uploads, AWS credentials" {
  passed CiFetchTest 5
}

@test "ciNotify: secrets by withCredentials, a failing service is a warning" {
  passed CiNotifyTest 5
}

@test "the library's install script is scripts/install" {
  # libraryResource reads only inside the library: ciInstall carries a copy.
  cmp "$CIUTILS_SOURCE_DIR/scripts/install" "$CIUTILS_SOURCE_DIR/jenkins/resources/ciutils/install"
}

@test "every step has a help page and is covered by a test class" {
  local var name
  for var in "$CIUTILS_SOURCE_DIR"/jenkins/vars/*.groovy; do
    name="$(basename "$var" .groovy)"
    [ -s "${var%.groovy}.txt" ] || fail "$name has no vars/$name.txt"
    grep -q "$name(" "$CIUTILS_SOURCE_DIR"/tests/jenkins/*Test.groovy || fail "$name has no test"
  done
}

@test "the harness catches a step that lets shell syntax through" {
  # A copy of the library whose name check accepts anything: the injection test must fail.
  cp -r "$CIUTILS_SOURCE_DIR/jenkins" lib
  sed -i 's|/\[A-Za-z0-9._-\]{1,128}/|/.*/|' lib/src/ciutils/Check.groovy
  ! cmp -s lib/src/ciutils/Check.groovy "$CIUTILS_SOURCE_DIR/jenkins/src/ciutils/Check.groovy"
  run -1 groovy "$CIUTILS_SOURCE_DIR/tests/jenkins/run.groovy" "$PWD/lib" CiLockTest
  assert_output --regexp "not ok [0-9]+ - CiLockTest: testValuesThatAreNotPlainAreRefusedBeforeAnyShellRuns"
  # The value reached sh (lockctl itself refused it), not the step's own check.
  assert_output --partial "lockctl: error: RESOURCE: 'uat; touch pwned' may contain only"
}
