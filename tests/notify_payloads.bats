#!/usr/bin/env bats
# Exact request bodies per service, as each service documents them.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export VO_KEY="vo-api-key-1234" PD_KEY="pd-routing-key-5678" CT_KEY="clickatell-key-9999"
  export SLACK_HOOK="T0001/B0002/slacksecret42"
  printf '%s\n' \
    '{"name":"checkout","status":"failed","message":"exit status 1"}' \
    '{"name":"login","status":"passed"}' \
    '{"name":"search","status":"timeout","message":"timed out after 10m"}' >results.jsonl
}

@test "slack: Block Kit with a red attachment listing failed tests, mentions neutralised" {
  printf '%s\n' '{"name":"<!channel> pay","status":"failed","message":"@here 1 < 2"}' >r.jsonl
  run notify --key web/pay --from r.jsonl --source ci-7 \
    "slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_count)" = 1 ]
  # endpoint= replaces scheme, host and port; the service's own path follows.
  [ "$(receiver_field 1 'r["path"]')" = /services/T0001/B0002/slacksecret42 ]
  [ "$(receiver_field 1 'r["headers"]["content-type"]')" = application/json ]
  expected='{"text":"web/pay: 1 test failed",
    "blocks":[{"type":"header","text":{"type":"plain_text","text":"web/pay: 1 test failed","emoji":true}}],
    "attachments":[{"color":"#E01E5A","blocks":[
      {"type":"section","text":{"type":"mrkdwn","text":"*Failed tests: 1 of 1*\n• &lt;!channel&gt; pay: @\u200bhere 1 &lt; 2"}},
      {"type":"context","elements":[{"type":"mrkdwn","text":"`web/pay`  ·  ci-7"}]}]}]}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
}

@test "slack: recovery is green" {
  url="slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
  notify --key web/pay --status failed --source ci-7 "$url"
  notify --key web/pay --status passed --source ci-7 "$url"
  [ "$(receiver_count)" = 2 ]
  run receiver_field 2 'json.loads(r["body"])["attachments"][0]["blocks"][0]["text"]["text"]'
  assert_output --regexp '^Passing again after 1 failed run \(failing since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\)\.$'
  expected='{"text":"web/pay recovered",
    "blocks":[{"type":"header","text":{"type":"plain_text","text":"web/pay recovered","emoji":true}}],
    "attachments":[{"color":"#2EB67D","blocks":[
      {"type":"context","elements":[{"type":"mrkdwn","text":"`web/pay`  ·  ci-7"}]}]}]}'
  [ "$(receiver_body_without 2 'b["attachments"][0]["blocks"][0]')" = "$(canon "$expected")" ]
}

@test "teams: an Adaptive Card in a Workflows message" {
  run notify --key web/pay --from results.jsonl --source ci-7 --link "Run=https://ci.example.com/run/1" \
    "teams://prod-00.westus.logic.azure.com/workflows/abc?endpoint=$(receiver_url)"
  assert_success
  expected='{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
    "content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",
      "body":[
        {"type":"TextBlock","text":"web/pay: 2 of 3 tests failed","weight":"Bolder","size":"Medium","color":"Attention","wrap":true},
        {"type":"FactSet","facts":[{"title":"Key","value":"web/pay"},{"title":"Status","value":"failed"},{"title":"Source","value":"ci-7"}]},
        {"type":"TextBlock","text":"Failed tests: 2 of 3","weight":"Bolder","wrap":true},
        {"type":"TextBlock","text":"- checkout: exit status 1\n- search (timeout): timed out after 10m","wrap":true}],
      "actions":[{"type":"Action.OpenUrl","title":"Run","url":"https://ci.example.com/run/1"}]}}]}'
  # The Time fact carries the alert's time; check its form, then compare the rest exactly.
  run receiver_field 1 'json.loads(r["body"])["attachments"][0]["content"]["body"][1]["facts"][3]["title"]'
  assert_output Time
  [ "$(receiver_body_without 1 'b["attachments"][0]["content"]["body"][1]["facts"][3]')" = "$(canon "$expected")" ]
}

@test "victorops: CRITICAL then RECOVERY with a stable entity_id" {
  url="victorops://\${VO_KEY}/frontend?endpoint=$(receiver_url)"
  run notify --key opm/opm-tests-1 --from results.jsonl --source ci-7 "$url"
  assert_success
  expected='{"message_type":"CRITICAL","entity_id":"opm/opm-tests-1","entity_display_name":"opm/opm-tests-1: 2 of 3 tests failed",
    "state_message":"Failed tests: 2 of 3\ncheckout: exit status 1\nsearch (timeout): timed out after 10m",
    "monitoring_tool":"ciutils notify","host_name":"ci-7"}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run notify --key opm/opm-tests-1 --status passed --source ci-7 "$url"
  assert_success
  expected='{"message_type":"RECOVERY","entity_id":"opm/opm-tests-1","entity_display_name":"opm/opm-tests-1 recovered",
    "monitoring_tool":"ciutils notify","host_name":"ci-7"}'
  run receiver_field 2 'json.loads(r["body"])["state_message"]'
  assert_output --regexp '^Passing again after 1 failed run \(failing since .*Z\)\.$'
  [ "$(receiver_body_without 2 'b["state_message"]')" = "$(canon "$expected")" ]
}

@test "victorops: the real URL carries the API key and routing key" {
  run notify --dry-run --title hi "victorops://\${VO_KEY}/frontend"
  assert_success
  assert_line "POST https://alert.victorops.com/integrations/generic/20131114/alert/***/frontend"
}

@test "pagerduty: Events v2 trigger with dedup_key, then resolve" {
  url="pagerduty://\${PD_KEY}?endpoint=$(receiver_url)&component=checkout"
  run notify --key opm/opm-tests-1 --from results.jsonl --source ci-7 --link "https://ci.example.com/run/1" "$url"
  assert_success
  expected='{"routing_key":"pd-routing-key-5678","event_action":"trigger","dedup_key":"opm/opm-tests-1",
    "payload":{"summary":"opm/opm-tests-1: 2 of 3 tests failed","source":"ci-7","severity":"critical","component":"checkout",
      "custom_details":{"message":"","failed":2,"total":3,"consecutive_failures":1,
        "failed_tests":[{"name":"checkout","status":"failed","message":"exit status 1"},
                        {"name":"search","status":"timeout","message":"timed out after 10m"}]}},
    "client":"ciutils notify","links":[{"href":"https://ci.example.com/run/1","text":"https://ci.example.com/run/1"}]}'
  run receiver_field 1 'json.loads(r["body"])["payload"]["timestamp"]'
  assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'
  [ "$(receiver_body_without 1 'b["payload"]["timestamp"]')" = "$(canon "$expected")" ]
  run notify --key opm/opm-tests-1 --status passed "$url"
  assert_success
  [ "$(receiver_body 2)" = "$(canon '{"routing_key":"pd-routing-key-5678","event_action":"resolve","dedup_key":"opm/opm-tests-1"}')" ]
}

@test "clickatell: one request for several recipients, Authorization header, SMS length" {
  run notify --key opm/opm-tests-1 --from results.jsonl \
    "clickatell://\${CT_KEY}/+27820000001,27820000002?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = clickatell-key-9999 ]
  expected='{"messages":[
    {"channel":"sms","to":"27820000001","content":"FAILED: opm/opm-tests-1: 2 of 3 tests failed (checkout, search)"},
    {"channel":"sms","to":"27820000002","content":"FAILED: opm/opm-tests-1: 2 of 3 tests failed (checkout, search)"}]}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  long="$(printf 'x%.0s' $(seq 1 300))"
  run notify --title "$long" "clickatell://\${CT_KEY}/27820000001?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 2 'len(json.loads(r["body"])["messages"][0]["content"])')" = 160 ]
}

@test "webhook: the alert as JSON by default, a template, and an HMAC-SHA256 signature" {
  export HOOK_SECRET="hmac-secret-abc"
  cat >tpl.json <<'TPL'
{"text": "{{title}} ({{status}})", "failed": "{{failed}}", "count": "{{total}}"}
TPL
  run notify --key web/pay --from results.jsonl \
    "webhook+http://127.0.0.1:$RECEIVER_PORT/hook?template=tpl.json&hmac=\${HOOK_SECRET}"
  assert_success
  expected='{"text":"web/pay: 2 of 3 tests failed (failed)",
    "failed":[{"name":"checkout","status":"failed","message":"exit status 1"},
              {"name":"search","status":"timeout","message":"timed out after 10m"}],"count":3}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  body="$(receiver_field 1 'r["body"]')"
  sig="$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$HOOK_SECRET" | awk '{print $NF}')"
  [ "$(receiver_field 1 'r["headers"]["x-signature-256"]')" = "sha256=$sig" ]
  run notify --title "plain" --message "hello" --source ci-7 "webhook+http://127.0.0.1:$RECEIVER_PORT/plain"
  assert_success
  [ "$(receiver_field 2 'json.loads(r["body"])["title"]')" = plain ]
  [ "$(receiver_field 2 'json.loads(r["body"])["event"]')" = message ]
  [ "$(receiver_field 2 'json.loads(r["body"])["message"]')" = hello ]
}

@test "a long failed-test list is trimmed to Slack's section limit" {
  for i in $(seq 1 200); do
    echo "{\"name\":\"test-$i-with-a-rather-long-name\",\"status\":\"failed\",\"message\":\"assertion failed at step $i\"}"
  done >many.jsonl
  run notify --key web/many --from many.jsonl "slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
  assert_success
  text="$(receiver_field 1 'json.loads(r["body"])["attachments"][0]["blocks"][0]["text"]["text"]')"
  [ "${#text}" -le 3000 ]
  [[ "$text" == *"more" ]]
}

@test "--json prints the delivery results" {
  run --separate-stderr notify --json --key web/pay --status failed "slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
  assert_success
  expected='{"event":"trigger","dry_run":false,"key":"web/pay","status":"failed","failures":1,"history":"F",
    "deliveries":[{"destination":"slack://${SLACK_HOOK}?endpoint=http://127.0.0.1:'"$RECEIVER_PORT"'","service":"slack",
      "required":true,"outcome":"accepted","attempts":1,"spooled":false,"http_status":200}]}'
  [ "$(canon "$output")" = "$(canon "$expected")" ]
}

@test "bodies are valid UTF-8 JSON: invalid bytes replaced, ANSI escapes stripped, controls shown" {
  hook="webhook+http://127.0.0.1:$RECEIVER_PORT/hook"
  printf 'make: \033[31mFAILED\033[0m \377\376 bell\007 done\n' >out.txt
  run notify --title "$(printf 'build \303 \033[1mbold\033[0m')" --stdin "$hook" \
    "slack://\${SLACK_HOOK}?endpoint=$(receiver_url)" <out.txt
  assert_success
  [ "$(receiver_count)" = 2 ]
  [ "$(receiver_field 1 'r["utf8"]')" = true ]
  [ "$(receiver_field 2 'r["utf8"]')" = true ]
  [ "$(receiver_field 1 'json.loads(r["body"])["message"]')" = "$(printf 'make: FAILED \357\277\275\357\277\275 bell\\x07 done')" ]
  [ "$(receiver_field 1 'json.loads(r["body"])["title"]')" = "$(printf 'build \357\277\275 bold')" ]
  # Test output from --from gets the same cleaning, and so does --dry-run.
  printf '%s\n' '{"name":"a\u001b[32mok\u001b[0m","status":"failed","message":"x\u0000y"}' >r.jsonl
  run notify --key u/1 --from r.jsonl "$hook"
  assert_success
  [ "$(receiver_field 3 'json.loads(r["body"])["failed"]')" = '[{"message": "x\\x00y", "name": "aok", "status": "failed"}]' ]
  printf 'a \377 \033[31mb\n' | notify --dry-run --title t --stdin "$hook" >dry.txt
  /usr/bin/python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <dry.txt
  run grep -c $'\033' dry.txt
  assert_output 0
  grep -qF "\"message\":\"a $(printf '\357\277\275') b\"" dry.txt
  run -2 notify --key "$(printf 'k\377')" --status failed "$hook"
  assert_output "notify: error: --key: must be valid UTF-8"
}

@test "endpoint= replaces scheme, host, port and base path; each service's path and query follow" {
  export TEAMS_SIG=teams-sig-4242
  base="$(receiver_url /gw)"
  run notify --key e/1 --status failed \
    "slack://\${SLACK_HOOK}?endpoint=$base" \
    "victorops://\${VO_KEY}/frontend?endpoint=$base/" \
    "pagerduty://\${PD_KEY}?endpoint=$base" \
    "clickatell://\${CT_KEY}/27820000001?endpoint=$base" \
    "teams://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=\${TEAMS_SIG}&endpoint=$base" \
    "webhook+https://hooks.example.com/ci/alert?team=web&endpoint=$base"
  assert_success
  run /usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    print(json.loads(line)["path"])' "$RECEIVER_LOG"
  assert_output "/gw/services/T0001/B0002/slacksecret42
/gw/integrations/generic/20131114/alert/vo-api-key-1234/frontend
/gw/v2/enqueue
/gw/v1/message
/gw/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=teams-sig-4242
/gw/ci/alert?team=web"
  # url= replaces the whole URL.
  reset_receiver
  run notify --title t "pagerduty://\${PD_KEY}?url=$(receiver_url /anything)"
  assert_success
  [ "$(receiver_field 1 'r["path"]')" = /anything ]
  run -2 notify --title t "pagerduty://\${PD_KEY}?url=$(receiver_url /a)&endpoint=$base"
  assert_output "notify: error: destination: endpoint and url: give one"
  run -2 notify --title t "pagerduty://\${PD_KEY}?endpoint=$base%3Fx%3D1"
  assert_output "notify: error: destination: endpoint: takes scheme, host, port and path only (url= replaces the whole URL)"
}

@test "pagerduty: a one-off message is a change event, never an incident nothing resolves" {
  run notify --title "Deploy of web 1.4.2 finished" --message "smoke tests passed" --source ci-7 \
    --link "Run=https://ci.example.com/1" "pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 1 'r["path"]')" = /v2/change/enqueue ]
  expected='{"routing_key":"pd-routing-key-5678","payload":{"summary":"Deploy of web 1.4.2 finished","source":"ci-7",
    "custom_details":{"message":"smoke tests passed"}},"links":[{"href":"https://ci.example.com/1","text":"Run"}]}'
  [ "$(receiver_body_without 1 'b["payload"]["timestamp"]')" = "$(canon "$expected")" ]
}
