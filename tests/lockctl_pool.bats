#!/usr/bin/env bats
# Pools: any member, quantity K all or nothing, no starvation of K-requests.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "pool set/add/remove/list" {
  run -0 lockctl pool set uat uat-1 uat-2
  run -0 lockctl pool add uat uat-3
  run -0 lockctl pool list
  assert_output "uat uat-1 uat-2 uat-3"
  run -0 lockctl pool remove uat uat-2
  run -0 lockctl pool list --json
  assert_output '{"uat":["uat-1","uat-3"]}'
  run -0 lockctl status uat
  assert_line --index 0 "pool uat"
  assert_line --index 1 "uat-1  0/1 held  fence 0"
  run -2 lockctl pool set other uat-1
  assert_output "lockctl: error: MEMBER: 'uat-1' is already in pool 'uat'"
}

@test "--pool takes any free member, then says busy" {
  lockctl pool set uat uat-1 uat-2
  run -0 lockctl acquire --pool uat
  assert_line --index 0 uat-1
  run -0 lockctl acquire --pool uat
  assert_line --index 0 uat-2
  run -75 lockctl acquire --pool uat --no-wait
  assert_output "lockctl: error: could not acquire pool uat: busy (--no-wait)"
}

@test "a member taken by name excludes it from the pool" {
  lockctl pool set uat uat-1 uat-2
  run -0 lockctl acquire uat-1
  run -0 lockctl acquire --pool uat --json
  assert_output --partial '"resources":["uat-2"]'
  run -75 lockctl acquire uat-2 --no-wait
}

@test "--quantity is all or nothing" {
  lockctl pool set uat uat-1 uat-2 uat-3
  one="$(lockctl acquire uat-2)"
  run -75 lockctl acquire --pool uat --quantity 3 --no-wait
  # nothing was taken by the failed request
  run lockctl status --pool uat --json
  assert_output --partial '"name":"uat-1","slots":1,"fence":0,"leaving":false,"held":0'
  assert_output --partial '"name":"uat-3","slots":1,"fence":0,"leaving":false,"held":0'
  run -0 lockctl acquire --pool uat --quantity 2 --json
  assert_output --partial '"resources":["uat-1","uat-3"]'
  run -0 lockctl release uat --token "$(echo "$output" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
  run -0 lockctl acquire --pool uat --quantity 2 --no-wait
}

@test "a K-member request at the head of the queue is not starved by 1-member requests" {
  lockctl pool set uat uat-1 uat-2
  a="$(lockctl acquire --pool uat)"
  lockctl run --pool uat --quantity 2 --owner big -- sh -c 'echo big >>order' 3>&- &
  wait_queue pool:uat 1
  lockctl run --pool uat --owner small -- sh -c 'echo small >>order' 3>&- &
  wait_queue pool:uat 2
  # uat-2 is free, but the K=2 request came first: the small one must wait behind it
  run -75 lockctl acquire --pool uat --no-wait
  lockctl release uat --token "$(sed -n 2p <<<"$a")"
  wait
  run cat order
  assert_output "$(printf 'big\nsmall')"
}

@test "bad pool requests exit 2 naming the problem" {
  run -2 lockctl acquire --pool nope
  assert_output "lockctl: error: --pool: unknown pool 'nope' (define it with: lockctl pool set nope MEMBER...)"
  lockctl pool set uat uat-1 uat-2
  run -2 lockctl acquire --pool uat --quantity 3
  assert_output "lockctl: error: --quantity: 3 is more than pool 'uat' has (2 members)"
  run -2 lockctl acquire uat-1 --pool uat
  assert_output "lockctl: error: --pool: give either RESOURCE... or --pool, not both"
}
