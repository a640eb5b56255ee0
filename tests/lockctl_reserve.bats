#!/usr/bin/env bats
# Reservations: a reserved resource is granted to nobody (by name, pool or label) until
# it is unreserved or its --for lapses; the note shows in status and history.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

token_of() { sed 's/.*"token":"\([0-9a-f]*\)".*/\1/' <<<"$1"; }

@test "a reserved resource is granted to nobody until unreserved" {
  lockctl pool set lab box-1 box-2
  lockctl pool set-labels box-1 gpu
  run -0 lockctl reserve box-1 --note 'maintenance until 14:00' --owner ops
  assert_output ""
  run -75 lockctl acquire box-1 --no-wait
  run -75 lockctl acquire --pool lab --label gpu --no-wait
  run -0 lockctl acquire --pool lab --json
  assert_output --partial '"resources":["box-2"]'
  run -0 lockctl status box-1
  assert_line --index 1 --regexp '^  reserved by ops  since [0-9T:.-]+Z  note maintenance until 14:00$'
  run -0 lockctl status box-1 --json
  assert_output --partial '"reserved":{"note":"maintenance until 14:00","owner":"ops","since":"'
  assert_output --partial '"until":null}'
  run -0 lockctl unreserve box-1 --owner ops
  assert_output ""
  run -0 lockctl acquire --pool lab --label gpu --no-wait
  assert_line --index 0 box-1
  run -0 lockctl history box-1
  assert_line --index 0 --regexp '  reserved  ops  reason maintenance until 14:00$'
  assert_line --index 1 --regexp '  unreserved  ops  reason unreserved$'
  assert_line --index 2 --regexp '  acquired  '
}

@test "a waiter is granted the resource when it is unreserved" {
  lockctl reserve solo --note repair
  lockctl acquire solo --owner waiter --json >granted 3>&- &
  pid=$!
  wait_queue solo 1
  run -0 lockctl unreserve solo
  wait "$pid"
  run cat granted
  assert_output --partial '"resources":["solo"]'
}

@test "a reservation with --for ends by itself" {
  run -0 lockctl reserve solo --for 1s --note short --json
  assert_output --regexp '^\{"resource":"solo","reserved":\{"note":"short","owner":"[^"]+","since":"[0-9T:.-]+Z","until":"[0-9T:.-]+Z"\},"held":0\}$'
  run -75 lockctl acquire solo --no-wait
  # the waiter re-checks while it waits; the first check after the end grants it
  run -0 lockctl acquire solo --wait 30s
  run -0 lockctl history solo
  assert_line --index 1 --regexp '  unreserved  .*  reason reservation ended$'
}

@test "reserving a held resource keeps its lease; it is not granted again after release" {
  held="$(lockctl acquire solo --json)"
  run -0 lockctl reserve solo --note next
  assert_output "lockctl: solo: reserved; 1 lease(s) still hold it until they end"
  run -0 lockctl renew solo --token "$(token_of "$held")"
  run -0 lockctl release solo --token "$(token_of "$held")"
  run -75 lockctl acquire solo --no-wait
}

@test "a reservation goes with its resource into a pool" {
  lockctl reserve solo --note kept
  lockctl pool set lab solo other
  run -0 lockctl acquire --pool lab --quantity 1 --json
  assert_output --partial '"resources":["other"]'
  run -75 lockctl acquire --pool lab --no-wait
  lockctl unreserve solo
  run -0 lockctl acquire --pool lab --no-wait
  assert_line --index 0 solo
}

@test "reserve errors and unreserving what is not reserved" {
  run -0 lockctl unreserve solo
  assert_output "lockctl: solo: not reserved"
  lockctl pool set lab box-1
  run -2 lockctl reserve lab
  assert_output "lockctl: error: RESOURCE: 'lab' is a pool, not a resource (name one of its members)"
  run -2 lockctl reserve solo --for 31d
  assert_output "lockctl: error: --for: 31d is longer than the limit 30d"
  run -2 lockctl reserve
  assert_output "lockctl: error: RESOURCE: missing"
  run -2 lockctl reserve a b
  assert_output "lockctl: error: 'b': unexpected argument (reserve takes one RESOURCE)"
}

@test "list shows a reserved resource that was never granted" {
  lockctl reserve solo --owner ops
  run -0 lockctl list
  assert_output "solo  0/1 held  0 waiting  fence 0  reserved by ops"
}
