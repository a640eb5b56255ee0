#!/usr/bin/env bats
# Secrets come only from ${VAR} and never appear in output, logs, spools or alert content.

bats_require_minimum_version 1.5.0
load helpers/suite
load helpers/notify_common

setup_file() { suite_start redis receiver; }

setup() {
  suite_setup
  export SECRET="Sup3rS3cretValue"
  export SLACK_HOOK="T0001/B0002/$SECRET" VO_KEY="$SECRET" PD_KEY="$SECRET" CT_KEY="$SECRET"
  export TEAMS_SIG="$SECRET" SMTP_PASSWORD="$SECRET" HOOK_SECRET="$SECRET"
}

refute_secret() {
  if grep -rqF "$SECRET" "$@"; then
    echo "secret found in: $*" >&2
    grep -rF "$SECRET" "$@" >&2
    return 1
  fi
}

@test "--dry-run redacts secrets for every service" {
  run --separate-stderr notify --dry-run --title t --message m \
    'slack://${SLACK_HOOK}' \
    'teams://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=${TEAMS_SIG}' \
    'victorops://${VO_KEY}/frontend' 'pagerduty://${PD_KEY}' 'clickatell://${CT_KEY}/27820000001' \
    'webhook+https://example.com/h?hmac=${HOOK_SECRET}&token=${SECRET}' \
    'smtp://ci:${SMTP_PASSWORD}@mail.example.com:587?from=ci@example.com&to=dev@example.com'
  assert_success
  echo "$output$stderr" >all.txt
  refute_secret all.txt
  grep -q 'Authorization: \*\*\*' all.txt
  grep -q '"routing_key":"\*\*\*"' all.txt
  grep -q 'sig=\*\*\*' all.txt
  run -0 --separate-stderr notify --dry-run --json --title t 'pagerduty://${PD_KEY}'
  echo "$output$stderr" >json.txt
  refute_secret json.txt
  assert_output --partial 'routing_key\":\"***\"'
}

@test "errors, retry logs and --json never show a secret" {
  port="$(free_port)"
  receiver_plan '{"mode":"429","count":1,"retry_after":"0"}'
  run --separate-stderr notify --json -v --title t \
    "webhook+http://127.0.0.1:$RECEIVER_PORT/\${SECRET}/hook" \
    "webhook+http://127.0.0.1:$port/\${SECRET}?retries=1&required=false"
  echo "$output$stderr" >out.txt
  [ -s out.txt ]
  refute_secret out.txt
  grep -q 'http://127.0.0.1:[0-9]*/\*\*\*' out.txt
  # The spooled entry keeps ${SECRET}, not its value.
  redis-cli -p "$REDIS_PORT" lrange "$CIUTILS_NAMESPACE:{notify}:spool" 0 -1 >spool.txt
  grep -qF '${SECRET}' spool.txt
  refute_secret spool.txt
  redis-cli -p "$REDIS_PORT" --scan >keys.txt
  refute_secret keys.txt
}

@test "a secret in test output is not forwarded in the alert" {
  printf '%s\n' "{\"name\":\"login\",\"status\":\"failed\",\"message\":\"token $SECRET rejected\"}" >r.jsonl
  run notify --key web/login --from r.jsonl "slack://T0001/B0002/\${SECRET}?endpoint=$(receiver_url)"
  assert_success
  # The webhook path carries the secret to Slack itself; the message never does.
  receiver_field 1 'r["body"]' >body.txt
  refute_secret body.txt
  grep -qF 'token *** rejected' body.txt
}

@test "the secret is sent only where the service needs it" {
  run notify --title t "clickatell://\${CT_KEY}/27820000001?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 1 'r["headers"]["authorization"]')" = "$SECRET" ]
  receiver_field 1 'r["body"]' >body.txt
  refute_secret body.txt
}

@test "SMTP failures do not show the password" {
  port="$(free_port)"
  run -3 notify --title t "smtp://ci:\${SMTP_PASSWORD}@127.0.0.1:$port?from=ci@example.com&to=dev@example.com&retries=0"
  echo "$output" >out.txt
  refute_secret out.txt
  assert_output --partial "SMTP smtp://127.0.0.1:$port"
}

@test "a secret JSON escapes is redacted in every form; one trailing newline is trimmed" {
  export Q=$'Sup3r"Q\\uote+=value\n'
  trimmed=$'Sup3r"Q\\uote+=value'
  json_form='Sup3r\"Q\\uote+=value'
  url_form='Sup3r%22Q%5Cuote%2B%3Dvalue'
  b64_form="$(printf 'ci:%s' "$trimmed" | base64 -w0)"
  json2_form='Sup3r\\\"Q\\\\uote+=value'
  run --separate-stderr notify --dry-run --title t 'pagerduty://${Q}'
  assert_success
  printf '%s' "$output$stderr" >dry.txt
  grep -qF '"routing_key":"***"' dry.txt
  run --separate-stderr notify --dry-run --json --title t 'pagerduty://${Q}'
  assert_success
  printf '%s' "$output$stderr" >dry.json
  grep -qF '\"routing_key\":\"***\"' dry.json
  for form in "$trimmed" "$json_form" "$json2_form" "$url_form"; do
    if grep -qF -- "$form" dry.txt dry.json; then echo "found: $form" >&2; cat dry.txt dry.json >&2; return 1; fi
  done
  # Test output quoting the secret URL-encoded or base64-encoded (a Basic credential) is redacted.
  printf '%s\n' "{\"name\":\"api\",\"status\":\"failed\",\"message\":\"GET /x?key=$url_form; Authorization: Basic $b64_form\"}" >r.jsonl
  run notify --key web/api --from r.jsonl "pagerduty://\${Q}?endpoint=$(receiver_url)"
  assert_success
  [ "$(receiver_field 1 'json.loads(r["body"])["routing_key"]')" = "$trimmed" ]
  message="$(receiver_field 1 'json.loads(r["body"])["payload"]["custom_details"]["failed_tests"][0]["message"]')"
  [[ "$message" != *"$url_form"* ]]
  [[ "$message" == "GET /x?key=***; Authorization: Basic "*"***"* ]]
  [[ "$message" != *"${b64_form:8:12}"* ]]
}

@test "the token part of a Slack webhook path is redacted when it appears alone" {
  export SLACK_HOOK="T0001/B0002/XyzSlackToken123"
  printf '%s\n' '{"name":"hook","status":"failed","message":"posting to XyzSlackToken123 failed"}' >r.jsonl
  run notify --key web/hook --from r.jsonl "slack://\${SLACK_HOOK}?endpoint=$(receiver_url)"
  assert_success
  receiver_field 1 'r["body"]' >body.txt
  run grep -c XyzSlackToken123 body.txt
  assert_output 0
  grep -qF 'posting to *** failed' body.txt
}
