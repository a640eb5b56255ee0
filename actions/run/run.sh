#!/usr/bin/env bash
# The ciutils run action: prun with the action's inputs (as INPUT_* environment variables).
set -euo pipefail
# shellcheck source=actions/lib/gha.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/gha.sh"

sources=0
args=()
if [ -n "${INPUT_COMMANDS:-}" ]; then
  sources=$((sources + 1))
  commands=()
  lines commands "$INPUT_COMMANDS"
  jobs_file="${RUNNER_TEMP:-/tmp}/ciutils-run-$$.txt"
  printf '%s\n' "${commands[@]}" >"$jobs_file"
  args+=(-a "$jobs_file")
fi
[ -z "${INPUT_JOBS_FILE:-}" ] || { sources=$((sources + 1)); args+=(-a "$INPUT_JOBS_FILE"); }
[ -z "${INPUT_PLAN:-}" ] || { sources=$((sources + 1)); args+=(-f "$INPUT_PLAN"); }
[ "$sources" -eq 1 ] || fail "give exactly one of the inputs commands, jobs-file and plan"

[ -z "${INPUT_PARALLEL:-}" ] || args+=(-j "$INPUT_PARALLEL")
[ -z "${INPUT_TIMEOUT:-}" ] || args+=(--timeout "$INPUT_TIMEOUT")
[ -z "${INPUT_RETRIES:-}" ] || [ "$INPUT_RETRIES" = 0 ] || args+=(--retries "$INPUT_RETRIES")
[ -z "${INPUT_SHARD:-}" ] || args+=(--shard "$INPUT_SHARD")
[ -z "${INPUT_TIMINGS:-}" ] || [ ! -f "$INPUT_TIMINGS" ] || args+=(--timings "$INPUT_TIMINGS")
[ -z "${INPUT_LOG_DIR:-}" ] || args+=(--log-dir "$INPUT_LOG_DIR")
results="${INPUT_RESULTS:-results.jsonl}"
args+=(--results "$results" --no-progress)
pairs=()
lines pairs "${INPUT_ENV:-}"
for pair in "${pairs[@]}"; do
  [[ "$pair" == [A-Za-z_]*=* ]] || fail "env: \"$pair\" is not K=V"
  args+=(-e "$pair")
done

status=0
prun "${args[@]}" || status=$?
output results "$results"
output exit-code "$status"
exit "$status"
