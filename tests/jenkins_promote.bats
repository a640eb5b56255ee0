#!/usr/bin/env bats
# examples/jenkins/promote.sh, the flow promote.Jenkinsfile calls: fast-forward the stable
# branch on green; on red, `git bisect run` with every step under lockctl (a real
# redis-server), naming the first bad commit.
load helpers/suite

PROMOTE="$CIUTILS_SOURCE_DIR/examples/jenkins/promote.sh"

setup_file() { suite_start redis; }

setup() {
  suite_setup
  lockctl pool set kvm-hosts kvm-1 kvm-2 kvm-3
  git config --global user.name "CI Tester"
  git config --global user.email ci@example.com
  git config --global init.defaultBranch main
  git config --global advice.detachedHead false
  # origin: a bare repository; work: the build's checkout.
  git init -q --bare origin.git
  git clone -q origin.git work 2>/dev/null
  cd work
  # The BVT suite: fails when the product says "broken"; records the hosts it ran on.
  cat >bvt.sh <<'SH'
#!/bin/sh
echo "$(git rev-parse --short HEAD) $LOCKCTL_RESOURCES" >>"$BVT_LOG"
[ "$(cat product)" != broken ]
SH
  chmod +x bvt.sh
  export BVT_LOG="$BATS_TEST_TMPDIR/bvt.log"
  echo ok >product
  git add bvt.sh product
  git commit -q -m "commit 0"
  git push -q origin HEAD:stable HEAD:main
  local i
  for i in $(seq 1 12); do
    if [ "$i" = 7 ]; then echo broken >product; fi
    echo "$i" >"file$i"
    git add -A
    git commit -q -m "commit $i"
  done
  PLANTED="$(git rev-parse HEAD~5)"   # commit 7
}

@test "bisect names the planted commit; every step ran the suite under the pool's lock" {
  [ "$(git log -1 --format=%s "$PLANTED")" = "commit 7" ]
  run --separate-stderr "$PROMOTE" bisect origin/stable HEAD --pool kvm-hosts --quantity 2 --ttl 30s -- ./bvt.sh
  assert_success
  assert_output "$PLANTED"
  assert_equal "$(cat first-bad.txt)" "$PLANTED commit 7 (CI Tester)"
  # log2(12) steps or so, each on two pool members, each a separate grant in the history.
  local steps
  steps="$(wc -l <"$BVT_LOG")"
  ((steps >= 3 && steps <= 5))
  run grep -vc ' kvm-1 kvm-2$' "$BVT_LOG"
  assert_output 0
  assert_equal "$(lockctl history kvm-1 --json | grep -o '"event":"acquired"' | wc -l)" "$steps"
  # Nothing is left held, and the checkout is back where it was.
  run lockctl status --pool kvm-hosts --json
  refute_output --partial '"token"'
  assert_equal "$(git rev-parse HEAD)" "$(git rev-parse main)"
  run git bisect log
  assert_failure
}

# skip_at N: a suite that cannot test commit N (exit 125), committed on top as commit 13.
skip_at() {
  cat >bvt.sh <<SH
#!/bin/sh
[ -f file$1 ] && [ ! -f file$(($1 + 1)) ] && echo skipped >>"\$BVT_LOG" && exit 125
[ "\$(cat product)" != broken ]
SH
  git commit -q -am "commit 13: the suite cannot test commit $1"
}

@test "a commit the suite cannot test (125) is skipped, not blamed" {
  skip_at 9
  run --separate-stderr "$PROMOTE" bisect origin/stable HEAD~1 --pool kvm-hosts -- sh -c "$(cat bvt.sh)"
  assert_success
  assert_output "$PLANTED"
  grep -qx skipped "$BVT_LOG"   # commit 9 was tried, and skipped
}

@test "when skipped commits leave the culprit ambiguous, the bisection says so" {
  skip_at 6
  run --separate-stderr "$PROMOTE" bisect origin/stable HEAD~1 --pool kvm-hosts -- sh -c "$(cat bvt.sh)"
  assert_failure 1
  assert_output ""
  [[ "$stderr" == *"There are only 'skip'ped commits left to test."* ]]
  [[ "$stderr" == *"promote.sh: the bisection did not finish (git bisect run exit status 2)"* ]]
  [ ! -e first-bad.txt ]
}

@test "a lock that cannot be had stops the bisection instead of blaming a commit" {
  # Every pool member is held elsewhere: each step's lockctl run gives up after --wait.
  lockctl acquire --pool kvm-hosts --quantity 3 --ttl 1m --owner other >/dev/null
  run --separate-stderr "$PROMOTE" bisect origin/stable HEAD --pool kvm-hosts --wait 200ms -- ./bvt.sh
  assert_failure 1
  assert_output ""
  [[ "$stderr" == *"promote.sh: lock failure (lockctl exit status 75): stopping the bisection"* ]]
  [[ "$stderr" == *"promote.sh: the bisection did not finish"* ]]
  [ ! -e first-bad.txt ]
  [ ! -e "$BVT_LOG" ]
  run git bisect log
  assert_failure
}

@test "advance fast-forwards the stable branch to the tested commit" {
  git push -q origin HEAD~6:refs/heads/main-green   # unrelated noise on origin
  run "$PROMOTE" advance stable "$(git rev-parse HEAD~6)"
  assert_success
  assert_equal "$(git --git-dir=../origin.git rev-parse stable)" "$(git rev-parse HEAD~6)"
}

@test "advance refuses what is not a fast-forward and leaves stable alone" {
  local before
  before="$(git --git-dir=../origin.git rev-parse stable)"
  git checkout -q -b other "$before"
  echo other >other && git add other && git commit -q -m "elsewhere"
  run --separate-stderr "$PROMOTE" advance stable "$(git rev-parse main)"
  assert_success   # main descends from stable: this one is fine
  run --separate-stderr "$PROMOTE" advance stable "$(git rev-parse other)"
  assert_failure 1
  [[ "$stderr" == *"stable is not an ancestor of $(git rev-parse other): not a fast-forward, left alone"* ]]
  assert_equal "$(git --git-dir=../origin.git rev-parse stable)" "$(git rev-parse main)"
}

@test "bad usage names what is wrong" {
  run --separate-stderr "$PROMOTE" bisect origin/stable HEAD --pool kvm-hosts
  assert_failure 2
  assert_equal "$stderr" "promote.sh: error: missing '-- SUITE [ARG...]'"
  run --separate-stderr "$PROMOTE" bisect nosuch HEAD -- ./bvt.sh
  assert_failure 2
  [[ "$stderr" == *"promote.sh: error: GOOD: 'nosuch' is not a commit"* ]]
  run --separate-stderr "$PROMOTE" bisect HEAD origin/stable -- ./bvt.sh
  assert_failure 2
  [[ "$stderr" == *"is not an ancestor of BAD"* ]]
  run --separate-stderr "$PROMOTE" frobnicate
  assert_failure 2
  assert_equal "$stderr" "promote.sh: error: unknown command 'frobnicate' (expected advance, bisect or step)"
}
