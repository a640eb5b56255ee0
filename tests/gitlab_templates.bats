#!/usr/bin/env bats
# The GitLab CI/CD components (templates/) and examples/gitlab/.gitlab-ci.yml: validated
# against GitLab's CI JSON schema (tests/fixtures/gitlab), their inputs checked and
# interpolated as GitLab does, and their jobs run by tests/helpers/gitlab_job.py the way
# a shell runner runs them, against the built tools, a real redis-server and a loopback
# webhook receiver.
load helpers/suite
load helpers/lockctl_common
load helpers/notify_common

GITLAB_JOB=(/usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/gitlab_job.py")
T="$CIUTILS_SOURCE_DIR/templates"

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  lockctl pool set staging staging-1 staging-2
  export CI_PROJECT_PATH=web/app CI_JOB_ID=41
}

job() {
  "${GITLAB_JOB[@]}" "$@"
}

@test "every component and the example validate against GitLab's CI schema" {
  run job validate "$T/lock.yml" --input pool=staging
  assert_success
  run job validate "$T/test.yml" --input jobs-file=tests.txt --input parallel=3
  assert_success
  run job validate "$T/notify.yml" --input key=web/e2e
  assert_success
  # With its components included and their inputs applied, as GitLab would.
  run job validate "$CIUTILS_SOURCE_DIR/examples/gitlab/.gitlab-ci.yml" --components "$T"
  assert_success
}

@test "the schema check fails on a broken configuration, naming the path" {
  printf 'e2e:\n  script: ./run\n  artifacts:\n    reports:\n      junit: 5\n' >bad.yml
  run --separate-stderr job validate bad.yml
  assert_failure 2
  [[ "$stderr" == "gitlab_job: error: bad.yml: e2e/artifacts/reports/junit: 5 is not valid under any of the given schemas" ]]
  printf 'e2e:\n  scirpt: ./run\n' >typo.yml
  run --separate-stderr job validate typo.yml
  assert_failure 2
  [[ "$stderr" == "gitlab_job: error: typo.yml: e2e: "* ]]
  # A component whose interpolated inputs break the job: parallel must be a number.
  run --separate-stderr job validate "$T/test.yml" --input parallel=0
  assert_failure 2
  [[ "$stderr" == *"ciutils-test/parallel: 0 is not valid under any of the given schemas"* ]]
}

@test "every job's scripts pass shellcheck (POSIX sh); a planted defect does not" {
  run job shellcheck "$T/lock.yml" --input pool=staging
  assert_success
  run job shellcheck "$T/test.yml" --input jobs-file=tests.txt
  assert_success
  run job shellcheck "$T/notify.yml" --input key=web/e2e
  assert_success
  run job shellcheck "$CIUTILS_SOURCE_DIR/examples/gitlab/.gitlab-ci.yml" --components "$T"
  assert_success
  printf 'job:\n  script:\n    - rm -rf $DIR/*\n' >planted.yml
  run --separate-stderr job shellcheck planted.yml
  assert_failure 1
  [[ "$stderr" == *"planted.yml: job (script):"*"SC2115"* ]]
}

@test "inputs are checked as GitLab checks them: regex, type, options, unknown, missing" {
  run --separate-stderr job validate "$T/lock.yml" --input 'pool=a;touch pwned'
  assert_failure 2
  assert_equal "$stderr" "gitlab_job: error: $T/lock.yml: \`pool\` input: provided value does not match required RegEx pattern"
  run --separate-stderr job validate "$T/lock.yml" --input quantity=two
  assert_equal "$stderr" "gitlab_job: error: $T/lock.yml: \`quantity\` input: provided value is not a number"
  run --separate-stderr job validate "$T/test.yml" --input flaky-as=maybe
  assert_equal "$stderr" "gitlab_job: error: $T/test.yml: \`flaky-as\` input: \`maybe\` cannot be used because it is not in the list of allowed options"
  run --separate-stderr job validate "$T/lock.yml" --input pol=staging
  assert_equal "$stderr" "gitlab_job: error: $T/lock.yml: unknown input name provided: \`pol\`"
  run --separate-stderr job validate "$T/notify.yml"
  assert_equal "$stderr" "gitlab_job: error: $T/notify.yml: \`key\` input: required value has not been provided"
  run --separate-stderr job validate "$T/lock.yml" --input 'ttl=1m; id'
  assert_failure 2
}

# A job that holds a lock from the component (as a user's .gitlab-ci.yml writes it).
lock_job() {
  cat >pipeline.yml <<YML
include:
  - component: gitlab.example.com/ci/ciutils/lock@1.0.0
    inputs: {pool: staging, ttl: 30s, wait: ${1:-10s}}
e2e:
  extends: .ciutils-lock
  script:
    - echo "\$LOCKCTL_RESOURCE \$LOCKCTL_RESOURCES \$LOCKCTL_FENCE" > seen
    - lockctl status --pool staging --json > during.json
    - ${2:-exit 0}
YML
}

@test "lock: acquired in before_script, seen by the script, released in after_script" {
  lock_job
  run job run pipeline.yml e2e --components "$T"
  assert_success
  assert_output --partial "ciutils lock: holding staging-1 (fence 1)"
  assert_equal "$(cat seen)" "staging-1 staging-1 1"
  grep -q '"owner":"web/app#41"' during.json
  run lockctl status --pool staging --json
  refute_output --partial '"token"'
  [ ! -e .ciutils/lease ]
}

@test "lock: a failing script still releases, and the job fails" {
  lock_job 10s "exit 3"
  run job run pipeline.yml e2e --components "$T"
  assert_failure 3
  run lockctl history staging-1 --json
  assert_output --partial '"event":"released"'
}

@test "lock: a job cancelled while waiting leaves the queue and releases nothing" {
  lockctl acquire --pool staging --quantity 2 --ttl 1m --owner other >/dev/null
  lock_job 10m
  job run pipeline.yml e2e --components "$T" --kill-when cancel >out 2>&1 &
  local pid=$!
  wait_queue pool:staging 1
  touch cancel
  local rc=0
  wait "$pid" || rc=$?
  assert_equal "$rc" 130
  run cat out
  assert_output --partial "ciutils lock: no lease was granted; nothing to release"
  # The killed waiter stops heartbeating and is dropped; the other holder is untouched.
  wait_queue pool:staging 0
  run lockctl status --pool staging --json
  assert_output --partial '"owner":"other"'
}

@test "lock: two jobs on one resource never run their scripts at the same time" {
  cat >pipeline.yml <<'YML'
include:
  - component: gitlab.example.com/ci/ciutils/lock@1.0.0
    inputs: {resource: uat, ttl: 30s, wait: 1m}
e2e:
  extends: .ciutils-lock
  script:
    - echo "start $CI_JOB_ID" >> "$RUN_LOG"
    - sleep 0.3
    - echo "end $CI_JOB_ID" >> "$RUN_LOG"
YML
  export RUN_LOG="$BATS_TEST_TMPDIR/run.log"
  CI_JOB_ID=1 job run pipeline.yml e2e --components "$T" >one.out 2>&1 &
  local first=$!
  CI_JOB_ID=2 job run pipeline.yml e2e --components "$T" >two.out 2>&1 &
  local second=$!
  wait "$first"
  wait "$second"
  # Each job's start is followed by its own end: the runs never interleave.
  local a b
  a="$(sed -n 1p "$RUN_LOG" | cut -d' ' -f2)"
  b="$(sed -n 3p "$RUN_LOG" | cut -d' ' -f2)"
  assert_equal "$(cat "$RUN_LOG")" "$(printf 'start %s\nend %s\nstart %s\nend %s' "$a" "$a" "$b" "$b")"
  assert_equal "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" "1 2 "
  assert_equal "$(lockctl history uat --json | grep -o '"event":"released"' | wc -l)" 2
}

@test "lock: a busy pool with wait 0 fails the job at once" {
  lockctl acquire --pool staging --quantity 2 --ttl 1m --owner other >/dev/null
  lock_job 0
  run job run pipeline.yml e2e --components "$T"
  assert_failure 75
  assert_output --partial "nothing to release"
}

@test "test: prun's results become junit.xml and a summary, also when tests fail" {
  printf 'true\nfalse\necho hello\n' >tests.txt
  run job run "$T/test.yml" ciutils-test --input jobs-file=tests.txt --input timeout=30s
  assert_failure 1
  assert_output --partial "Test results: FAILED"
  [ -s results-1.jsonl ]
  run xmllint --noout junit.xml
  assert_success
  grep -q 'tests="3" failures="1"' junit.xml
  [ -d logs ]
}

@test "test: parallel copies run disjoint shards that add up to every test" {
  seq 1 10 | sed 's/^/echo test-/' >tests.txt
  CI_NODE_INDEX=1 CI_NODE_TOTAL=2 job run "$T/test.yml" ciutils-test --input jobs-file=tests.txt --input parallel=2
  CI_NODE_INDEX=2 CI_NODE_TOTAL=2 job run "$T/test.yml" ciutils-test --input jobs-file=tests.txt --input parallel=2
  local one two
  one="$(wc -l <results-1.jsonl)"
  two="$(wc -l <results-2.jsonl)"
  ((one > 0 && two > 0))
  assert_equal "$((one + two))" 10
  run sort -u <(grep -ho '"name":"[^"]*"' results-1.jsonl results-2.jsonl)
  assert_equal "$(echo "$output" | wc -l)" 10
}

@test "test: a plan runs too; neither plan nor jobs-file is an error" {
  echo '{"steps": [{"name": "unit", "jobs": ["true", "true"]}]}' >plan.json
  run job run "$T/test.yml" ciutils-test --input plan=plan.json
  assert_success
  assert_equal "$(wc -l <results-1.jsonl)" 2
  rm -f results-1.jsonl
  run job run "$T/test.yml" ciutils-test
  assert_failure 2
  assert_output --partial "ciutils test: give the input plan or jobs-file"
  assert_output --partial "ciutils test: no results were written"
}

@test "notify: trigger once, stay silent, recover; the secret stays a \${VAR}" {
  export HOOK_SECRET=s3cr3t-hmac-key
  local to="webhook+http://127.0.0.1:$RECEIVER_PORT/hook?hmac=\${HOOK_SECRET}"
  echo '{"name":"checkout","classname":"web","status":"failed","message":"exit status 1"}' >results-1.jsonl
  echo '{"name":"search","classname":"web","status":"passed"}' >results-2.jsonl
  run job run "$T/notify.yml" ciutils-notify --input key=web/e2e --input "to=$to"
  assert_success
  assert_equal "$(receiver_count)" 1
  assert_equal "$(receiver_field 1 'json.loads(r["body"])["event"]')" trigger
  run job run "$T/notify.yml" ciutils-notify --input key=web/e2e --input "to=$to"
  assert_equal "$(receiver_count)" 1
  echo '{"name":"checkout","classname":"web","status":"passed"}' >results-1.jsonl
  run job run "$T/notify.yml" ciutils-notify --input key=web/e2e --input "to=$to"
  assert_success
  assert_equal "$(receiver_count)" 2
  assert_equal "$(receiver_field 2 'json.loads(r["body"])["event"]')" recover
  refute_output --partial s3cr3t-hmac-key
}

@test "notify: no results at all counts as a failure" {
  run job run "$T/notify.yml" ciutils-notify --input key=web/broken --input "to=webhook+http://127.0.0.1:$RECEIVER_PORT/hook"
  assert_success
  assert_output --partial "ciutils notify: no results (results-*.jsonl): reporting failed"
  assert_equal "$(receiver_field 1 'json.loads(r["body"])["event"]')" trigger
}

@test "the example pipeline's e2e job: lock, deploy, a shard of the suite, JUnit, release" {
  mkdir ci
  printf '#!/bin/sh\necho "deployed to $1 $2 $3" > deployed\n' >ci/deploy.sh
  chmod +x ci/deploy.sh
  printf 'echo a\necho b\nfalse\n' >ci/e2e-tests.txt
  run env CI_NODE_INDEX=1 CI_NODE_TOTAL=1 "${GITLAB_JOB[@]}" run "$CIUTILS_SOURCE_DIR/examples/gitlab/.gitlab-ci.yml" e2e --components "$T"
  assert_failure 1
  assert_equal "$(cat deployed)" "deployed to staging-1 --fence 1"
  grep -q 'tests="3" failures="1"' junit.xml
  run lockctl status --pool staging --json
  refute_output --partial '"token"'
}
