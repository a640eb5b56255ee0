#!/usr/bin/env bash
# Run by `schedule work --queue e2e -- ci/run-task.sh` once per task (nightly-e2e.yml):
# the task's payload is in TASK_PAYLOAD_* variables. Locks an environment from the pool
# for the whole run, fetches the suite, runs it, alerts on failure and recovery, and keeps
# the logs of a failed run. Failed tests are a finished run (exit 0: reported, alerted);
# exit 3 (suite not fetched) is retried without counting an attempt, 75 (no environment
# free within --wait) and others are retried as attempts.
set -euo pipefail
: "${TASK_ID:?}" "${TASK_PAYLOAD_APP:?}" "${TASK_PAYLOAD_TEST:?}" "${TASK_PAYLOAD_LOCATION:?}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
results="results/${TASK_ID//[^A-Za-z0-9._-]/_}.jsonl"
export TASK_WORK="$work" TASK_RESULTS="$PWD/$results"

status=0
# shellcheck disable=SC2016 # expanded by the inner bash, under the lock
lockctl run --pool uat --ttl 2m --wait 45m --max-hold 2h -- bash -c '
  fetch "$TASK_PAYLOAD_LOCATION" -o "$TASK_WORK/suite" ${TASK_PAYLOAD_SHA256:+--sha256 "$TASK_PAYLOAD_SHA256"} || exit 3
  prun -j 4 --timeout 10m --retries 1 --log-dir "$TASK_WORK/logs" --results "$TASK_RESULTS" \
    -e "E2E_ENV=$LOCKCTL_RESOURCE" -e "E2E_FENCE=$LOCKCTL_FENCE" -f "$TASK_WORK/suite/plan.json"
' || status=$?

if [ -s "$results" ]; then
  notify --key "$TASK_PAYLOAD_APP/$TASK_PAYLOAD_TEST" --from "$results" \
    "victorops://\${VICTOROPS_API_KEY}/$TASK_PAYLOAD_APP" || true
fi
if [ "$status" -ne 0 ] && [ -d "$work/logs" ]; then
  fetch put "$work/logs" "s3://ci-e2e-logs/runs/$TASK_ID.tar.gz" || true
fi
case "$status" in
  0 | 1) exit 0 ;;
  *) exit "$status" ;;
esac
