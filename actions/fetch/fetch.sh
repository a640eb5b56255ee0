#!/usr/bin/env bash
# The ciutils fetch action: fetch URL [-o TO] …, or fetch put PATH URL.
set -euo pipefail
# shellcheck source=actions/lib/gha.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/gha.sh"

[ -n "${INPUT_URL:-}" ] || fail "url: required"
# A top-level JSON string field of fetch --json's one-line answer (the first occurrence:
# the files list, which also has sha256 fields, comes after it).
field() {
  grep -o "\"$1\":\"[^\"]*\"" <<<"$2" | head -1 | cut -d'"' -f4
}

if [ -n "${INPUT_PUT:-}" ]; then
  answer="$(fetch put --json "$INPUT_PUT" "$INPUT_URL")"
  output path ""
  output sha256 "$(field sha256 "$answer")"
  exit 0
fi
args=()
[ -z "${INPUT_TO:-}" ] || args+=(-o "$INPUT_TO")
[ -z "${INPUT_SHA256:-}" ] || args+=(--sha256 "$INPUT_SHA256")
bool extract "${INPUT_EXTRACT:-true}" || args+=(--no-extract)
[ "${INPUT_STRIP_COMPONENTS:-0}" = 0 ] || args+=(--strip-components "$INPUT_STRIP_COMPONENTS")
! bool replace "${INPUT_REPLACE:-}" || args+=(--replace)
[ -z "${INPUT_CACHE:-}" ] || args+=(--cache "$INPUT_CACHE")
answer="$(fetch --json "${args[@]}" "$INPUT_URL")"
output path "$(field destination "$answer")"
output sha256 "$(field sha256 "$answer")"
