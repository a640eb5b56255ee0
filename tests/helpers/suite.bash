# The one setup a bats file shares with the others. A file writes
#
#   load helpers/suite
#   setup_file() { suite_start redis receiver; }
#
# and gets the common helpers (bats-support/assert, the built tools on PATH), the named
# servers started once for the file and stopped after it (teardown_file), and a setup() that
# seals each test (common_setup) and empties what the servers hold. A file that needs more
# in setup() defines its own and calls suite_setup first.
#
# A server NAME is started by start_NAME, emptied between tests by reset_NAME and stopped
# by stop_NAME, when defined: redis (helpers/redis.bash), redis_sentinel
# (helpers/redis_sentinel.bash), redis_cluster (helpers/redis_cluster.bash), redis_tls and
# tls_sentinel (helpers/redis_tls.bash), tls_cluster (helpers/redis_tls_cluster.bash),
# receiver (helpers/notify_common.bash), each loaded by the file that uses it, or any other
# a file defines. A file whose tests leave processes behind in *.pid files adds
# teardown() { kill_test_pids; } (helpers/common.bash).
load helpers/common
load helpers/redis
load helpers/servers

reset_redis() { flush_redis; }

# suite_start NAME...: starts each server; the tests learn which from SUITE_SERVERS.
suite_start() {
  export SUITE_SERVERS="$*"
  local name
  for name in "$@"; do
    "start_$name" || return 1
  done
}

suite_setup() {
  common_setup
  local name
  for name in ${SUITE_SERVERS:-}; do
    if declare -F "reset_$name" >/dev/null; then "reset_$name"; fi
  done
}

setup() { suite_setup; }

teardown_file() {
  local name
  for name in ${SUITE_SERVERS:-}; do
    if declare -F "stop_$name" >/dev/null; then "stop_$name"; fi
  done
  stop_servers
  stop_redis
}
