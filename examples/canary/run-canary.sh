#!/bin/sh
# Run by `schedule work --queue canary -- examples/canary/run-canary.sh` once per task: one
# canary, killed after the payload's timeout, its result stored for `report serve`.
# A failing canary is a result, not a failed task: the task is acked either way (exit 0);
# only an infrastructure problem (exit 3: Redis down) makes schedule work retry it.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# One plan step named after the app: the result's classname (the dashboard's suite).
cat >"$work/plan.json" <<J
{"steps": [{"name": "$TASK_PAYLOAD_APP", "timeout": "$TASK_PAYLOAD_TIMEOUT",
            "jobs": [{"name": "$TASK_PAYLOAD_TEST", "command": "sh '$here/canaries/$TASK_PAYLOAD_TEST.sh'"}]}]}
J
prun -q -f "$work/plan.json" --results "$work/results.jsonl" || true
report store -q --run-id "$TASK_ID" "$work/results.jsonl" || exit 3
