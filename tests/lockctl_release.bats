#!/usr/bin/env bats
# Owner-safe release and renew: compare-and-delete, distinct refusals, idempotent repeat.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

token_of() { sed -n 2p <<<"$1"; }

@test "acquire prints the resource and a token; release frees it" {
  run -0 --separate-stderr lockctl acquire uat
  [ "${lines[0]}" = uat ]
  [[ "${lines[1]}" =~ ^[0-9a-f]{32}$ ]]
  token="${lines[1]}"
  run -75 lockctl acquire uat --no-wait
  run -0 --separate-stderr lockctl release uat --token "$token"
  assert_output ""
  run -0 lockctl acquire uat --no-wait
}

@test "a repeat release succeeds and says so" {
  out="$(lockctl acquire uat)"
  token="$(token_of "$out")"
  run -0 lockctl release uat --token "$token"
  run -0 --separate-stderr lockctl release uat --token "$token"
  [ "$stderr" = "lockctl: uat: already released" ]
  run -0 lockctl release uat --token "$token" --json
  assert_output '{"resource":"uat","status":"already-released"}'
  run -0 lockctl release --help
  assert_output --partial $'Releasing a lease already released succeeds: exit 0, with\n`lockctl: RESOURCE: already released`'
}

@test "release by a token that does not hold it is refused: held by someone else" {
  out="$(lockctl acquire uat --owner alice)"
  run -1 lockctl release uat --token 0123456789abcdef0123456789abcdef
  assert_output "lockctl: error: uat: held by someone else (alice)"
  run -75 lockctl acquire uat --no-wait
}

@test "release after expiry says already expired, and never frees the next holder" {
  out="$(lockctl acquire uat --ttl 1s)"
  token="$(token_of "$out")"
  sleep 1.2
  out2="$(lockctl acquire uat --owner bob --no-wait)"
  run -1 lockctl release uat --token "$token"
  assert_output "lockctl: error: uat: the lease already expired"
  run -75 lockctl acquire uat --no-wait
  run -0 lockctl release uat --token "$(token_of "$out2")"
}

@test "release of a resource nobody holds with an unknown token exits 1" {
  run -1 lockctl release free --token 0123456789abcdef0123456789abcdef
  assert_output "lockctl: error: free: not held by this token"
}

@test "renew extends the lease; renew after force-release is refused" {
  out="$(lockctl acquire uat --ttl 1s)"
  token="$(token_of "$out")"
  run -0 lockctl renew uat --token "$token" --ttl 30s --json
  assert_output --partial '"status":"renewed"'
  sleep 1.2
  run -75 lockctl acquire uat --no-wait
  run -0 lockctl force-release uat
  run -1 lockctl renew uat --token "$token"
  assert_output "lockctl: error: uat: the lease was force-released"
  run -1 lockctl release uat --token "$token"
  assert_output "lockctl: error: uat: the lease was force-released"
}

@test "the token can come from LOCKCTL_TOKEN" {
  out="$(lockctl acquire uat)"
  LOCKCTL_TOKEN="$(token_of "$out")" run -0 lockctl release uat
  run -0 lockctl acquire uat --no-wait
}

@test "force-release --holder ends one holder of a semaphore and records it" {
  a="$(lockctl acquire sem --slots 2 --owner a)"
  b="$(lockctl acquire sem --slots 2 --owner b)"
  run -0 lockctl force-release sem --holder "$(token_of "$a")" --json
  assert_output '{"resource":"sem","forced":1}'
  run lockctl status sem --json
  assert_output --partial '"owner":"b"'
  refute_output --partial '"owner":"a"'
  run lockctl history sem --json
  assert_output --partial '"event":"forced"'
  run -1 lockctl force-release sem --holder "$(token_of "$a")"
}
