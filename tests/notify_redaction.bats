#!/usr/bin/env bats
# Secrets come only from ${VAR} and never appear in output, logs, spools or alert content.

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/redis
load helpers/notify_common

setup_file() {
  start_redis
  start_receiver
}

teardown_file() {
  stop_servers
  stop_redis
}

setup() {
  common_setup
  flush_redis
  reset_receiver
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
  run notify --key web/login --from r.jsonl "slack://T0001/B0002/\${SECRET}?endpoint=$(receiver_url /s)"
  assert_success
  refute_secret "$RECEIVER_LOG"
  grep -qF 'token *** rejected' "$RECEIVER_LOG"
}

@test "the secret is sent only where the service needs it" {
  run notify --title t "clickatell://\${CT_KEY}/27820000001?endpoint=$(receiver_url /v1/message)"
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
