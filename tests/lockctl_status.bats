#!/usr/bin/env bats
# status, list, history, CI metadata, --keep-alive.

load helpers/suite
load helpers/lockctl_common

setup_file() { suite_start redis; }

@test "status shows the holder's owner, CI job and fence; the queue in order" {
  GITHUB_RUN_ID=99 GITHUB_SERVER_URL=https://github.example GITHUB_REPOSITORY=acme/web \
    lockctl acquire uat --owner deploy-bot >/dev/null
  BUILD_URL=https://jenkins.example/job/e2e/12/ lockctl acquire uat --owner waiter 3>&- >/dev/null 2>&1 &
  wait_queue uat 1
  run -0 lockctl status uat --json
  assert_output --partial '"owner":"deploy-bot","ci":"github","job_url":"https://github.example/acme/web/actions/runs/99"'
  assert_output --partial '"fence":1'
  assert_output --partial '"position":1'
  assert_output --partial '"job_url":"https://jenkins.example/job/e2e/12/"'
  run -0 lockctl status uat
  assert_line --index 0 "uat  1/1 held  fence 1"
  assert_line --index 1 --partial "held by deploy-bot"
  assert_line --index 1 --partial "job https://github.example/acme/web/actions/runs/99"
  assert_line --index 2 "queue:"
  assert_line --index 3 --regexp "^  1\. waiter  wants uat  waiting .*  job https://jenkins.example/job/e2e/12/$"
  lockctl force-release uat
  wait
}

@test "list shows resources and pools" {
  lockctl pool set envs e1 e2
  lockctl acquire --pool envs >/dev/null
  lockctl acquire solo --owner me >/dev/null
  run -0 lockctl list
  assert_line "pool envs  1/2 in use  0 waiting  members: e1 e2"
  assert_line "solo  1/1 held  0 waiting  fence 1  me"
  run -0 lockctl list --json
  assert_output --partial '"pools":[{"name":"envs","kind":"pool"'
  run -0 lockctl status
  assert_line "solo  1/1 held  0 waiting  fence 1  me"
}

@test "history records acquired (with the wait), released, expired and forced" {
  out="$(lockctl acquire h --ttl 1s --owner one)"
  sleep 1.2
  out="$(lockctl acquire h --owner two)"
  lockctl release h --token "$(sed -n 2p <<<"$out")"
  lockctl acquire h --owner three >/dev/null
  lockctl force-release h
  run -0 lockctl history h --json
  events="$(echo "$output" | /usr/bin/python3 -c 'import json,sys; print(" ".join(e["event"] for e in json.load(sys.stdin)))')"
  [ "$events" = "acquired expired acquired released acquired forced" ]
  run -0 lockctl history h --limit 2
  [ "${#lines[@]}" -eq 2 ]
  assert_line --index 1 --regexp "forced  three  fence 3"
}

@test "acquire --json has resources, token, fence and expires_at" {
  run -0 lockctl acquire uat --json --ttl 30s
  assert_output --regexp '^\{"resources":\["uat"\],"token":"[0-9a-f]{32}","fence":1,"fences":\[1\],"props":\{"uat":\{\}\},"expires_at":"20[0-9-]+T[0-9:.]+Z","waited_ms":0\}$'
}

@test "--keep-alive renews past the TTL until released" {
  run -0 lockctl acquire k --ttl 1s --keep-alive --json
  token="$(echo "$output" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')"
  keeper="$(echo "$output" | sed 's/.*"keeper_pid":\([0-9]*\).*/\1/')"
  sleep 1.6
  run -75 lockctl acquire k --no-wait
  run -0 lockctl release k --token "$token"
  # the keeper notices and ends
  wait_until 10 bash -c "! kill -0 $keeper"
}

@test "--keep-alive --watch-pid: the lease expires within one TTL of the watched process's death" {
  sleep 30 3>&- &
  watched=$!
  run -0 lockctl acquire k --ttl 1s --keep-alive --watch-pid "$watched" --json
  keeper="$(echo "$output" | sed 's/.*"keeper_pid":\([0-9]*\).*/\1/')"
  sleep 1.2
  run -75 lockctl acquire k --no-wait
  kill "$watched"
  wait_until 10 bash -c "! kill -0 $keeper"
  run -0 lockctl acquire k --wait 5s
}

@test "--keep-alive --max-hold releases after the cap" {
  run -0 lockctl acquire k --ttl 1s --keep-alive --max-hold 1500ms
  run -0 lockctl acquire k --wait 10s
  run lockctl history k --json
  assert_output --partial '"event":"released"'
}
