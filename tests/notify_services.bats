#!/usr/bin/env bats
# Opsgenie, Discord, Google Chat, Mattermost, Rocket.Chat, Telegram, ntfy, Twilio and
# Apprise-style json://: exact requests as each service documents them, lifecycles where
# the service has one, secrets kept out of every output.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export OG_KEY="og-integration-key-1234" DC_TOKEN="discord-token-5678abcd" GC_TOKEN="gchat-token-9999zz"
  export MM_TOKEN="mattermost-token-4321" RC_HOOK="hookid123/rocket-token-8765" TG_TOKEN="123456:telegram-secret-42x"
  export NTFY_TOKEN="tk_ntfy-access-token-11" TW_TOKEN="twilio-auth-token-77" JSON_PASS="json-password-55"
  printf '%s\n' \
    '{"name":"checkout","status":"failed","message":"exit status 1"}' \
    '{"name":"login","status":"passed"}' >results.jsonl
  TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'
}

# path N: request N's path.
path() {
  receiver_field "$1" 'r["path"]'
}

@test "opsgenie: create with the key as alias, responders and tags; the recovery closes by alias" {
  url="opsgenie://\${OG_KEY}/#ops/@jane/*nights/^escalate/0b9b2e52-2f2c-4e44-8d8e-7c6c2d0e1a2b?endpoint=$(receiver_url)&tags=ci,web&entity=checkout"
  run notify --key opm/opm-tests-1 --from results.jsonl --source ci-7 --link "Run=https://ci.example.com/1" "$url"
  assert_success
  [ "$(path 1)" = /v2/alerts ]
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = "GenieKey og-integration-key-1234" ]
  expected='{"message":"opm/opm-tests-1: 1 of 2 tests failed","alias":"opm/opm-tests-1",
    "description":"Failed tests: 1 of 2\ncheckout: exit status 1","source":"ci-7","priority":"P1",
    "details":{"status":"failed","key":"opm/opm-tests-1","failed":"1","total":"2","consecutive_failures":"1","Run":"https://ci.example.com/1"},
    "responders":[{"type":"team","name":"ops"},{"type":"user","username":"jane"},{"type":"schedule","name":"nights"},
                  {"type":"escalation","name":"escalate"},{"type":"user","id":"0b9b2e52-2f2c-4e44-8d8e-7c6c2d0e1a2b"}],
    "tags":["ci","web"],"entity":"checkout"}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run notify --key opm/opm-tests-1 --status passed --source ci-7 "$url"
  assert_success
  [ "$(receiver_count)" = 2 ]
  # The alias is percent-encoded in the path, as Opsgenie's close request names it.
  [ "$(path 2)" = "/v2/alerts/opm%2Fopm-tests-1/close?identifierType=alias" ]
  [ "$(receiver_field 2 'r["headers"]["authorization"]')" = "GenieKey og-integration-key-1234" ]
  run receiver_field 2 'json.loads(r["body"])["note"]'
  assert_output --regexp '^Passing again after 1 failed run \(failing since .*Z\)\.$'
  [ "$(receiver_body_without 2 'b["note"]')" = "$(canon '{"source":"ci-7","user":"ciutils notify"}')" ]
}

@test "opsgenie: severity sets the priority, ?priority= overrides it; EU region; bad values are exit 2" {
  run notify --key k/1 --status failed --severity warning "opsgenie://\${OG_KEY}?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 1 'json.loads(r["body"])["priority"]')" = P3 ]
  run notify --key k/2 --status failed "opsgenie://\${OG_KEY}?endpoint=$(receiver_url)&priority=P2"
  assert_success
  [ "$(receiver_field 2 'json.loads(r["body"])["priority"]')" = P2 ]
  # A one-off message opens an alert without alias at P5 (info).
  run notify --title "Deploy done" "opsgenie://\${OG_KEY}?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 3 'json.loads(r["body"])["priority"]')" = P5 ]
  [ "$(receiver_field 3 '"alias" in json.loads(r["body"])')" = false ]
  run notify --dry-run --title t "opsgenie://\${OG_KEY}?region=eu"
  assert_line "POST https://api.eu.opsgenie.com/v2/alerts"
  run -2 notify --title t "opsgenie://\${OG_KEY}?priority=high"
  assert_output "notify: error: destination: priority: expected P1, P2, P3, P4 or P5, got 'high'"
  run -2 notify --title t "opsgenie://\${OG_KEY}?region=ap"
  assert_output "notify: error: destination: region: expected us or eu, got 'ap'"
  run -2 notify --title t "opsgenie://\${OG_KEY}?url=$(receiver_url /x)"
  assert_output "notify: error: destination: url: not for opsgenie:// (closing an alert uses a path naming it); use endpoint="
}

@test "discord: one embed coloured by state, mentions never ping" {
  url="discord://ci-bot@112233445566/\${DC_TOKEN}?endpoint=$(receiver_url)"
  printf '%s\n' '{"name":"@everyone pay","status":"failed","message":"<@&123> boom"}' >r.jsonl
  run notify --key web/pay --from r.jsonl --source ci-7 --link "Run=https://ci.example.com/1" "$url"
  assert_success
  [ "$(path 1)" = /api/webhooks/112233445566/discord-token-5678abcd ]
  run receiver_field 1 'json.loads(r["body"])["embeds"][0]["timestamp"]'
  assert_output --regexp "$TIME_RE"
  expected='{"username":"ci-bot","allowed_mentions":{"parse":[]},"embeds":[{"title":"web/pay: 1 test failed","color":14687834,
    "description":"Failed tests: 1 of 1\n@everyone pay: <@&123> boom",
    "fields":[{"name":"Links","value":"[Run](https://ci.example.com/1)"}],"footer":{"text":"web/pay · ci-7"}}]}'
  [ "$(receiver_body_without 1 'b["embeds"][0]["timestamp"]')" = "$(canon "$expected")" ]
  run notify --key web/pay --status passed --source ci-7 "$url"
  assert_success
  [ "$(receiver_field 2 'json.loads(r["body"])["embeds"][0]["color"]')" = 3061373 ]
  [ "$(receiver_field 2 'json.loads(r["body"])["embeds"][0]["title"]')" = "web/pay recovered" ]
}

@test "google chat: text message; an incident's trigger and recovery share a thread, the next incident gets a new one" {
  url="gchat://AAAAbcd/webhook-key/\${GC_TOKEN}?endpoint=$(receiver_url)"
  run notify --key web/pay --from results.jsonl --source ci-7 --link "Run=https://ci.example.com/1" "$url"
  assert_success
  [ "$(path 1)" = "/v1/spaces/AAAAbcd/messages?key=webhook-key&token=gchat-token-9999zz&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD" ]
  run receiver_field 1 'json.loads(r["body"])["thread"]["threadKey"]'
  assert_output --regexp '^web/pay@[0-9]+$'
  thread="$output"
  expected='{"text":"*web/pay: 1 of 2 tests failed*\nFailed tests: 1 of 2\ncheckout: exit status 1\n<https://ci.example.com/1|Run>\nweb/pay · ci-7"}'
  [ "$(receiver_body_without 1 'b["thread"]')" = "$(canon "$expected")" ]
  notify --key web/pay --status passed "$url"
  [ "$(receiver_field 2 'json.loads(r["body"])["thread"]["threadKey"]')" = "$thread" ]
  notify --key web/pay --status failed "$url"
  [ "$(receiver_field 3 'json.loads(r["body"])["thread"]["threadKey"]')" != "$thread" ]
  # "<users/all>" in test output would mention the whole space: it is broken up.
  run notify --title "$(printf 'x <users/all> y')" --source ci-7 "$url"
  assert_success
  [ "$(receiver_field 4 'json.loads(r["body"])["text"]')" = "$(printf '*x <\342\200\213users/all> y*\nci-7')" ]
}

@test "mattermost: Slack-style attachment to HOST:8065/hooks/TOKEN, channel and bot name, mentions neutralised" {
  run notify --dry-run --title t "mmost://mm.example.com/\${MM_TOKEN}" "mmosts://mm.example.com/chat/\${MM_TOKEN}"
  assert_line "POST http://mm.example.com:8065/hooks/***"
  assert_line "POST https://mm.example.com/chat/hooks/***"
  printf '%s\n' '{"name":"@channel pay","status":"failed","message":"@all boom"}' >r.jsonl
  run notify --key web/pay --from r.jsonl --source ci-7 \
    "mmost://ci-bot@mm.example.com/\${MM_TOKEN}?channel=alerts&endpoint=$(receiver_url /mm)"
  assert_success
  [ "$(path 1)" = /mm/hooks/mattermost-token-4321 ]
  expected='{"username":"ci-bot","channel":"alerts","attachments":[{"fallback":"web/pay: 1 test failed","color":"#E01E5A",
    "title":"web/pay: 1 test failed","text":"Failed tests: 1 of 1\n@\u200bchannel pay: @\u200ball boom",
    "fields":[{"short":true,"title":"Key","value":"web/pay"},{"short":true,"title":"Source","value":"ci-7"}]}]}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
}

@test "rocket.chat: incoming webhook ID/TOKEN with a channel; the REST login form is refused" {
  run notify --key web/pay --status failed --source ci-7 "rockets://\${RC_HOOK}@rc.example.com/#alerts?endpoint=$(receiver_url)"
  assert_success
  [ "$(path 1)" = /hooks/hookid123/rocket-token-8765 ]
  expected='{"channel":"#alerts","attachments":[{"fallback":"web/pay failed","color":"#E01E5A","title":"web/pay failed",
    "fields":[{"short":true,"title":"Key","value":"web/pay"},{"short":true,"title":"Source","value":"ci-7"}]}]}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run notify --dry-run --title t "rocket://\${RC_HOOK}@rc.example.com:3000"
  assert_line "POST http://rc.example.com:3000/hooks/***"
  export RC_PASS=pw
  run -2 notify --title t "rockets://bot:\${RC_PASS}@rc.example.com/#alerts"
  assert_output "notify: error: destination: rockets://USER:PASSWORD@… logs in to the REST API, which notify does not do; give the incoming webhook: rockets://\${RC_WEBHOOK}@HOST[/#CHANNEL]"
  run -2 notify --title t "rockets://\${RC_HOOK}@rc.example.com/#a/#b"
  assert_output "notify: error: destination: rockets:// takes one channel or user; give one destination for each"
}

@test "telegram: sendMessage with HTML escaped, one chat per destination" {
  printf '%s\n' '{"name":"a<b>&c","status":"failed","message":"x"}' >r.jsonl
  run notify --key web/pay --from r.jsonl --source ci-7 --link "Run=https://ci.example.com/1?a=1&b=2" \
    "tgram://\${TG_TOKEN}/-100123456?endpoint=$(receiver_url)"
  assert_success
  [ "$(path 1)" = "/bot123456:telegram-secret-42x/sendMessage" ]
  expected='{"chat_id":"-100123456","parse_mode":"HTML","disable_web_page_preview":true,
    "text":"<b>web/pay: 1 test failed</b>\nFailed tests: 1 of 1\na&lt;b&gt;&amp;c: x\n<a href=\"https://ci.example.com/1?a=1&amp;b=2\">Run</a>\n<i>web/pay · ci-7</i>"}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run -2 notify --title t 'tgram://${TG_TOKEN}/1/2'
  assert_output "notify: error: destination: tgram:// takes one chat; give one destination for each"
}

@test "ntfy: JSON publish to the server root with topic, priority, tags and actions; token or basic auth" {
  run notify --key web/pay --from results.jsonl --link "Run=https://ci.example.com/1" \
    "ntfys://ntfy.example.com/ci-alerts?token=\${NTFY_TOKEN}&tags=ci&endpoint=$(receiver_url /ntfy)"
  assert_success
  [ "$(path 1)" = /ntfy/ ]
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = "Bearer tk_ntfy-access-token-11" ]
  expected='{"topic":"ci-alerts","title":"web/pay: 1 of 2 tests failed","message":"Failed tests: 1 of 2\ncheckout: exit status 1",
    "priority":5,"tags":["rotating_light","ci"],"click":"https://ci.example.com/1",
    "actions":[{"action":"view","label":"Run","url":"https://ci.example.com/1"}]}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run notify --key web/pay --status passed "ntfy://bot:\${NTFY_TOKEN}@ntfy.example.com/ci-alerts?priority=low&endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 2 'r["headers"]["authorization"]')" = "Basic $(printf 'bot:%s' "$NTFY_TOKEN" | base64 -w0)" ]
  [ "$(receiver_field 2 'json.loads(r["body"])["tags"]')" = '["white_check_mark"]' ]
  [ "$(receiver_field 2 'json.loads(r["body"])["priority"]')" = 2 ]
  run notify --dry-run --title t "ntfy://ci-alerts_1"
  assert_line "POST https://ntfy.sh/"
  run -2 notify --title t "ntfy://ntfy.example.com/bad.topic"
  assert_output "notify: error: destination: ntfy: 'bad.topic' is not a topic (1-64 letters, digits, - and _)"
  run -2 notify --title t "ntfy://ntfy.example.com/t?priority=urgent"
  assert_output "notify: error: destination: priority: expected 1-5 or min, low, default, high, max, got 'urgent'"
  run -2 notify --title t "ntfy://ntfy.example.com/t?token=tk_literal"
  assert_output "notify: error: destination: the ntfy access token must come from the environment as \${VAR}, not be written literally"
}

@test "twilio: a form to the account's Messages resource with basic auth, text cut to one SMS" {
  sid=AC0123456789abcdef0123456789abcdef
  long="$(printf 'x%.0s' $(seq 1 300))"
  run notify --title "$long" "twilio://$sid:\${TW_TOKEN}@+15550001111/15550002222?endpoint=$(receiver_url)"
  assert_success
  [ "$(path 1)" = "/2010-04-01/Accounts/$sid/Messages.json" ]
  [ "$(receiver_field 1 'r["headers"]["content-type"]')" = application/x-www-form-urlencoded ]
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = "Basic $(printf '%s:%s' "$sid" "$TW_TOKEN" | base64 -w0)" ]
  run receiver_field 1 'json.dumps(__import__("urllib.parse").parse.parse_qs(r["body"]), sort_keys=True)'
  assert_output "{\"Body\": [\"${long:0:157}...\"], \"From\": [\"+15550001111\"], \"To\": [\"+15550002222\"]}"
  run notify --key web/pay --from results.jsonl "twilio://$sid:\${TW_TOKEN}@12345/+15550002222?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 2 'r["body"]')" = "To=%2B15550002222&From=12345&Body=FAILED%3A%20web%2Fpay%3A%201%20of%202%20tests%20failed%20%28checkout%29" ]
  run -2 notify --title t "twilio://$sid:\${TW_TOKEN}@+15550001111/+15550002222/+15550003333"
  assert_output "notify: error: destination: twilio:// takes one recipient; give one destination for each"
  run -2 notify --title t "twilio://SID:\${TW_TOKEN}@+15550001111/+15550002222"
  assert_output "notify: error: destination: twilio: 'SID' is not an account SID (AC and 32 characters)"
}

@test "json+https:// and Apprise's json:// and jsons://: Apprise's body, extra fields and headers, basic auth" {
  run notify --key web/pay --from results.jsonl \
    "json+http://ci:\${JSON_PASS}@127.0.0.1:$RECEIVER_PORT/notify?+X-Team=web&:channel=ops&team=a"
  assert_success
  [ "$(path 1)" = "/notify?team=a" ]
  [ "$(receiver_field 1 'r["headers"]["x-team"]')" = web ]
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = "Basic $(printf 'ci:%s' "$JSON_PASS" | base64 -w0)" ]
  expected='{"version":"1.0","title":"web/pay: 1 of 2 tests failed","message":"Failed tests: 1 of 2\ncheckout: exit status 1",
    "attachments":[],"type":"failure","channel":"ops"}'
  [ "$(receiver_body 1)" = "$(canon "$expected")" ]
  run notify --key web/pay --status passed "json://127.0.0.1:$RECEIVER_PORT/notify?method=PUT&-attachments&-version"
  assert_success
  [ "$(receiver_field 2 'r["method"]')" = PUT ]
  [ "$(receiver_field 2 'sorted(json.loads(r["body"]))')" = '["message", "title", "type"]' ]
  [ "$(receiver_field 2 'json.loads(r["body"])["type"]')" = success ]
  run notify --title hi --message there "json://127.0.0.1:$RECEIVER_PORT/"
  assert_success
  [ "$(receiver_body 3)" = "$(canon '{"version":"1.0","title":"hi","message":"there","attachments":[],"type":"info"}')" ]
  run notify --dry-run --title t "jsons://hooks.example.com/a" "json+https://hooks.example.com/b"
  assert_line "POST https://hooks.example.com/a"
  assert_line "POST https://hooks.example.com/b"
  run -2 notify --title t "json://h/?method=GET"
  assert_output "notify: error: destination: method: expected POST or PUT, got 'GET'"
}

@test "credentials written literally are refused; every secret is redacted from --dry-run, --json and errors" {
  run -2 notify --title t "opsgenie://literal-key"
  assert_output "notify: error: destination: the Opsgenie API key must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "discord://1234/literal-token"
  assert_output "notify: error: destination: the Discord webhook token must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "gchat://S/K/literal"
  assert_output "notify: error: destination: the Google Chat webhook token must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "mmost://h/literal"
  assert_output "notify: error: destination: the Mattermost webhook token must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "rocket://id/tok@h"
  assert_output "notify: error: destination: rocket:// expects \${RC_WEBHOOK}@HOST[:PORT][/#CHANNEL|/@USER]"
  run -2 notify --title t "tgram://1:abc/5"
  assert_output "notify: error: destination: the Telegram bot token must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "twilio://AC0123456789abcdef0123456789abcdef:tok@+15550001111/+15550002222"
  assert_output "notify: error: destination: the Twilio auth token must come from the environment as \${VAR}, not be written literally"
  run -2 notify --title t "json://u:pw@h/"
  assert_output "notify: error: destination: the password must come from the environment as \${VAR}, not be written literally"
  # A secret printed by a test is redacted too, alone or as the distinctive part of a composite one.
  printf '%s\n' "{\"name\":\"t\",\"status\":\"failed\",\"message\":\"rocket-token-8765 telegram-secret-42x $OG_KEY\"}" >r.jsonl
  dests=("opsgenie://\${OG_KEY}/#ops" "discord://1234/\${DC_TOKEN}" "gchat://S/K/\${GC_TOKEN}" "mmost://h/\${MM_TOKEN}"
    "rocket://\${RC_HOOK}@h" "tgram://\${TG_TOKEN}/5" "ntfy://h/t?token=\${NTFY_TOKEN}" "ntfy://u:\${JSON_PASS}@h/t"
    "twilio://AC0123456789abcdef0123456789abcdef:\${TW_TOKEN}@+15550001111/+15550002222" "json://u:\${JSON_PASS}@h/")
  run notify --dry-run --key k/1 --from r.jsonl "${dests[@]}"
  assert_success
  run --separate-stderr notify --dry-run --json --key k/1 --from r.jsonl "${dests[@]}"
  assert_success
  all="$output$stderr"
  run notify --dry-run --key k/1 --from r.jsonl "${dests[@]}"
  all="$all$output"
  for s in "$OG_KEY" "$DC_TOKEN" "$GC_TOKEN" "$MM_TOKEN" "$RC_HOOK" rocket-token-8765 "$TG_TOKEN" telegram-secret-42x \
    "$NTFY_TOKEN" "$TW_TOKEN" "$JSON_PASS" "$(printf 'u:%s' "$JSON_PASS" | base64 -w0)"; do
    [[ "$all" != *"$s"* ]] || { echo "leaked: $s"; return 1; }
  done
  [[ "$all" == *"Authorization: GenieKey ***"* ]]
  # Delivery errors are redacted as well.
  run --separate-stderr notify --title t "tgram://\${TG_TOKEN}/5?endpoint=http://127.0.0.1:$(free_port)&retries=0"
  assert_failure 3
  [[ "$stderr" != *telegram-secret-42x* ]]
  [[ "$stderr" == *"tgram://\${TG_TOKEN}/5"* ]]
}

@test "a spooled Opsgenie trigger is withdrawn by the recovery: the destination hears of neither" {
  url="opsgenie://\${OG_KEY}?endpoint=$(receiver_url)&retries=0"
  receiver_plan '{"mode":"500","count":100}'
  run notify --key web/spool --status failed "$url"
  assert_failure 3
  reset_receiver
  run --separate-stderr notify --json --key web/spool --status passed "$url"
  assert_success
  [ "$(echo "$output" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["deliveries"][0]["outcome"])')" = withdrawn ]
  run notify flush
  assert_success
  [ "$(receiver_count)" = 0 ]
}

@test "opsgenie: a reminder re-sends the create with the same alias; a spooled recovery is flushed as the close request" {
  url="opsgenie://\${OG_KEY}?endpoint=$(receiver_url)&retries=0"
  notify --key web/close --status failed "$url"
  # Opsgenie folds a create with an open alert's alias into that alert (its count goes up).
  run notify --key web/close --status failed --remind 1ms "$url"
  assert_success
  [ "$(receiver_field 2 'json.loads(r["body"])["alias"]')" = web/close ]
  [ "$(path 2)" = /v2/alerts ]
  receiver_plan '{"mode":"500","count":1}'
  run notify --key web/close --status passed "$url"
  assert_failure 3
  [ "$(receiver_count)" = 3 ]
  run notify flush
  assert_success
  [ "$(receiver_count)" = 4 ]
  [ "$(path 4)" = "/v2/alerts/web%2Fclose/close?identifierType=alias" ]
  [ "$(receiver_field 4 'json.loads(r["body"])["user"]')" = "ciutils notify" ]
}
