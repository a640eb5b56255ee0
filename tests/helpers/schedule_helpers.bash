# Shared by the schedule_*.bats suites: key names and small Redis probes.

# The tasks stream of queue $1.
schedule_tasks_key() { echo "$CIUTILS_NAMESPACE:{q:$1}:tasks"; }

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# Number of tasks waiting or leased on queue $1.
queue_length() { rcli XLEN "$(schedule_tasks_key "$1")"; }

# Writes a schedule file $1 holding one schedule given as a JSON object ($2).
write_schedules() {
  printf '{"schedules": [%s]}\n' "$2" >"$1"
}

# kill_worker PIDFILE: kill -9 a worker first (so it cannot see its command die), then
# the command it was running (its own process group).
kill_worker() {
  local worker children
  worker="$(cat "$1")"
  children="$(pgrep -P "$worker" || true)"
  kill -KILL "$worker"
  local c
  for c in $children; do kill -KILL -- "-$c" 2>/dev/null || kill -KILL "$c" 2>/dev/null || true; done
}
