#!/bin/sh
# Run by `schedule work --queue e2e -- examples/schedule/run-task.sh` once per task:
# the task JSON is on stdin, its fields in TASK_* variables.
set -eu
echo "running $TASK_PAYLOAD_TEST for $TASK_PAYLOAD_APP (task $TASK_ID, attempt $TASK_ATTEMPT)" >&2
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cat >"$workdir/task.json"
# fetch "$TASK_PAYLOAD_LOCATION" -o "$workdir/suite" && prun -f "$workdir/suite/plan.json" …
# Exit 0: done. Exit 3 (with --infra-exit-codes 3): retried without counting an attempt.
