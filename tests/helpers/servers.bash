# The pattern for real servers on loopback: start_server NAME COMMAND... runs a server
# in the background (fds 3+ closed so bats does not hang), records its pid under
# $BATS_FILE_TMPDIR/servers/NAME.pid, and stop_servers (teardown_file) ends them all.
# Servers print "READY <port>" on stdout once listening; start_server waits for it and
# exports <NAME>_PORT.

start_server() {
  local name="$1"
  shift
  local dir="${BATS_FILE_TMPDIR:-/tmp}/servers"
  mkdir -p "$dir"
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" 3>&- &
  echo $! >"$dir/$name.pid"
  local deadline=$((SECONDS + 15))
  until grep -q '^READY ' "$dir/$name.out" 2>/dev/null; do
    if ! kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "server $name failed to start:" >&2
      cat "$dir/$name.err" >&2
      return 1
    fi
    sleep 0.05
  done
  local port
  port="$(awk '/^READY /{print $2; exit}' "$dir/$name.out")"
  local var
  var="$(echo "$name" | tr 'a-z-' 'A-Z_')_PORT"
  export "$var=$port"
}

stop_servers() {
  local dir="${BATS_FILE_TMPDIR:-/tmp}/servers"
  local f
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}
