#!/usr/bin/env bats
# HTTP errors, retries with backoff and Retry-After, resume, stalls, deadlines, redirects
# and signals, against a fault-injecting local server.
load helpers/suite
load helpers/fetch_common

setup_file() { suite_start fetch_http fetch_suite; }

@test "404 is exit 3 with the status and the URL, not retried" {
  run -3 fetch "$BASE/files/missing.tgz" -o out
  assert_output "fetch: error: GET $BASE/files/missing.tgz: HTTP 404 Not Found"
  assert_not_published out
  [ "$(requests_for /files/missing.tgz)" = 1 ]
}

@test "credentials in the URL are redacted in messages" {
  run -3 fetch "http://user:hunter2@127.0.0.1:$FETCH_HTTP_PORT/status/403" -o out --retry 0
  refute_output --partial hunter2
  assert_output --partial "HTTP 403"
}

@test "503 with Retry-After is retried after the server's delay" {
  run -0 --separate-stderr fetch "$BASE/flaky/2/suite.tgz" -o out
  [ -f out/suite/plan.json ]
  [[ "$stderr" == *"GET $BASE/flaky/2/suite.tgz: HTTP 503 Service Unavailable; retrying in 1s (retry 1 of 3)"* ]]
  [ "$(requests_for /flaky/2/suite.tgz)" = 3 ]
}

@test "retries run out: exit 3 with the last status" {
  run -3 --separate-stderr fetch "$BASE/status/500" -o out --retry 1
  [ "$stderr" != "" ]
  [[ "$stderr" == *"fetch: error: GET $BASE/status/500: HTTP 500 Internal Server Error" ]]
  [ "$(requests_for /status/500)" = 2 ]
  assert_not_published out
}

@test "a connection dropped mid-body is resumed with Range when saving" {
  run -0 fetch "$BASE/drop/suite.tgz" -o saved.tgz --no-extract -q
  cmp saved.tgz "$FETCH_ROOT/files/suite.tgz"
  grep -q "GET /drop/suite.tgz 206" "$FETCH_ROOT/requests.log"
}

@test "a resumed download whose 206 carries another ETag restarts from zero" {
  cp "$FETCH_ROOT/files/suite.tgz" "$FETCH_ROOT/files/v.tgz"
  head -c 400000 /dev/urandom >"$FETCH_ROOT/files/v.tgz.v2"
  run -0 fetch "$BASE/changing/v.tgz" -o saved.tgz --no-extract -q
  cmp saved.tgz "$FETCH_ROOT/files/v.tgz.v2"
  [ "$(grep -c '^GET /changing/v.tgz ' "$FETCH_ROOT/requests.log")" = 3 ]
  grep -q "GET /changing/v.tgz 206" "$FETCH_ROOT/requests.log"
}

@test "a 206 that does not start where the Range asked restarts from zero" {
  run -0 fetch "$BASE/misrange/suite.tgz" -o saved.tgz --no-extract -q
  cmp saved.tgz "$FETCH_ROOT/files/suite.tgz"
  [ "$(grep -c '^GET /misrange/suite.tgz 206' "$FETCH_ROOT/requests.log")" = 1 ]
  [ "$(grep -c '^GET /misrange/suite.tgz 200' "$FETCH_ROOT/requests.log")" = 2 ]
}

@test "a connection dropped mid-body restarts the stream cleanly when extracting" {
  : >"$FETCH_ROOT/requests.log"
  run -0 fetch "$BASE/drop/suite.tgz?x=2" -o out -q --sha256 "$(sha256_of "$FETCH_ROOT/files/suite.tgz")"
  cmp out/suite/data/blob.bin "$BATS_FILE_TMPDIR/suite-src/suite/data/blob.bin"
  [ "$(grep -c 'GET /drop/suite.tgz?x=2 200' "$FETCH_ROOT/requests.log")" = 2 ]
}

@test "a wrong Content-Length is a transport error, retried, then exit 3" {
  run -3 fetch "$BASE/short/suite.tgz" -o out --retry 1 -q
  assert_output --regexp "^fetch: error: GET $BASE/short/suite.tgz: transfer closed with 1 bytes remaining to read$"
  assert_not_published out
}

@test "a stalled server is detected by --stall-timeout" {
  run -3 fetch "$BASE/stall/suite.tgz" -o out --stall-timeout 1s --retry 0
  assert_output "fetch: error: GET $BASE/stall/suite.tgz: stalled: nothing received for 1s (--stall-timeout)"
  assert_not_published out
}

@test "--deadline bounds the whole fetch" {
  run -3 fetch "$BASE/drip/suite.tgz" -o out --deadline 1s
  assert_output --regexp "^fetch: error: GET $BASE/drip/suite.tgz: Operation timed out after [0-9]+ milliseconds.*--deadline 1s"
  assert_not_published out
}

@test "a refused connection is exit 3" {
  local port
  port="$(free_port)"
  run -3 fetch "http://127.0.0.1:$port/a.tgz" -o out --retry 0
  assert_output --regexp "^fetch: error: GET http://127.0.0.1:$port/a.tgz: .*(refused|connect)"
}

@test "redirects are followed, limited, and never to file://" {
  run -0 fetch "$BASE/redirect/2/suite.tgz" -o out
  [ -f out/suite/plan.json ]
  run -3 fetch "$BASE/redirect/9/suite.tgz" -o out2 --retry 0
  assert_output --regexp "fetch: error: GET $BASE/redirect/9/suite.tgz: Maximum \(5\) redirects followed"
  run -3 fetch "$BASE/redirect-file" -o out3 --retry 0
  assert_output --partial "fetch: error: GET $BASE/redirect-file: "
  assert_not_published out3
}

@test "SIGTERM aborts the transfer, removes the staging directory, exits 143" {
  fetch "$BASE/stall/suite.tgz" -o out 2>err.txt 3>&- &
  local pid=$!
  wait_until 10 sh -c "ls -a | grep -q '^\.out\.fetch-'"
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 143 ]
  grep -q "fetch: error: terminated by SIGTERM; nothing was published" err.txt
  assert_not_published out
}

@test "SIGINT while saving exits 130 and leaves nothing" {
  fetch "$BASE/stall/suite.tgz" -o saved.tgz --no-extract 2>err.txt 3>&- &
  local pid=$!
  wait_until 10 sh -c "ls -a | grep -q '^\.saved\.tgz\.fetch-'"
  kill -INT "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 130 ]
  assert_not_published saved.tgz
}

@test "staging left by a fetch killed with SIGKILL is removed by the next run; a live one is kept" {
  fetch "$BASE/stall/suite.tgz" -o dead 2>/dev/null 3>&- &
  local dead=$!
  fetch "$BASE/stall/suite.tgz?live" -o live 2>/dev/null 3>&- &
  local live=$!
  wait_until 10 sh -c "ls -a | grep -q '^\.dead\.fetch-$dead\.'"
  wait_until 10 sh -c "ls -a | grep -q '^\.live\.fetch-$live\.'"
  kill -KILL "$dead"
  wait "$dead" || true
  local stale
  stale="$(ls -a | grep '^\.dead\.fetch-')"
  run -0 --separate-stderr fetch "$BASE/files/suite.tgz" -o out -v
  [[ "$stderr" == *"fetch: removed stale staging './$stale' of a fetch that is gone"* ]]
  [ ! -e "$stale" ]
  ls -a | grep -q "^\.live\.fetch-$live\."
  kill -TERM "$live"
  wait "$live" || true
  assert_no_staging
}

@test "in CI (stderr not a terminal), progress is a line every 10% or 10 s" {
  head -c 1000 /dev/urandom >"$FETCH_ROOT/files/drip.bin"
  CI=true run -0 --separate-stderr fetch "$BASE/drip/drip.bin" -o saved.bin --no-extract
  cmp saved.bin "$FETCH_ROOT/files/drip.bin"
  local line
  while IFS= read -r line; do
    [[ "$line" =~ ^fetch:\ [0-9.]+/0\.0\ MiB\ \([0-9]+%\),\ [0-9.]+\ MiB/s,\ ETA\ [0-9]+s$ ]]
  done <<<"$stderr"
  [[ "$stderr" == *"(100%)"* ]]
  run -0 --separate-stderr fetch "$BASE/drip/drip.bin" -o again.bin --no-extract
  [ -z "$stderr" ]
}

@test "--mirror: a failing URL hands over to the next mirror, in order" {
  local dead
  dead="http://127.0.0.1:$(free_port)/suite.tgz"
  run -0 --separate-stderr fetch "$dead" -o out --retry 0 --json \
    --mirror "$BASE/status/503" --mirror "$BASE/files/suite.tgz" --mirror "$BASE/files/never.tgz"
  [ -f out/suite/plan.json ]
  echo "$output" | grep -q "\"url\":\"$BASE/files/suite.tgz\""
  [[ "$stderr" == "fetch: GET $dead: "*"; trying mirror 1 of 3: $BASE/status/503"$'\n'"fetch: GET $BASE/status/503: HTTP 503 Service Unavailable; trying mirror 2 of 3: $BASE/files/suite.tgz" ]]
  [ "$(requests_for /status/503)" = 1 ]
  [ "$(requests_for /files/never.tgz)" = 0 ]
  assert_no_staging
}

@test "--mirror: each URL gets its retries; the last failure is the error" {
  run -3 --separate-stderr fetch "$BASE/status/500" -o out --retry 1 --mirror "$BASE/files/missing.tgz"
  [ "$(requests_for /status/500)" = 2 ]
  [ "$(requests_for /files/missing.tgz)" = 1 ]
  [[ "$stderr" == *"fetch: error: GET $BASE/files/missing.tgz: HTTP 404 Not Found" ]]
  assert_not_published out
}

@test "--mirror: a stalled server is left after --stall-timeout; --deadline bounds all the mirrors" {
  run -0 fetch "$BASE/stall/suite.tgz" -o out --stall-timeout 1s --retry 0 --mirror "$BASE/files/suite.tgz"
  [ -f out/suite/plan.json ]
  run -3 fetch "$BASE/stall/suite.tgz?a" -o out2 --deadline 2s --mirror "$BASE/files/suite.tgz?a"
  assert_output --partial "--deadline 2s"
  grep -q "GET /stall/suite.tgz?a " "$FETCH_ROOT/requests.log"
  [ "$(requests_for '/files/suite.tgz?a')" = 0 ]
  assert_not_published out2
  run -3 fetch "$BASE/stall/suite.tgz?b" -o out3 --stall-timeout 1s --retry 0 --deadline 5s \
    --mirror "$BASE/drip/suite.tgz?b" --mirror "$BASE/files/suite.tgz?b"
  assert_output --regexp "fetch: error: GET $BASE/drip/suite.tgz\?b: Operation timed out .* \(--deadline 5s reached\)$"
  [ "$(requests_for '/files/suite.tgz?b')" = 0 ]
  assert_not_published out3
}

@test "--mirror: a --sha256 mismatch moves on; an unsafe archive or bytes sent to stdout do not" {
  make_archive zip wrong.zip
  make_archive dotdot dotdot.tgz
  local sum
  sum="$(sha256_of "$FETCH_ROOT/files/suite.tgz")"
  run -0 --separate-stderr fetch "$BASE/files/wrong.zip" -o out --sha256 "$sum" --mirror "$BASE/files/suite.tgz"
  [[ "$stderr" == "fetch: sha256 mismatch for $BASE/files/wrong.zip: "*"; trying mirror 1 of 1: $BASE/files/suite.tgz" ]]
  [ -f out/suite/plan.json ]
  run -4 fetch "$BASE/files/dotdot.tgz" -o out2 --mirror "$BASE/files/suite.tgz?unsafe"
  assert_output "fetch: error: entry '../evil': path escapes the destination ('..')"
  [ "$(requests_for '/files/suite.tgz?unsafe')" = 0 ]
  run -3 --separate-stderr fetch "$BASE/stall/suite.tgz?stdout" -o - --stall-timeout 1s --retry 0 \
    --mirror "$BASE/files/suite.tgz?stdout"
  [ "$(requests_for '/files/suite.tgz?stdout')" = 0 ]
  run -2 fetch "$BASE/files/suite.tgz" --mirror ftp://mirror/suite.tgz
  assert_output "fetch: error: --mirror: unsupported scheme 'ftp' (http, https, file, s3)"
}
