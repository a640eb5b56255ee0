#!/usr/bin/env bash
# The canary framework, rebuilt from ciutils: every canary runs at an interval with a
# timeout, its result is stored, and a live dashboard with /metrics shows them all.
#
#   schedule daemon -f schedules.json ─► Redis stream ─► schedule work -j 4 ─► run-canary.sh:
#       prun (timeout, result record) ─► report store ─► report serve (/, /suite/APP, /metrics)
#
# Uses REDIS_URL when set, else a throwaway redis-server. CANARY_LISTEN sets where the
# dashboard listens (default 127.0.0.1:8080; port 0: any free port). Runs until Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="${CIUTILS_BUILD_DIR:-$here/../../build}/bin:$PATH"
export CANARY_DIR
CANARY_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ciutils-canary.XXXXXX")"
export CIUTILS_NAMESPACE="${CIUTILS_NAMESPACE:-canary}"
listen="${CANARY_LISTEN:-127.0.0.1:8080}"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${redis_dir:-}" ]; then
    redis-cli -s "$redis_dir/redis.sock" shutdown nosave >/dev/null 2>&1 ||
      kill "$(cat "$redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null || true
  fi
  rm -rf "$CANARY_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${REDIS_URL:-}" ]; then
  redis_dir="$CANARY_DIR/redis"
  mkdir -p "$redis_dir"
  redis-server --port 0 --unixsocket "$redis_dir/redis.sock" --unixsocketperm 700 \
    --dir "$redis_dir" --save "" --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/log" >/dev/null
  for _ in $(seq 100); do redis-cli -s "$redis_dir/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export REDIS_URL="unix://$redis_dir/redis.sock"
fi
echo "canary: Redis at ${REDIS_URL%%@*}, namespace $CIUTILS_NAMESPACE" >&2

schedule lint -q -f "$here/schedules.json"
schedule daemon -f "$here/schedules.json" >"$CANARY_DIR/daemon.log" 2>&1 &
pids+=($!)
schedule work --queue canary -j 4 --timeout 1m --infra-exit-codes 3 -- "$here/run-canary.sh" \
  >"$CANARY_DIR/work.log" 2>&1 &
pids+=($!)
# A first result of every canary now, rather than at its next slot.
for name in $(/usr/bin/python3 -c 'import json,sys; [print(s["name"]) for s in json.load(open(sys.argv[1]))["schedules"]]' \
  "$here/schedules.json"); do
  schedule trigger -q "$name" -f "$here/schedules.json" >/dev/null
done

report serve --listen "$listen" --refresh 5s --title "Canaries" 2>"$CANARY_DIR/serve.log" &
pids+=($!)
for _ in $(seq 200); do grep -q '^report: serving' "$CANARY_DIR/serve.log" 2>/dev/null && break; sleep 0.05; done
url="$(sed -n 's/^report: serving \(http[^ ]*\) from .*/\1/p' "$CANARY_DIR/serve.log")"
[ -n "$url" ] || { cat "$CANARY_DIR/serve.log" >&2; exit 1; }
cat >&2 <<MSG
canary: dashboard $url/   metrics $url/metrics   runs $url/api/runs
canary: fix the checkout canary with: touch $CANARY_DIR/checkout-fixed
canary: Prometheus: prometheus --config.file=$here/prometheus.yml (it scrapes 127.0.0.1:8080)
canary: logs in $CANARY_DIR (daemon.log, work.log, serve.log); Ctrl-C stops everything
MSG
wait -n "${pids[@]}"
echo "canary: a process ended early; its log:" >&2
tail -n 20 "$CANARY_DIR"/*.log >&2
exit 1
