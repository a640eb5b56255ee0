# Shared setup for notify's bats suites: the recording receiver and helpers to read it.
load helpers/servers

# start_receiver: starts tests/helpers/notify_receiver.py; exports RECEIVER_PORT and RECEIVER_LOG.
start_receiver() {
  export RECEIVER_LOG="$BATS_FILE_TMPDIR/receiver.jsonl"
  : >"$RECEIVER_LOG"
  start_server receiver /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/notify_receiver.py" "$RECEIVER_LOG"
}

# reset_receiver: forgets recorded requests and any pending failure plan.
reset_receiver() {
  : >"$RECEIVER_LOG"
  receiver_plan '{}'
}

# receiver_plan JSON: e.g. '{"mode":"429","count":2,"retry_after":"1"}'
receiver_plan() {
  curl -sf -X POST --data "$1" "http://127.0.0.1:$RECEIVER_PORT/__control" >/dev/null
}

# receiver_count: number of recorded requests.
receiver_count() {
  wc -l <"$RECEIVER_LOG" | tr -d ' '
}

# receiver_field N EXPR: a Python expression over request N (1-based) as `r`, printed;
# e.g. receiver_field 1 'r["path"]', receiver_field 1 'json.loads(r["body"])["event_action"]'.
receiver_field() {
  /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
r = json.loads(lines[int(sys.argv[2]) - 1])
v = eval(sys.argv[3])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$RECEIVER_LOG" "$1" "$2"
}

# receiver_body N: the canonical JSON (sorted keys) of request N's body.
receiver_body() {
  receiver_field "$1" 'json.loads(r["body"])'
}

# canon JSON: the same canonical form for an expected document.
canon() {
  /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$1"
}

receiver_url() {
  echo "http://127.0.0.1:$RECEIVER_PORT$1"
}

# receiver_body_without N 'b["payload"]["timestamp"]' …: request N's canonical body with
# the named (time-dependent) parts deleted after checking they are present.
receiver_body_without() {
  /usr/bin/python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
b = json.loads(json.loads(lines[int(sys.argv[2]) - 1])["body"])
for expr in sys.argv[3:]:
    exec("del " + expr)
print(json.dumps(b, sort_keys=True))' "$RECEIVER_LOG" "$@"
}

# alert_lifecycle KEY: notify --key KEY --status failed, failed, passed to a PagerDuty
# receiver; it got one trigger and one resolve (the alert's state kept in Redis).
alert_lifecycle() {
  export PD_KEY=pd-key
  local url
  url="pagerduty://\${PD_KEY}?endpoint=$(receiver_url)"
  run -0 notify --key "$1" --status failed "$url"
  run -0 notify --key "$1" --status failed "$url"
  run -0 notify --key "$1" --status passed "$url"
  run -0 receiver_count
  assert_output 2
  [ "$(receiver_field 1 'json.loads(r["body"])["event_action"]')" = trigger ]
  [ "$(receiver_field 2 'json.loads(r["body"])["event_action"]')" = resolve ]
}
