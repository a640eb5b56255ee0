#!/bin/sh
# The promotion flow of promote.Jenkinsfile, as a script its stages call (and tests run):
#
#   promote.sh advance STABLE COMMIT
#       fast-forward branch STABLE (on origin) to COMMIT, which the BVTs passed;
#       refuses when STABLE is not an ancestor of COMMIT (someone moved it).
#   promote.sh bisect GOOD BAD [lockctl run options] -- SUITE [ARG...]
#       find the first commit after GOOD (the last green) up to BAD that fails SUITE,
#       with `git bisect run`; each step runs SUITE under `lockctl run` with the given
#       options (e.g. --pool kvm-hosts --quantity 2), so every step takes the same lock
#       as the BVT stage did. Prints the first bad commit's hash and writes
#       "HASH SUBJECT (AUTHOR)" to first-bad.txt.
#   promote.sh step [lockctl run options] -- SUITE [ARG...]
#       one bisect step (what `git bisect run` calls).
#
# SUITE's exit status: 0 passed, 1-124 or 126-127 failed, 125 this commit cannot be
# tested (git bisect skips it). When the lock itself fails (Redis unreachable: 3, lease
# lost: 74, not acquired in --wait: 75, --max-hold: 124), the bisection stops: an
# infrastructure failure must not be blamed on a commit.
set -eu

die() {
  echo "promote.sh: error: $*" >&2
  exit 2
}

advance() {
  [ $# -eq 2 ] || die "usage: promote.sh advance STABLE COMMIT"
  stable="$1"
  commit="$(git rev-parse --verify "$2^{commit}")" || die "COMMIT: '$2' is not a commit"
  git fetch -q origin "refs/heads/$stable:refs/remotes/origin/$stable" ||
    die "STABLE: no branch '$stable' on origin"
  if ! git merge-base --is-ancestor "refs/remotes/origin/$stable" "$commit"; then
    echo "promote.sh: $stable is not an ancestor of $commit: not a fast-forward, left alone" >&2
    exit 1
  fi
  # A plain push is refused by the server unless it is a fast-forward.
  git push -q origin "$commit:refs/heads/$stable"
  echo "promote.sh: $stable -> $commit" >&2
}

# Splits "[lockctl run options] -- SUITE..." for the other commands.
need_suite() {
  case " $* " in
    *" -- "*) ;;
    *) die "missing '-- SUITE [ARG...]'" ;;
  esac
}

step() {
  need_suite "$@"
  set +e
  lockctl run "$@"
  status=$?
  set -e
  case "$status" in
    0) exit 0 ;;
    3 | 74 | 75 | 124)
      echo "promote.sh: lock failure (lockctl exit status $status): stopping the bisection" >&2
      exit 255 ;;
    125) exit 125 ;;
    *) [ "$status" -lt 128 ] && exit 1
      echo "promote.sh: the suite was killed (exit status $status): stopping the bisection" >&2
      exit 255 ;;
  esac
}

bisect() {
  [ $# -ge 4 ] || die "usage: promote.sh bisect GOOD BAD [lockctl run options] -- SUITE [ARG...]"
  good="$(git rev-parse --verify "$1^{commit}")" || die "GOOD: '$1' is not a commit"
  bad="$(git rev-parse --verify "$2^{commit}")" || die "BAD: '$2' is not a commit"
  shift 2
  need_suite "$@"
  git merge-base --is-ancestor "$good" "$bad" || die "GOOD ($good) is not an ancestor of BAD ($bad)"
  self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
  log="$(git rev-parse --git-dir)/ciutils-bisect.log"
  git bisect reset >/dev/null 2>&1 || true
  git bisect start "$bad" "$good" >/dev/null
  set +e
  git bisect run "$self" step "$@" >"$log" 2>&1
  status=$?
  set -e
  first="$(git rev-parse -q --verify refs/bisect/bad 2>/dev/null || true)"
  done_line="$(grep -m1 'is the first bad commit' "$log" || true)"
  git bisect reset >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
    cat "$log" >&2
    echo "promote.sh: the bisection did not finish (git bisect run exit status $status)" >&2
    exit 1
  fi
  git log -1 --format='%H %s (%an)' "$first" >first-bad.txt
  echo "$first"
}

[ $# -ge 1 ] || die "usage: promote.sh advance|bisect|step ..."
cmd="$1"
shift
case "$cmd" in
  advance) advance "$@" ;;
  bisect) bisect "$@" ;;
  step) step "$@" ;;
  *) die "unknown command '$cmd' (expected advance, bisect or step)" ;;
esac
