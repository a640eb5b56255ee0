#!/usr/bin/env bash
# The ciutils report action: report junit, summary, annotate and the counts (from report
# metrics' Prometheus text) over the given result files.
set -euo pipefail
# shellcheck source=actions/lib/gha.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/gha.sh"
shopt -s nullglob globstar

patterns=()
lines patterns "${INPUT_FILES:-}"
files=()
for line in "${patterns[@]}"; do
  read -ra words <<<"$line"
  for pattern in "${words[@]}"; do
    # shellcheck disable=SC2206 # the pattern is expanded on purpose
    matches=($pattern)
    ((${#matches[@]})) || fail "files: nothing matches $pattern"
    files+=("${matches[@]}")
  done
done
((${#files[@]})) || fail "files: no result files given"
max="${INPUT_MAX_ANNOTATIONS:-10}"
[[ "$max" =~ ^[0-9]+$ ]] || fail "max-annotations: \"$max\" is not a number"
summary="${RUNNER_TEMP:-/tmp}/ciutils-report-$$.md"
fail_on_failure=false
bool fail-on-failure "${INPUT_FAIL_ON_FAILURE:-}" && fail_on_failure=true

if [ -n "${INPUT_JUNIT:-}" ]; then
  report junit -q "${files[@]}" -o "$INPUT_JUNIT"
fi
report summary --title "${INPUT_TITLE:-Test results}" "${files[@]}" -o "$summary"
if bool summary "${INPUT_SUMMARY:-}"; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
if bool annotations "${INPUT_ANNOTATIONS:-}"; then
  report annotate --max-per-type "$max" "${files[@]}"
fi

declare -A count=([passed]=0 [failed]=0 [error]=0 [timeout]=0 [skipped]=0 [flaky]=0)
while read -r status n; do
  count[$status]="$n"
done < <(report metrics "${files[@]}" | sed -n 's/^ciutils_report_tests{status="\([a-z]*\)"} \([0-9]*\)$/\1 \2/p')
failed=$((count[failed] + count[error] + count[timeout]))
output total "$((count[passed] + failed + count[skipped] + count[flaky]))"
output passed "${count[passed]}"
output failed "$failed"
output flaky "${count[flaky]}"
output skipped "${count[skipped]}"
output summary-file "$summary"
if [ "$fail_on_failure" = true ] && [ "$failed" -gt 0 ]; then
  fail "$failed test(s) failed"
fi
