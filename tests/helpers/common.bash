# Loaded by every bats file: bats-support/assert, the freshly built tools first on
# PATH, and a sealed environment (own HOME and temp dir, tool variables unset).
bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${CIUTILS_BUILD_DIR:?CIUTILS_BUILD_DIR must point at the build directory}"
: "${CIUTILS_SOURCE_DIR:=$(cd "$(dirname "${BATS_TEST_FILENAME}")/.." && pwd)}"
export CIUTILS_SOURCE_DIR
export PATH="$CIUTILS_BUILD_DIR/bin:$PATH"
export LC_ALL=C.UTF-8
# Sanitizer builds: a leak or UB finding fails the test, with a readable report.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Per-test sealing; files that define their own setup() call this first.
common_setup() {
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  cd "$BATS_TEST_TMPDIR" || return 1
  unset CI GITHUB_ACTIONS GITHUB_STEP_SUMMARY BUILD_URL CI_JOB_URL GITHUB_RUN_ID GITLAB_CI JENKINS_URL BUILDKITE TF_BUILD
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION
  unset AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
  unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
}

# A free TCP port on 127.0.0.1.
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS COMMAND...: retries COMMAND every 50 ms until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "timed out waiting for: $*" >&2
      return 1
    fi
    sleep 0.05
  done
}

# running PID: the process exists and is not a zombie.
running() {
  local stat
  stat="$(ps -o stat= -p "$1")" || return 1
  [[ "$stat" != Z* ]]
}

# kill_test_pids: SIGKILL to every process named in a *.pid file of the test's directory and
# to its children. A file whose tests leave processes behind writes teardown() { kill_test_pids; }.
kill_test_pids() {
  local f pid
  for f in "$BATS_TEST_TMPDIR"/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  return 0
}
