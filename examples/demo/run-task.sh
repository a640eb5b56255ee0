#!/usr/bin/env bash
# What each worker runs for one task (schedule work gives the task on stdin and as TASK_*):
# take a UAT environment from the pool, download and check the suite, run it, then
# report, alert (once per failure streak, with recovery) and keep the logs of failures.
set -uo pipefail
run_dir="$DEMO_DIR/runs/${TASK_ID//[:]/-}"
mkdir -p "$run_dir" && cd "$run_dir" || exit 125

lockctl run --pool uat --ttl 30s --wait 5m -- sh -c '
  echo "running on $LOCKCTL_RESOURCES (fence $LOCKCTL_FENCE)"
  fetch -q "$TASK_PAYLOAD_LOCATION" -o suite --sha256 "$TASK_PAYLOAD_SHA256" >/dev/null &&
  cd suite &&
  prun -j 2 --timeout 1m --results ../results.jsonl --log-dir ../logs -f plan.json'
status=$?
echo "suite finished with exit $status"

report junit results.jsonl -o junit.xml --suite-name "$TASK_PAYLOAD_APP"
report summary results.jsonl >summary.md
notify --config "$DEMO_DIR/notify.json" --tag frontend \
  --key "$TASK_PAYLOAD_APP/$TASK_PAYLOAD_TEST" --from results.jsonl
if [ "$status" -ne 0 ]; then
  fetch put -q logs "$DEMO_ARTIFACTS/$TASK_PAYLOAD_TEST-${TASK_ID//[:@]/-}.tar.gz"
fi
# Test failures are reported above; only infrastructure trouble makes the task retry.
case "$status" in 0 | 1) exit 0 ;; *) exit "$status" ;; esac
