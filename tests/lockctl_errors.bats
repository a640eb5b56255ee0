#!/usr/bin/env bats
# Bad input exits 2 naming the problem; Redis down exits 3 with the URL redacted.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "usage errors exit 2 with one line naming the problem" {
  run -2 lockctl
  assert_output "lockctl: error: COMMAND: missing (see lockctl --help)"
  run -2 lockctl frobnicate
  assert_output "lockctl: error: 'frobnicate': unknown command (see lockctl --help)"
  run -2 lockctl acquire
  assert_output "lockctl: error: RESOURCE: missing (or --pool POOL)"
  run -2 lockctl acquire ""
  assert_output "lockctl: error: RESOURCE: empty name"
  run -2 lockctl acquire 'a b'
  assert_output "lockctl: error: RESOURCE: 'a b' may contain only letters, digits, '.', '_' and '-'"
  run -2 lockctl acquire uat --ttl 10x
  assert_output --regexp "^lockctl: error: --ttl: "
  run -2 lockctl acquire uat --ttl 100ms
  assert_output "lockctl: error: --ttl: 100ms is shorter than the minimum 1s"
  run -2 lockctl acquire uat --wait 1s --no-wait
  assert_output "lockctl: error: --no-wait: give --wait or --no-wait, not both"
  run -2 lockctl acquire uat --quantity 2
  assert_output "lockctl: error: --quantity: needs --pool or --label"
  run -2 lockctl acquire uat --bogus
  assert_output --regexp "^lockctl: error: .*bogus"
  run -2 lockctl release uat --token nothex
  assert_output "lockctl: error: --token: invalid token 'nothex' (expected 32 hex digits as printed by acquire)"
  run -2 lockctl release uat
  assert_output "lockctl: error: --token: missing (or \$LOCKCTL_TOKEN)"
  run -2 lockctl run uat
  assert_output "lockctl: error: COMMAND: missing (put the command after --)"
  run -2 lockctl history
  assert_output "lockctl: error: RESOURCE: missing"
  run -2 lockctl pool frob x
  assert_output "lockctl: error: 'frob': unknown pool command (expected set, add, remove, list, set-labels or set-props)"
}

@test "Redis down: exit 3 with the URL, password redacted" {
  port="$(free_port)"
  REDIS_URL="redis://ci:hunter2@127.0.0.1:$port/0" run -3 lockctl acquire uat
  assert_output "lockctl: error: cannot connect to Redis at redis://ci:***@127.0.0.1:$port/0: Connection refused"
  refute_output --partial hunter2
  REDIS_URL="redis://:hunter2@127.0.0.1:$port/0" run -3 lockctl run uat -- true
  refute_output --partial hunter2
  run -3 lockctl status --redis "redis://127.0.0.1:$port/0"
}

@test "--redis-url is a deprecated spelling of --redis: it works and warns" {
  run --separate-stderr -0 lockctl status --redis-url "$REDIS_URL" --namespace other
  [ "$stderr" = "lockctl: warning: --redis-url is deprecated and will be removed in the next release: use --redis" ]
  run -2 lockctl status --redis-url "$REDIS_URL" --redis "$REDIS_URL"
  assert_output "lockctl: error: --redis-url: give --redis only (--redis-url is its old spelling)"
  run -0 lockctl --help
  assert_output --partial "--redis URL and --namespace NS"
}

@test "owner, job URL and reason are shown with control characters escaped" {
  BUILD_URL=$'https://ci.example/job/1/\e[2J' lockctl acquire c --owner $'evil\nheld by nobody' >/dev/null
  run -0 lockctl status c
  assert_line --index 1 --regexp '^  held by evil\\nheld by nobody  since .*  job https://ci\.example/job/1/\\x1b\[2J$'
  [ "${#lines[@]}" -eq 2 ]
  run -0 lockctl list
  assert_output --regexp 'fence 1  evil\\nheld by nobody$'
  run -0 lockctl history c
  assert_output --regexp '  acquired  evil\\nheld by nobody  fence 1  job https://ci\.example/job/1/\\x1b\[2J$'
  [ "${#lines[@]}" -eq 1 ]
}

@test "--help lists flags, environment and exit codes; --version" {
  run -0 lockctl --help
  assert_output --partial "  run (RESOURCE... | --pool POOL [--label EXPR]) [OPTIONS] -- COMMAND [ARG...]"
  assert_output --partial "REDIS_URL"
  # every exit code lockctl can return
  for code in "0 " "1 " "2 " "3 " "74 " "75 " "124 " "125 " "126 / 127" "128+N" "129 / 130 / 143" "child's own"; do
    assert_output --partial "  $code"
  done
  run -0 lockctl acquire --help
  assert_output --partial "--keep-alive"
  assert_output --partial "--conflict-exit-code"
  run -0 lockctl run --help
  assert_output --partial "--max-hold"
  assert_output --partial "--kill-grace"
  run -0 lockctl --version
  assert_output --regexp "^lockctl "
}
