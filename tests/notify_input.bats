#!/usr/bin/env bats
# Bad input: exit 2 with a message naming what is wrong, and nothing sent.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export SLACK_HOOK="T0001/B0002/slacksecret42"
  OK="slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
}

@test "unknown scheme" {
  run -2 notify --title t "$OK" "irc://chat.example.com/#ci"
  assert_output "notify: error: destination: unknown scheme 'irc' (expected webhook+https, webhook+http, slack, teams, victorops, pagerduty, clickatell, smtp, smtps, opsgenie, discord, gchat, mmost, mmosts, rocket, rockets, tgram, ntfy, ntfys, twilio, json+https, json+http, jsons or json)"
  [ "$(receiver_count)" = 0 ]
}

@test "missing \${VAR}" {
  unset NOPE_TOKEN
  run -2 notify --title t "$OK" --to 'pagerduty://${NOPE_TOKEN}'
  assert_output 'notify: error: --to: ${NOPE_TOKEN} is not set'
  [ "$(receiver_count)" = 0 ]
}

@test "malformed results file names the line" {
  printf '%s\n' '{"name":"a","status":"passed"}' '{"name":"b","status":' >bad.jsonl
  run -2 notify --key k --from bad.jsonl "$OK"
  assert_output --regexp '^notify: error: bad.jsonl:2:'
  printf '%s\n' '{"name":"a","status":"passed"}' '{"name":"b","status":"weird"}' >bad2.jsonl
  run -2 notify --key k --from bad2.jsonl "$OK"
  assert_output "notify: error: bad2.jsonl:2: field 'status': unknown status 'weird'"
  run -2 notify --key k --from missing.jsonl "$OK"
  assert_output "notify: error: missing.jsonl: No such file or directory"
  [ "$(receiver_count)" = 0 ]
  run redis-cli -p "$REDIS_PORT" keys '*'
  assert_output ""
}

@test "unknown tag and unknown destination name" {
  cat >n.json <<'JSON'
{"destinations": {"chat": {"url": "slack://${SLACK_HOOK}", "tags": ["frontend"]}}}
JSON
  run -2 notify --config n.json --tag backend --title t
  assert_output "notify: error: --tag: unknown tag 'backend' (no destination in n.json has it)"
  run -2 notify --config n.json --to pager --title t
  assert_output "notify: error: --to: unknown destination 'pager' (not in n.json)"
  run -2 notify --tag frontend --title t
  assert_output "notify: error: --tag: needs --config FILE"
  [ "$(receiver_count)" = 0 ]
}

@test "config errors name file, line and field" {
  printf '{"destinations": {\n  "chat": {"url": "slack://x", "colour": "red"}}}\n' >c.json
  run -2 notify --config c.json --to chat --title t
  assert_output --regexp "^notify: error: c.json:2:[0-9]+: unknown field 'colour'$"
  printf '{"destinations": {\n  "chat": {"url": "gopher://x"}}}\n' >d.json
  run -2 notify --config d.json --to chat --title t
  assert_output --regexp "^notify: error: d.json:2:[0-9]+: unknown scheme 'gopher'"
}

@test "message too large" {
  head -c 70000 /dev/zero | tr '\0' x >big.txt
  run -2 notify --title t --stdin "$OK" <big.txt
  assert_output "notify: error: --stdin: the message is 70000 bytes, more than the limit of 65536"
  [ "$(receiver_count)" = 0 ]
}

@test "flag errors" {
  run -2 notify --key k --status maybe "$OK"
  assert_output "notify: error: --status: expected failed or passed, got 'maybe'"
  run -2 notify --key k --status failed --threshold 3/2 "$OK"
  assert_output "notify: error: --threshold: N must not exceed M in N/M, got '3/2'"
  run -2 notify --status failed "$OK"
  assert_output "notify: error: --status: needs --key"
  run -2 notify --key k "$OK"
  assert_output "notify: error: --key: needs --status or --from"
  run -2 notify --title t
  assert_output "notify: error: no destination: give DEST, --to or --tag"
  run -2 notify --key 'a{b}' --status failed "$OK"
  assert_output "notify: error: --key: must not contain control characters or braces"
  run -2 notify --title t --link ftp://x "$OK"
  assert_output "notify: error: --link: expected URL or TEXT=URL with an http(s) URL, got 'ftp://x'"
  [ "$(receiver_count)" = 0 ]
}

@test "a bad template is caught before any state changes" {
  echo '{"text": "{{nope}}"}' >t.json
  run -2 notify --key k --status failed "webhook+http://127.0.0.1:$RECEIVER_PORT/h?template=t.json"
  assert_output "notify: error: t.json: unknown template field '{{nope}}'"
  run redis-cli -p "$REDIS_PORT" keys '*'
  assert_output ""
}

@test "--help lists flags, environment and exit status; --version" {
  run notify --help
  assert_success
  assert_output --partial "--threshold"
  assert_output --partial "REDIS_URL"
  assert_output --partial "Exit status:"
  run notify --version
  assert_success
  assert_output --regexp '^notify '
}

@test "a literal credential in a URL is refused" {
  run -2 notify --title t "$OK" 'pagerduty://R0UT1NGKEY1234'
  assert_output 'notify: error: destination: the PagerDuty routing key must come from the environment as ${VAR}, not be written literally'
  cat >n.json <<'JSON'
{"destinations": {"chat": {"url": "slack://T0/B0/literalsecret"}}}
JSON
  run -2 notify --config n.json --to chat --title t
  assert_output --regexp '^notify: error: n.json:1:[0-9]+: the Slack webhook path must come from the environment'
  [ "$(receiver_count)" = 0 ]
}

@test "other tools' URL forms that would send wrong requests are refused with a hint" {
  export PD_A=integration-key-1 PD_B=api-key-2 TEAMS_SIG=sig-123456
  run -2 notify --title t 'pagerduty://${PD_A}@${PD_B}'
  assert_output "notify: error: destination: pagerduty://INTEGRATION_KEY@API_KEY is another tool's form; the Events API needs only the integration's routing key: pagerduty://\${ROUTING_KEY}"
  run -2 notify --title t 'teams://group@tenant/altId/groupOwner?host=example.webhook.office.com'
  assert_output "notify: error: destination: teams://GROUP@TENANT/… is the form for Office 365 connectors, which Teams retired; give the Workflows webhook URL as teams://HOST/workflows/…?…&sig=\${SIG}"
  run -2 notify --title t 'victorops://frontend@${PD_B}'
  assert_output "notify: error: destination: victorops://ROUTING_KEY@API_KEY is another tool's form; notify takes the REST endpoint's parts in its order: victorops://\${API_KEY}/ROUTING_KEY"
  [ "$(receiver_count)" = 0 ]
}
