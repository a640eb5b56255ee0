#!/usr/bin/env bats
# Bad input exits 2 naming the problem; Redis down exits 3 with the URL redacted.

load helpers/lockctl_common

setup_file() { lockctl_setup_file; }
teardown_file() { stop_redis; }
setup() { lockctl_setup; }

@test "usage errors exit 2 with one line naming the problem" {
  run -2 lockctl
  assert_output "lockctl: error: missing command (see lockctl --help)"
  run -2 lockctl frobnicate
  assert_output "lockctl: error: unknown command 'frobnicate' (see lockctl --help)"
  run -2 lockctl acquire
  assert_output "lockctl: error: missing RESOURCE or --pool POOL"
  run -2 lockctl acquire ""
  assert_output "lockctl: error: resource name is empty"
  run -2 lockctl acquire 'a b'
  assert_output "lockctl: error: resource name 'a b' may contain only letters, digits, '.', '_' and '-'"
  run -2 lockctl acquire uat --ttl 10x
  assert_output --regexp "^lockctl: error: --ttl: "
  run -2 lockctl acquire uat --ttl 100ms
  assert_output "lockctl: error: --ttl: 100ms is shorter than the minimum 1s"
  run -2 lockctl acquire uat --wait 1s --no-wait
  assert_output "lockctl: error: --wait and --no-wait are mutually exclusive"
  run -2 lockctl acquire uat --quantity 2
  assert_output "lockctl: error: --quantity needs --pool"
  run -2 lockctl acquire uat --bogus
  assert_output --regexp "^lockctl: error: .*bogus"
  run -2 lockctl release uat --token nothex
  assert_output "lockctl: error: --token: invalid token 'nothex' (expected 32 hex digits as printed by acquire)"
  run -2 lockctl release uat
  assert_output "lockctl: error: missing --token (or \$LOCKCTL_TOKEN)"
  run -2 lockctl run uat
  assert_output "lockctl: error: missing the command to run after --"
  run -2 lockctl history
  assert_output "lockctl: error: missing RESOURCE"
  run -2 lockctl pool frob x
  assert_output "lockctl: error: unknown pool command 'frob' (expected set, add, remove or list)"
}

@test "Redis down: exit 3 with the URL, password redacted" {
  port="$(free_port)"
  REDIS_URL="redis://ci:hunter2@127.0.0.1:$port/0" run -3 lockctl acquire uat
  assert_output "lockctl: error: cannot connect to Redis at redis://ci:***@127.0.0.1:$port/0: Connection refused"
  refute_output --partial hunter2
  REDIS_URL="redis://:hunter2@127.0.0.1:$port/0" run -3 lockctl run uat -- true
  refute_output --partial hunter2
  run -3 lockctl status --redis-url "redis://127.0.0.1:$port/0"
}

@test "--help lists flags, environment and exit codes; --version" {
  run -0 lockctl --help
  assert_output --partial "lockctl run RESOURCE"
  assert_output --partial "REDIS_URL"
  assert_output --partial "74 "
  run -0 lockctl acquire --help
  assert_output --partial "--keep-alive"
  assert_output --partial "--conflict-exit-code"
  run -0 lockctl run --help
  assert_output --partial "--max-hold"
  assert_output --partial "--kill-grace"
  run -0 lockctl --version
  assert_output --regexp "^lockctl "
}
