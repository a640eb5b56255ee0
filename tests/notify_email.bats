#!/usr/bin/env bats
# Email over SMTP with STARTTLS required, MIME multipart/alternative, no header injection.

bats_require_minimum_version 1.5.0
load helpers/suite

# Three SMTP servers: STARTTLS required ($SMTP_PORT), plain ($PLAIN_SMTP_PORT) and implicit
# TLS ($SMTPS_PORT), each logging what it received; reset_smtp empties the logs.
start_smtp() {
  export CERT_DIR="$BATS_FILE_TMPDIR/tls"
  mkdir -p "$CERT_DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout "$CERT_DIR/key.pem" -out "$CERT_DIR/cert.pem" 2>/dev/null
  export SMTP_LOG="$BATS_FILE_TMPDIR/smtp.jsonl" PLAIN_LOG="$BATS_FILE_TMPDIR/plain.jsonl"
  : >"$SMTP_LOG"
  : >"$PLAIN_LOG"
  start_server smtp /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/notify_smtp.py" "$SMTP_LOG" \
    "$CERT_DIR/cert.pem" "$CERT_DIR/key.pem"
  start_server plain-smtp /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/notify_smtp.py" "$PLAIN_LOG"
  export SMTPS_LOG="$BATS_FILE_TMPDIR/smtps.jsonl"
  : >"$SMTPS_LOG"
  start_server smtps /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/notify_smtp.py" "$SMTPS_LOG" \
    "$CERT_DIR/cert.pem" "$CERT_DIR/key.pem" implicit
}
reset_smtp() {
  : >"$SMTP_LOG"
  : >"$PLAIN_LOG"
}

setup_file() { suite_start smtp; }
setup() {
  suite_setup
  MAIL="smtp://mail.example.com:587?from=ci@example.com&to=dev@example.com,ops@example.com&endpoint=smtp://127.0.0.1:$SMTP_PORT&cafile=$CERT_DIR/cert.pem"
}

# mail_field EXPR: a Python expression over the first message as `m` (email.message) and `r`.
mail_field() {
  /usr/bin/python3 -c '
import email, email.policy, json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[0])
m = email.message_from_string(r["data"], policy=email.policy.default)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$SMTP_LOG" "$1"
}

@test "STARTTLS: a multipart/alternative message with text and HTML parts" {
  printf '%s\n' '{"name":"checkout <b>","status":"failed","message":"exit status 1"}' '{"name":"login","status":"passed"}' >r.jsonl
  run notify --title "Nightly E2E" --from r.jsonl "$MAIL"
  assert_success
  [ "$(wc -l <"$SMTP_LOG")" = 1 ]
  [ "$(mail_field 'r["tls"]')" = true ]
  [ "$(mail_field 'r["mail_from"]')" = ci@example.com ]
  [ "$(mail_field 'r["rcpt_tos"]')" = '["dev@example.com", "ops@example.com"]' ]
  [ "$(mail_field 'm["Subject"]')" = "Nightly E2E" ]
  [ "$(mail_field 'm["To"]')" = "dev@example.com, ops@example.com" ]
  [ "$(mail_field 'm.get_content_type()')" = multipart/alternative ]
  [ "$(mail_field '[p.get_content_type() for p in m.iter_parts()]')" = '["text/plain", "text/html"]' ]
  run mail_field 'm.get_body(("plain",)).get_content()'
  assert_line "Failed tests: 1 of 2"
  assert_line "- checkout <b>: exit status 1"
  run mail_field 'm.get_body(("html",)).get_content()'
  assert_output --partial "<li><b>checkout &lt;b&gt;</b>: exit status 1</li>"
}

@test "a non-ASCII subject is RFC 2047 encoded" {
  run notify --title "Nächtlicher Lauf ✓" --message hi "$MAIL"
  assert_success
  [ "$(mail_field 'm["Subject"]')" = "Nächtlicher Lauf ✓" ]
  run mail_field 'r["data"]'
  assert_output --partial "Subject: =?UTF-8?B?"
}

@test "CRLF in a test name or title never reaches the headers" {
  printf '%s\n' '{"name":"evil\r\nBcc: victim@example.com\r\nX-Injected: 1","status":"failed"}' >r.jsonl
  run notify --title $'Title\r\nBcc: victim@example.com\r\nX-Injected: 1' --from r.jsonl "$MAIL"
  assert_success
  [ "$(mail_field 'm["Bcc"]')" = null ]
  [ "$(mail_field 'm["X-Injected"]')" = null ]
  [ "$(mail_field 'r["rcpt_tos"]')" = '["dev@example.com", "ops@example.com"]' ]
  [ "$(mail_field 'm["Subject"]')" = "Title  Bcc: victim@example.com  X-Injected: 1" ]
  # The header block has only the headers notify writes.
  run mail_field '"\n".join(sorted(set(m.keys())))'
  assert_output "$(printf '%s\n' Content-Type Date From MIME-Version Message-ID Subject To X-Ciutils-Event)"
}

@test "smtps:// speaks TLS from the first byte" {
  run notify --title t "smtps://127.0.0.1:$SMTPS_PORT?from=ci@example.com&to=dev@example.com&cafile=$CERT_DIR/cert.pem"
  assert_success
  [ "$(wc -l <"$SMTPS_LOG")" = 1 ]
}

@test "a server without STARTTLS is refused: nothing sent in clear text" {
  run -3 notify --title t "smtp://127.0.0.1:$PLAIN_SMTP_PORT?from=ci@example.com&to=dev@example.com"
  assert_output --partial "the server does not offer STARTTLS (TLS is required)"
  [ "$(wc -l <"$PLAIN_LOG")" = 0 ]
  # A refusal that another attempt cannot cure is a rejection: not retried, not spooled.
  run -3 --separate-stderr notify --json --spool spool --title t "smtp://127.0.0.1:$PLAIN_SMTP_PORT?from=ci@example.com&to=dev@example.com"
  [ "$(echo "$output" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["deliveries"][0]; print(d["attempts"], d["outcome"], d["spooled"])')" = "1 rejected False" ]
  [[ "$stderr" == *"(smtp): rejected: SMTP smtp://127.0.0.1:$PLAIN_SMTP_PORT: the server does not offer STARTTLS"* ]]
  [ -z "$(ls spool)" ]
}

@test "an untrusted certificate is refused; CURL_CA_BUNDLE trusts it" {
  url="smtp://127.0.0.1:$SMTP_PORT?from=ci@example.com&to=dev@example.com&retries=0"
  run -3 notify --title t "$url"
  [ "$(wc -l <"$SMTP_LOG")" = 0 ]
  CURL_CA_BUNDLE="$CERT_DIR/cert.pem" run notify --title t "$url"
  assert_success
  [ "$(wc -l <"$SMTP_LOG")" = 1 ]
}

@test "bad addresses are input errors" {
  run -2 notify --title t "smtp://127.0.0.1:$SMTP_PORT?from=ci@example.com&to=a%0d%0aRCPT%20TO:x@y"
  assert_output --partial "is not an email address"
  [ "$(wc -l <"$SMTP_LOG")" = 0 ]
}

@test "--dry-run shows the envelope and message" {
  run notify --dry-run --title t "$MAIL"
  assert_success
  assert_line "SMTP smtp://127.0.0.1:$SMTP_PORT"
  assert_line "MAIL FROM:<ci@example.com>"
  assert_line "RCPT TO:<dev@example.com>"
  assert_line "Subject: t"
}
