#!/usr/bin/env bash
# The ciutils notify action: notify with the action's inputs.
set -euo pipefail
# shellcheck source=actions/lib/gha.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/gha.sh"

[ -z "${INPUT_REDIS_URL:-}" ] || export REDIS_URL="$INPUT_REDIS_URL"
[ -z "${INPUT_NAMESPACE:-}" ] || export CIUTILS_NAMESPACE="$INPUT_NAMESPACE"
args=()
items=()
lines items "${INPUT_TO:-}"
for item in "${items[@]}"; do args+=(--to "$item"); done
lines items "${INPUT_TAG:-}"
for item in "${items[@]}"; do args+=(--tag "$item"); done
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_KEY:-}" ] || args+=(--key "$INPUT_KEY")
case "${INPUT_STATUS:-}" in
  "") ;;
  cancelled)
    # A cancelled run says nothing about the tests: the alert state stays as it is.
    echo "status is cancelled: no alert sent, the alert state is unchanged"
    exit 0
    ;;
  failed | failure) args+=(--status failed) ;;
  passed | success) args+=(--status passed) ;;
  *) fail "status: \"$INPUT_STATUS\" is not failed, passed, success, failure or cancelled" ;;
esac
[ -z "${INPUT_RESULTS:-}" ] || args+=(--from "$INPUT_RESULTS")
[ -z "${INPUT_TITLE:-}" ] || args+=(--title "$INPUT_TITLE")
[ -z "${INPUT_MESSAGE:-}" ] || args+=(--message "$INPUT_MESSAGE")
[ -z "${INPUT_SEVERITY:-}" ] || args+=(--severity "$INPUT_SEVERITY")
[ -z "${INPUT_REMIND:-}" ] || args+=(--remind "$INPUT_REMIND")
[ -z "${INPUT_THRESHOLD:-}" ] || args+=(--threshold "$INPUT_THRESHOLD")
! bool dry-run "${INPUT_DRY_RUN:-}" || args+=(--dry-run)
notify "${args[@]}"
