# Shared by the lockctl suites (which load helpers/suite first): what they wait on, and a
# redis-server that keeps its data across a restart.
bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis

# suite_start durable_redis: a redis-server with an append-only file, so stop_server and
# start_server below restart it with its data.
start_durable_redis() { start_redis --appendonly yes --appendfsync always; }
reset_durable_redis() { flush_redis; }

# queue_length NAME: waiters on resource NAME, or on a pool when NAME is pool:POOL.
queue_length() {
  local args=("$1")
  [[ "$1" == pool:* ]] && args=(--pool "${1#pool:}")
  lockctl status "${args[@]}" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["queue"]))'
}

# wait_queue NAME N: waits until NAME has N waiters.
wait_queue() {
  local deadline=$((SECONDS + 15))
  until [ "$(queue_length "$1")" = "$2" ]; do
    if ((SECONDS >= deadline)); then
      echo "queue of $1 never reached $2" >&2
      return 1
    fi
    sleep 0.05
  done
}

# stop_server / start_server [ARGS]: stops the suite's redis-server and starts it again
# on the same port and directory with persistence (for suites started with appendonly).
stop_server() {
  local pid
  pid="$(cat "$REDIS_DIR/redis.pid")"
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

start_server() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save "" --appendonly yes \
    --appendfsync always --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" "$@" 3>&-
  wait_until 10 redis-cli -p "$REDIS_PORT" ping
}
