# A throwaway redis-server for a bats file: start_redis in setup_file, stop_redis in
# teardown_file (also stopped by an EXIT trap). Exports REDIS_URL and CIUTILS_NAMESPACE.
# When the server cannot start, the suite fails: it never skips.

start_redis() {
  REDIS_DIR="$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/redis.XXXXXX")"
  REDIS_PORT="$(free_port)"
  export REDIS_DIR REDIS_PORT
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
    --unixsocket "$REDIS_DIR/redis.sock" --unixsocketperm 700 \
    --save "" --appendonly no --daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
    --logfile "$REDIS_DIR/redis.log" "$@" 3>&- || {
    echo "redis-server failed to start" >&2
    return 1
  }
  trap stop_redis EXIT
  wait_until 10 redis-cli -p "$REDIS_PORT" ping || {
    cat "$REDIS_DIR/redis.log" >&2
    return 1
  }
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  export CIUTILS_NAMESPACE="test$$"
}

stop_redis() {
  [ -n "${REDIS_DIR:-}" ] || return 0
  stop_pidfile "$REDIS_DIR/redis.pid"
}

# stop_pidfile FILE: stops the server whose pid FILE holds (TERM, then KILL after 5 s) and
# removes FILE; nothing when FILE is missing.
stop_pidfile() {
  [ -f "$1" ] || return 0
  local pid
  pid="$(cat "$1" 2>/dev/null)" || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}

# Flushes the test's data between tests of one file.
flush_redis() {
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
}
