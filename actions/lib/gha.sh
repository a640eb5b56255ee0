# shellcheck shell=bash
# Shared by the composite actions' scripts (sourced): workflow commands, outputs, and
# multi-line inputs. Inputs arrive as environment variables, never in the script text.

# fail MESSAGE...: an error annotation, then exit 1.
fail() {
  printf '::error::%s\n' "$*"
  exit 1
}

# output NAME VALUE: a step output (one line).
output() {
  case "$2" in *$'\n'*) fail "output $1: a value with a newline" ;; esac
  printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
}

# lines NAME TEXT: the non-blank lines of TEXT, trimmed, into the array NAME.
lines() {
  local -n into="$1"
  local line
  into=()
  while IFS= read -r line; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -z "$line" ] || into+=("$line")
  done <<<"$2"
}

# bool NAME VALUE: succeeds for true, fails for false; anything else is an error naming NAME.
bool() {
  case "$2" in
    true) return 0 ;;
    false | "") return 1 ;;
    *) fail "$1: must be true or false, not \"$2\"" ;;
  esac
}
