#!/usr/bin/env bats
# s3:// GET and PUT, signed with SigV4 by libcurl, against a local S3-compatible server
# that verifies every signature (tests/helpers/fetch_s3.py).
load helpers/suite
load helpers/fetch_common

# Two S3 servers: one with a session token (on $FETCH_S3_PORT), one with plain keys.
start_fetch_s3() {
  S3_ROOT="$BATS_FILE_TMPDIR/s3"
  export S3_ROOT
  start_server fetch-s3 "$PY" "$FETCH_HELPERS/fetch_s3.py" "$S3_ROOT" AKIDFETCHTEST 'se/cr+et=key' session-token-1
  start_server fetch-s3-plain "$PY" "$FETCH_HELPERS/fetch_s3.py" "$BATS_FILE_TMPDIR/s3-plain" AKIDPLAIN plainsecret
}

# $BIG: a tree of ~12 MiB that gzip cannot shrink: three parts of 5 MiB, the last one short.
start_big_tree() {
  BIG="$BATS_FILE_TMPDIR/big"
  export BIG
  mkdir -p "$BIG/logs/deep"
  head -c $((7 * 1024 * 1024)) /dev/urandom >"$BIG/logs/a.bin"
  head -c $((5 * 1024 * 1024)) /dev/urandom >"$BIG/logs/deep/b.bin"
  echo summary >"$BIG/summary.txt"
  ln -s logs/a.bin "$BIG/latest"
}

setup_file() { suite_start fetch_s3 fetch_http fetch_suite big_tree; }
setup() {
  suite_setup
  export AWS_ACCESS_KEY_ID=AKIDFETCHTEST AWS_SECRET_ACCESS_KEY='se/cr+et=key' AWS_SESSION_TOKEN=session-token-1
  export AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="http://127.0.0.1:$FETCH_S3_PORT"
}

@test "put then get a key with spaces and '=' (signed, session token, payload hash)" {
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" "s3://tests/suites/web e2e=1.tgz"
  run -0 --separate-stderr fetch "s3://tests/suites/web e2e=1.tgz" -o out --sha256 "$(sha256_of "$FETCH_ROOT/files/suite.tgz")"
  assert_output "out"
  cmp out/suite/data/blob.bin "$BATS_FILE_TMPDIR/suite-src/suite/data/blob.bin"
  [ ! -s "$S3_ROOT/s3.log" ]
}

@test "a directory is packed as tar.gz on upload and unpacks the same" {
  mkdir -p logs/sub && echo one >logs/a.log && echo two >logs/sub/b.log
  run -0 fetch put logs "s3://tests/runs/run 7.tar.gz" --json
  echo "$output" | grep -q '"packed":true'
  run -0 fetch "s3://tests/runs/run 7.tar.gz" -o back
  diff -r logs back
}

@test "credentials from the ~/.aws/credentials profile" {
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  export AWS_ENDPOINT_URL="http://127.0.0.1:$FETCH_S3_PLAIN_PORT"
  mkdir -p "$HOME/.aws"
  printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = x\n\n[ci]\naws_access_key_id = AKIDPLAIN\naws_secret_access_key = plainsecret\n' >"$HOME/.aws/credentials"
  AWS_PROFILE=ci run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://b/k.tgz
  AWS_PROFILE=ci run -0 fetch s3://b/k.tgz -o out
  [ -f out/suite/plan.json ]
  run -3 fetch s3://b/k.tgz -o out2
  assert_output "fetch: error: GET s3://b/k.tgz: HTTP 403 Forbidden"
  AWS_PROFILE=nope run -2 fetch s3://b/k.tgz -o out3
  assert_output "fetch: error: $HOME/.aws/credentials: no profile 'nope'"
}

@test "a wrong secret is refused by the server's signature check" {
  export AWS_SECRET_ACCESS_KEY=wrong
  run -3 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/x.tgz --retry 0
  assert_output "fetch: error: PUT s3://tests/x.tgz: HTTP 403"
  grep -q "SignatureDoesNotMatch" "$S3_ROOT/s3.log"
}

@test "a missing session token is refused" {
  unset AWS_SESSION_TOKEN
  run -3 fetch s3://tests/suites/x.tgz -o out --retry 0
  assert_output "fetch: error: GET s3://tests/suites/x.tgz: HTTP 403 Forbidden"
}

@test "a missing key is exit 3 with the status; no credentials is exit 2" {
  run -3 fetch s3://tests/nothing/here.tgz -o out
  assert_output "fetch: error: GET s3://tests/nothing/here.tgz: HTTP 404 Not Found"
  assert_not_published out
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  run -2 fetch s3://tests/nothing/here.tgz -o out
  assert_output "fetch: error: s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile in ~/.aws/credentials"
}

# Requests the S3 server answered for KEY (path-style, percent-encoded as sent).
s3_requests() { grep " /tests/$1[? ]" "$S3_ROOT/requests.log" | cut -d' ' -f1,3 | tr '\n' ' ' || true; }
# No multipart upload is left open on the server.
assert_no_open_uploads() {
  local open
  open="$(ls -A "$S3_ROOT/.multipart")"
  [ -z "$open" ] || {
    echo "open uploads: $open" >&2
    return 1
  }
}

@test "a directory larger than a part goes multipart and comes back the same" {
  run -0 fetch put "$BIG" s3://tests/runs/big.tgz --part-size 5MiB --json
  echo "$output" | grep -q '"packed":true'
  [ "$(s3_requests runs/big.tgz)" = "POST 200 PUT 200 PUT 200 PUT 200 POST 200 " ]
  grep -q "PUT /tests/runs/big.tgz?partNumber=3&uploadId=" "$S3_ROOT/requests.log"
  assert_no_open_uploads
  [ -z "$(grep "runs/big.tgz" "$S3_ROOT/s3.log" 2>/dev/null)" ]
  run -0 fetch s3://tests/runs/big.tgz -o back
  diff -r "$BIG" back
  [ "$(readlink back/latest)" = logs/a.bin ]
}

@test "a directory smaller than a part is one PutObject" {
  mkdir -p logs && echo one >logs/a.log
  run -0 fetch put logs s3://tests/runs/small.tgz
  [ "$(s3_requests runs/small.tgz)" = "PUT 200 " ]
  run -0 fetch s3://tests/runs/small.tgz -o back
  diff -r logs back
}

@test "a part failing once is retried on its own" {
  run -0 --separate-stderr fetch put "$BIG" s3://tests/flaky-part-2/r.tgz --part-size 5MiB --parallel 1
  assert_equal "$stderr" "fetch: PUT s3://tests/flaky-part-2/r.tgz part 2: HTTP 503; retrying in 1s (retry 1 of 3)"
  [ "$(s3_requests flaky-part-2/r.tgz)" = "POST 200 PUT 200 PUT 503 PUT 200 PUT 200 POST 200 " ]
  assert_no_open_uploads
  run -0 fetch s3://tests/flaky-part-2/r.tgz -o back
  diff -r "$BIG" back
}

@test "a part failing for good: exit 3 naming it, the upload aborted, no object" {
  run -3 fetch put "$BIG" s3://tests/broken-part-2/r.tgz --part-size 5MiB --retry 0 --parallel 1
  assert_output "fetch: error: PUT s3://tests/broken-part-2/r.tgz part 2: HTTP 500"
  [ "$(s3_requests broken-part-2/r.tgz)" = "POST 200 PUT 200 PUT 500 DELETE 204 " ]
  assert_no_open_uploads
  run -3 fetch s3://tests/broken-part-2/r.tgz -o back
  assert_output "fetch: error: GET s3://tests/broken-part-2/r.tgz: HTTP 404 Not Found"
}

@test "SIGINT during a multipart upload aborts it: exit 130, nothing left" {
  fetch put "$BIG" s3://tests/flaky-part-2/int.tgz --part-size 5MiB --parallel 1 3>&- 2>err.txt &
  local pid=$!
  wait_until 60 grep -q "PUT /tests/flaky-part-2/int.tgz?partNumber=2&.* 503" "$S3_ROOT/requests.log"
  kill -INT "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" = 130 ]
  grep -q "fetch: error: interrupted by SIGINT" err.txt
  [ "$(s3_requests flaky-part-2/int.tgz)" = "POST 200 PUT 200 PUT 503 DELETE 204 " ]
  assert_no_open_uploads
  [ ! -e "$S3_ROOT/tests/flaky-part-2%2Fint.tgz" ]
}

@test "--parallel uploads parts at once; the object comes back the same" {
  run -0 fetch put "$BIG" s3://tests/overlap-parts/p.tgz --part-size 5MiB --parallel 3
  [ "$(s3_requests overlap-parts/p.tgz)" = "POST 200 PUT 200 PUT 200 PUT 200 POST 200 " ]
  assert_no_open_uploads
  run -0 fetch s3://tests/overlap-parts/p.tgz -o back
  diff -r "$BIG" back
  # one part at a time: the first waits for a second that never comes, until --stall-timeout
  run -3 fetch put "$BIG" s3://tests/overlap-parts/one.tgz --part-size 5MiB --parallel 1 --retry 0 --stall-timeout 1s
  assert_output --partial "fetch: error: PUT s3://tests/overlap-parts/one.tgz part 1: "
  assert_no_open_uploads
}

@test "a part failing for good while others are in flight: its error, the upload aborted" {
  run -3 fetch put "$BIG" s3://tests/broken-part-1/p.tgz --part-size 5MiB --retry 0
  assert_output "fetch: error: PUT s3://tests/broken-part-1/p.tgz part 1: HTTP 500"
  grep -q "DELETE /tests/broken-part-1/p.tgz?uploadId=.* 204" "$S3_ROOT/requests.log"
  assert_no_open_uploads
  run -3 fetch s3://tests/broken-part-1/p.tgz -o back
  assert_output "fetch: error: GET s3://tests/broken-part-1/p.tgz: HTTP 404 Not Found"
  run -2 fetch put "$BIG" s3://tests/x.tgz --parallel 0
  assert_output "fetch: error: --parallel: 0 is out of range 1..64"
}

@test "keys with . and .. segments are sent as given, never normalised into another bucket or key" {
  : >"$S3_ROOT/s3.log"
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" "s3://tests/../other/x.tgz"
  [ -f "$S3_ROOT/tests/..%2Fother%2Fx.tgz" ]
  [ ! -e "$S3_ROOT/other" ]
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" "s3://tests/a/./b.tgz"
  [ -f "$S3_ROOT/tests/a%2F.%2Fb.tgz" ]
  [ ! -e "$S3_ROOT/tests/a%2Fb.tgz" ]
  run -0 fetch "s3://tests/../other/x.tgz" -o out
  [ -f out/suite/plan.json ]
  [ ! -s "$S3_ROOT/s3.log" ]
}

@test "keys S3 would reject are refused before any request" {
  run -2 fetch put "$FETCH_ROOT/files/suite.tgz" "s3://tests/$(printf 'k%.0s' {1..1025})"
  assert_output "fetch: error: URL: an S3 key must be 1 to 1024 bytes, got 1025"
  run -2 fetch "s3://tests/bad$(printf '\xff')key" -o out
  assert_output "fetch: error: URL: the S3 key is not valid UTF-8 or holds a control character (byte 4)"
  ! grep -q "tests/k" "$S3_ROOT/requests.log"
}

@test "an S3 redirect names the bucket's region and is not followed (credentials stay home)" {
  echo "$BASE/files/suite.tgz" >"$S3_ROOT/redirect-to"
  run -3 fetch s3://moved/suite.tgz -o out
  assert_output "fetch: error: GET s3://moved/suite.tgz: HTTP 301: the bucket is in region 'ap-south-1' (set AWS_REGION)"
  assert_not_published out
  run -3 fetch put "$FETCH_ROOT/files/suite.tgz" s3://moved/suite.tgz
  assert_output "fetch: error: PUT s3://moved/suite.tgz: HTTP 301: the bucket is in region 'ap-south-1' (set AWS_REGION)"
  [ ! -e "$FETCH_ROOT/requests.log" ]
}

# The region and Host header of the server's last request.
last_region() { tail -n 1 "$S3_ROOT/requests.log" | cut -d' ' -f4; }
last_request() { tail -n 1 "$S3_ROOT/requests.log" | cut -d' ' -f1,2,3,5; }

@test "region: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's region in ~/.aws/config" {
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/region.tgz
  unset AWS_REGION
  mkdir -p "$HOME/.aws"
  printf '[default]\nregion = ca-central-1\n\n[profile ci]\nregion = eu-north-1\n' >"$HOME/.aws/config"
  run -0 fetch s3://tests/region.tgz -o o1
  [ "$(last_region)" = ca-central-1 ]
  AWS_PROFILE=ci run -0 fetch s3://tests/region.tgz -o o2
  [ "$(last_region)" = eu-north-1 ]
  AWS_DEFAULT_REGION=sa-east-1 AWS_PROFILE=ci run -0 fetch s3://tests/region.tgz -o o3
  [ "$(last_region)" = sa-east-1 ]
  AWS_REGION=ap-east-1 AWS_DEFAULT_REGION=sa-east-1 run -0 fetch s3://tests/region.tgz -o o4
  [ "$(last_region)" = ap-east-1 ]
  AWS_REGION=ap-east-1 run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/region.tgz --region me-south-1
  [ "$(last_region)" = me-south-1 ]
  mv "$HOME/.aws/config" "$BATS_TEST_TMPDIR/aws-config"
  AWS_CONFIG_FILE="$BATS_TEST_TMPDIR/aws-config" AWS_PROFILE=ci run -0 fetch s3://tests/region.tgz -o o5
  [ "$(last_region)" = eu-north-1 ]
  run -0 fetch s3://tests/region.tgz -o o6
  [ "$(last_region)" = us-east-1 ]
}

@test "endpoint: --endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the services section, the profile's endpoint_url" {
  unset AWS_ENDPOINT_URL
  local good="http://127.0.0.1:$FETCH_S3_PORT" dead="http://127.0.0.1:$(free_port)"
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/endpoint.tgz --endpoint "$good/"
  mkdir -p "$HOME/.aws"
  printf '[default]\nendpoint_url = %s\n[profile ci]\nendpoint_url = %s\n' "$dead" "$good" >"$HOME/.aws/config"
  AWS_PROFILE=ci run -0 fetch s3://tests/endpoint.tgz -o o1 --retry 0
  run -3 fetch s3://tests/endpoint.tgz -o o2 --retry 0
  printf '[default]\nendpoint_url = %s\nservices = local\n[services local]\ns3 =\n  endpoint_url = %s\n' "$dead" "$good" \
    >"$HOME/.aws/config"
  run -0 fetch s3://tests/endpoint.tgz -o o3 --retry 0
  printf '[default]\nendpoint_url = %s\nservices = local\n[services local]\ns3 =\n  endpoint_url = %s\n' "$dead" "$dead" \
    >"$HOME/.aws/config"
  AWS_ENDPOINT_URL="$good" run -0 fetch s3://tests/endpoint.tgz -o o4 --retry 0
  AWS_ENDPOINT_URL="$dead" AWS_ENDPOINT_URL_S3="$good" run -0 fetch s3://tests/endpoint.tgz -o o5 --retry 0
  AWS_ENDPOINT_URL_S3="$dead" run -0 fetch s3://tests/endpoint.tgz -o o6 --retry 0 --endpoint "$good"
  AWS_ENDPOINT_URL_S3="$good" run -3 fetch s3://tests/endpoint.tgz -o o7 --retry 0 --endpoint "$dead"
  assert_not_published o7
}

@test "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS leaves only --endpoint" {
  export https_proxy="http://127.0.0.1:$(free_port)"  # what goes to AWS itself stops here
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/ignored.tgz
  : >"$S3_ROOT/requests.log"
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true run -3 fetch s3://tests/ignored.tgz -o o1 --retry 0
  [ ! -s "$S3_ROOT/requests.log" ]
  mkdir -p "$HOME/.aws"
  printf '[default]\nignore_configured_endpoint_urls = true\n' >"$HOME/.aws/config"
  run -3 fetch s3://tests/ignored.tgz -o o2 --retry 0
  [ ! -s "$S3_ROOT/requests.log" ]
  AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false run -0 fetch s3://tests/ignored.tgz -o o3 --retry 0
  run -0 fetch s3://tests/ignored.tgz -o o4 --retry 0 --endpoint "$AWS_ENDPOINT_URL"
}

@test "virtual-hosted addressing with addressing_style = virtual; --s3-path-style overrides it" {
  local endpoint="http://localhost:$FETCH_S3_PORT"
  : >"$S3_ROOT/s3.log"
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/vhost.tgz --endpoint "$endpoint"
  [ "$(last_request)" = "PUT /tests/vhost.tgz 200 localhost:$FETCH_S3_PORT" ]
  mkdir -p "$HOME/.aws"
  printf '[default]\ns3 =\n  addressing_style = virtual\n' >"$HOME/.aws/config"
  run -0 fetch s3://tests/vhost.tgz -o o1 --endpoint "$endpoint"
  [ "$(last_request)" = "GET /vhost.tgz 200 tests.localhost:$FETCH_S3_PORT" ]
  [ -f o1/suite/plan.json ]
  run -0 fetch put "$FETCH_ROOT/files/suite.tgz" "s3://tests/v host.tgz" --endpoint "$endpoint"
  [ "$(last_request)" = "PUT /v%20host.tgz 200 tests.localhost:$FETCH_S3_PORT" ]
  run -0 fetch "s3://tests/v host.tgz" -o o2 --endpoint "$endpoint" --s3-path-style
  [ "$(last_request)" = "GET /tests/v%20host.tgz 200 localhost:$FETCH_S3_PORT" ]
  # an IP address endpoint cannot carry the bucket in its host name
  run -0 fetch s3://tests/vhost.tgz -o o3
  [ "$(last_request)" = "GET /tests/vhost.tgz 200 127.0.0.1:$FETCH_S3_PORT" ]
  [ ! -s "$S3_ROOT/s3.log" ]
}

@test "bad S3 settings are exit 2 naming the flag, variable or file" {
  run -2 fetch s3://tests/x.tgz -o out --region 'EU WEST'
  assert_output "fetch: error: --region: expected a region such as eu-west-1, got 'EU WEST'"
  AWS_ENDPOINT_URL_S3=ftp://files run -2 fetch put "$FETCH_ROOT/files/suite.tgz" s3://tests/x.tgz
  assert_output "fetch: error: AWS_ENDPOINT_URL_S3: expected http(s)://HOST[:PORT], got 'ftp://files'"
  run -2 fetch s3://tests/x.tgz -o out --endpoint minio:9000
  assert_output "fetch: error: --endpoint: expected http(s)://HOST[:PORT], got 'minio:9000'"
  unset AWS_REGION
  mkdir -p "$HOME/.aws"
  printf '[profile ci]\nregion = eu_west\n' >"$HOME/.aws/config"
  AWS_PROFILE=ci run -2 fetch s3://tests/x.tgz -o out
  assert_output "fetch: error: $HOME/.aws/config: profile 'ci': region: expected a region such as eu-west-1, got 'eu_west'"
  printf '[default]\ns3 =\n  addressing_style = sideways\n' >"$HOME/.aws/config"
  run -2 fetch s3://tests/x.tgz -o out
  assert_output "fetch: error: $HOME/.aws/config: profile 'default': s3 addressing_style: expected auto, virtual or path, got 'sideways'"
  assert_not_published out
}
