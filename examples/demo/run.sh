#!/usr/bin/env bash
# The end-to-end demo: the systems ciutils grew from, rebuilt from its tools on one machine.
#
#   schedule tick ─► Redis stream ─► schedule work ─► run-task.sh:
#       lockctl run --pool uat ─► fetch (checked) ─► prun (plan, retries, results)
#       report junit/summary ─► notify (trigger once, recover) ─► fetch put (logs of failures)
#
# Uses REDIS_URL when set, else a throwaway redis-server. Everything else it needs (the
# suite archive, a stand-in for the alerting webhook and the artifact store) is local.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export PATH="${CIUTILS_BUILD_DIR:-$here/../../build}/bin:$PATH"
export DEMO_DIR
DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ciutils-demo.XXXXXX")"
export CIUTILS_NAMESPACE="demo-$$"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${redis_dir:-}" ]; then
    redis-cli -s "$redis_dir/redis.sock" shutdown nosave >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "${REDIS_URL:-}" ]; then
  redis_dir="$DEMO_DIR/redis"
  mkdir -p "$redis_dir"
  redis-server --port 0 --unixsocket "$redis_dir/redis.sock" --unixsocketperm 700 \
    --dir "$redis_dir" --save "" --daemonize yes --logfile "$redis_dir/log" >/dev/null
  for _ in $(seq 100); do redis-cli -s "$redis_dir/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export REDIS_URL="unix://$redis_dir/redis.sock"
  step "throwaway Redis at $REDIS_URL"
else
  step "Redis at ${REDIS_URL%%@*}… (namespace $CIUTILS_NAMESPACE)"
fi

# The outside world: a webhook that records alerts and an artifact store that takes PUTs.
/usr/bin/python3 "$here/receiver.py" "$DEMO_DIR/received.jsonl" >"$DEMO_DIR/receiver.out" &
pids+=($!)
for _ in $(seq 100); do grep -q READY "$DEMO_DIR/receiver.out" 2>/dev/null && break; sleep 0.05; done
port="$(awk '/READY/{print $2}' "$DEMO_DIR/receiver.out")"
export DEMO_ARTIFACTS="http://127.0.0.1:$port/artifacts"

step "a test suite archive (plan.json + 3 tests: one passes, one is flaky, one fails)"
suite="$DEMO_DIR/suite"
mkdir -p "$suite/tests"
cat >"$suite/tests/login.sh" <<'T'
echo "login page loads"; sleep 0.2
T
cat >"$suite/tests/search.sh" <<'T'
# Flaky: fails on its first attempt in each run.
if [ ! -e "$PRUN_RUN_ID.search-tried" ]; then touch "$PRUN_RUN_ID.search-tried"; echo "search timed out" >&2; exit 1; fi
echo "search results shown"
T
cat >"$suite/tests/checkout.sh" <<'T'
if [ -e "$DEMO_DIR/checkout-fixed" ]; then echo "checkout ok"; exit 0; fi
echo "expected 'Order placed', got 'HTTP 500'" >&2; exit 1
T
cat >"$suite/plan.json" <<'T'
{
  "steps": [
    {"name": "prepare", "command": "echo preparing test data"},
    {"name": "tests", "workers": 2, "timeout": "30s", "retries": 1,
     "jobs": [{"name": "login", "command": "sh tests/login.sh"},
              {"name": "search", "command": "sh tests/search.sh"},
              {"name": "checkout", "command": "sh tests/checkout.sh"}]}
  ],
  "cleanup": [{"name": "clean", "command": "echo cleaning up"}]
}
T
tar -C "$suite" -czf "$DEMO_DIR/suite.tar.gz" .
sha="$(sha256sum "$DEMO_DIR/suite.tar.gz" | cut -d' ' -f1)"
echo "suite.tar.gz sha256 $sha"

cat >"$DEMO_DIR/schedules.json" <<J
{"schedules": [
  {"name": "opm-tests-1", "cron": "* * * * *", "timezone": "Europe/Berlin", "queue": "e2e",
   "catch_up": "latest", "concurrency": "forbid",
   "payload": {"test": "opm-tests-1", "app": "opm", "location": "file://$DEMO_DIR/suite.tar.gz",
               "sha256": "$sha", "notifications": ["frontend"]}}
]}
J
cat >"$DEMO_DIR/notify.json" <<J
{"destinations": {
  "frontend-hook": {"url": "webhook+https://alerts.example.invalid/alerts?endpoint=http://127.0.0.1:$port",
                    "tags": ["frontend"]}
}}
J

step "two UAT environments in a pool"
lockctl pool set uat uat-1 uat-2
lockctl pool list

step "schedule lint / next / tick"
schedule lint -f "$DEMO_DIR/schedules.json"
schedule next -f "$DEMO_DIR/schedules.json" -n 3
schedule tick -f "$DEMO_DIR/schedules.json"
schedule tick -f "$DEMO_DIR/schedules.json"   # a second ticker enqueues nothing more

step "a worker takes the task and runs it (the checkout test fails)"
schedule work --queue e2e -j 2 --exit-when-empty -- "$here/run-task.sh"

step "the checkout bug is fixed; an ad-hoc run after the deploy recovers the alert"
touch "$DEMO_DIR/checkout-fixed"
schedule enqueue --queue e2e "{\"test\":\"opm-tests-1\",\"app\":\"opm\",\"location\":\"file://$DEMO_DIR/suite.tar.gz\",\"sha256\":\"$sha\"}"
schedule work --queue e2e --exit-when-empty -- "$here/run-task.sh"

step "what happened"
for run in "$DEMO_DIR"/runs/*/; do
  echo "--- $(basename "$run")"
  cat "$run/summary.md"
  xmllint --noout "$run/junit.xml" && echo "junit.xml: well-formed"
done
echo "--- lock history of the pool"
lockctl history uat-1 || true
lockctl history uat-2 || true
echo "--- runs of the schedule"
schedule history opm-tests-1 || true
echo "--- requests the outside world received (alerts, artifacts)"
/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    body = json.dumps(r["json"])[:150] if "json" in r else str(r["bytes"]) + " bytes"
    print(r["method"], r["path"], body)
' "$DEMO_DIR/received.jsonl"
echo
echo "demo finished: files in $DEMO_DIR"
