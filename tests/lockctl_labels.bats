#!/usr/bin/env bats
# Labels and properties, as Jenkins Lockable Resources users expect them: members of a
# pool carry labels; --label EXPR [--quantity K] takes matching free members atomically;
# properties reach the command as LOCKCTL_PROP_<KEY>.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }
setup() {
  suite_setup
  lockctl pool set lab box-1 box-2 box-3 box-4
  lockctl pool set-labels box-1 linux gpu
  lockctl pool set-labels box-2 linux
  lockctl pool set-labels box-3 linux gpu eu
  lockctl pool set-labels box-4 windows gpu
}

token_of() { sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' <<<"$1"; }

@test "--label takes only matching members, K at a time, all or nothing" {
  run -0 lockctl acquire --pool lab --label 'linux && gpu' --quantity 2 --json
  assert_output --partial '"resources":["box-1","box-3"]'
  token="$(token_of "$output")"
  run -75 lockctl acquire --pool lab --label 'linux && gpu' --no-wait
  assert_output "lockctl: error: could not acquire pool lab labelled 'linux && gpu': busy (--no-wait)"
  run -0 lockctl acquire --pool lab --label '!linux || (eu && !gpu)'
  assert_line --index 0 box-4
  run -0 lockctl release box-3 --token "$token"
  run -0 lockctl acquire --pool lab --label 'eu'
  assert_line --index 0 box-3
  run -0 lockctl status box-1
  assert_line --index 0 "box-1  0/1 held  fence 1  labels gpu linux"
}

@test "label errors: no pool, no match, too few matching, bad expression" {
  run -2 lockctl acquire --label gpu
  assert_output "lockctl: error: --label: needs the pool it chooses from: --pool POOL (or \$LOCKCTL_POOL)"
  run -2 lockctl acquire --pool lab --label 'arm'
  assert_output "lockctl: error: --label: no member of pool 'lab' matches 'arm'"
  run -2 lockctl acquire --pool lab --label 'windows' --quantity 2
  assert_output "lockctl: error: --quantity: 2 is more than the 1 member(s) of pool 'lab' matching 'windows'"
  run -2 lockctl acquire --pool lab --label 'linux &&'
  assert_output "lockctl: error: --label: expected a label at column 9 of 'linux &&'"
  run -2 lockctl acquire box-1 --label gpu --pool lab
  assert_output "lockctl: error: --pool: give either RESOURCE... or --pool, not both"
  run -2 lockctl pool set-labels box-1 'no space'
  assert_output "lockctl: error: LABEL: 'no space' may contain only letters, digits, '.', '_' and '-'"
  run -2 lockctl pool set-labels lab gpu
  assert_output "lockctl: error: RESOURCE: 'lab' is a pool, not a resource (name one of its members)"
}

@test "LOCKCTL_POOL is the pool --label chooses from" {
  LOCKCTL_POOL=lab run -0 lockctl acquire --label windows
  assert_line --index 0 box-4
}

@test "label waiters are served in FIFO order with the others" {
  all="$(lockctl acquire --pool lab --quantity 4 --json)"
  lockctl acquire --pool lab --label 'gpu && eu' --owner first --json >first 3>&- &
  first=$!
  wait_queue pool:lab 1
  lockctl acquire --pool lab --owner second --json >second 3>&- &
  second=$!
  wait_queue pool:lab 2
  run -0 lockctl status --pool lab
  assert_line --regexp "^  1\. first  wants 1 of pool lab labelled 'gpu && eu'  waiting "
  lockctl release lab --token "$(token_of "$all")"
  wait "$first"
  wait "$second"
  run cat first
  assert_output --partial '"resources":["box-3"]'
  run cat second
  assert_output --partial '"resources":["box-1"]'
}

@test "concurrent label grants never overlap" {
  cat >work.sh <<'SH'
for r in $LOCKCTL_RESOURCES; do mkdir "mark.$r" 2>/dev/null || echo "overlap on $r" >>overlaps; done
sleep 0.02
for r in $LOCKCTL_RESOURCES; do rmdir "mark.$r"; done
echo "$LOCKCTL_RESOURCES" >>finished
SH
  pids=()
  for i in $(seq 1 8); do
    lockctl run --pool lab --label gpu --quantity 2 --wait 60s -- sh work.sh 3>&- &
    pids+=($!)
    lockctl run --pool lab --label 'linux' --wait 60s -- sh work.sh 3>&- &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ ! -e overlaps ]
  [ "$(wc -l <finished)" = 16 ]
  ! grep -q box-2 <(grep ' ' finished)   # box-2 has no gpu label
}

@test "labels and properties go with a resource into a pool" {
  lockctl pool set-labels solo linux gpu
  lockctl pool set-props solo url=https://solo.example/ region=eu
  lockctl pool add lab solo
  lockctl pool set-labels box-1
  lockctl pool set-labels box-3
  run -0 lockctl run --pool lab --label 'linux && gpu' -- sh -c 'echo "$LOCKCTL_RESOURCE $LOCKCTL_PROP_URL $LOCKCTL_PROP_REGION"'
  assert_output "solo https://solo.example/ eu"
}

@test "properties are exported to the command and shown by --json and status" {
  run -0 lockctl pool set-props box-1 url=https://staging-1.example/app?x=1 region=eu --json
  assert_output '{"resource":"box-1","props":{"url":"https://staging-1.example/app?x=1","region":"eu"}}'
  lockctl pool set-props box-3 url=https://staging-3.example/ Region=us
  run -0 lockctl run box-1 -- env
  assert_line "LOCKCTL_PROP_URL=https://staging-1.example/app?x=1"
  assert_line "LOCKCTL_PROP_REGION=eu"
  run -0 lockctl run box-1 box-3 -- sh -c 'echo "$LOCKCTL_PROP_URL $LOCKCTL_RESOURCE0_PROP_REGION $LOCKCTL_RESOURCE1_PROP_URL $LOCKCTL_RESOURCE1_PROP_REGION"'
  assert_output "https://staging-1.example/app?x=1 eu https://staging-3.example/ us"
  run -0 lockctl acquire box-3 --json
  assert_output --partial '"props":{"box-3":{"url":"https://staging-3.example/","Region":"us"}}'
  run -0 lockctl status box-1
  assert_line --index 1 "  prop url=https://staging-1.example/app?x=1"
  # set-props replaces; without KEY=VALUE it clears
  lockctl pool set-props box-1 owner=qa
  run -0 lockctl run box-1 -- sh -c 'echo "${LOCKCTL_PROP_URL:-none} $LOCKCTL_PROP_OWNER"'
  assert_output "none qa"
  lockctl pool set-props box-1
  run -0 lockctl acquire box-1 --json
  assert_output --partial '"props":{"box-1":{}}'
}

@test "property errors name the argument" {
  run -2 lockctl pool set-props box-1 url
  assert_output "lockctl: error: KEY=VALUE: invalid property 'url' (KEY: 1 to 64 letters, digits and '_', not starting with a digit)"
  run -2 lockctl pool set-props box-1 1x=2
  assert_output "lockctl: error: KEY=VALUE: invalid property '1x=2' (KEY: 1 to 64 letters, digits and '_', not starting with a digit)"
  run -2 lockctl pool set-props box-1 a-b=2
  assert_output "lockctl: error: KEY=VALUE: invalid property 'a-b=2' (KEY: 1 to 64 letters, digits and '_', not starting with a digit)"
  run -2 lockctl pool set-props box-1 a=1 a=2
  assert_output "lockctl: error: KEY=VALUE: 'a' is given twice"
  run -2 lockctl pool set-props
  assert_output "lockctl: error: RESOURCE: missing (lockctl pool set-props RESOURCE ...)"
}
