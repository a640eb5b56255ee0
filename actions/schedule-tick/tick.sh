#!/usr/bin/env bash
# The ciutils schedule-tick action: schedule tick -f FILE, its decisions in the log.
set -euo pipefail
# shellcheck source=actions/lib/gha.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/gha.sh"

[ -n "${INPUT_FILE:-}" ] || fail "file: required"
[ -z "${INPUT_REDIS_URL:-}" ] || export REDIS_URL="$INPUT_REDIS_URL"
[ -z "${INPUT_NAMESPACE:-}" ] || export CIUTILS_NAMESPACE="$INPUT_NAMESPACE"
decisions="$(schedule tick --json -f "$INPUT_FILE")"
[ -z "$decisions" ] || printf '%s\n' "$decisions"
output enqueued "$(grep -c '"decision":"enqueued' <<<"$decisions" || true)"
