#!/usr/bin/env bats
# fetch put PATH URL over HTTP(S) PUT.
load helpers/suite
load helpers/fetch_common

setup_file() { suite_start fetch_http; }

@test "a file is uploaded as is with its content type" {
  printf 'log line\n' >run.log
  run -0 fetch put run.log "$BASE/upload/run.log" --content-type text/plain
  cmp run.log "$FETCH_ROOT/uploads/run.log"
  [ "$(cat "$FETCH_ROOT/uploads/run.log.content-type")" = text/plain ]
}

@test "a directory is packed as a tar.gz" {
  mkdir -p results/junit && echo '<testsuite/>' >results/junit/a.xml && ln -s junit/a.xml results/latest.xml
  run -0 fetch put results "$BASE/upload/results.tgz" --json
  echo "$output" | grep -q '"packed":true'
  [ "$(cat "$FETCH_ROOT/uploads/results.tgz.content-type")" = application/gzip ]
  mkdir back && tar -C back -xzf "$FETCH_ROOT/uploads/results.tgz"
  diff -r results back
  [ "$(readlink back/latest.xml)" = junit/a.xml ]
}

@test "503 on upload is retried" {
  echo data >f.txt
  run -0 --separate-stderr fetch put f.txt "$BASE/upload/flaky/f.txt"
  [[ "$stderr" == *"HTTP 503; retrying in 1s (retry 1 of 3)"* ]]
  cmp f.txt "$FETCH_ROOT/uploads/f.txt"
}

@test "errors: missing path is exit 2, refused upload exit 3" {
  run -2 fetch put nothing.txt "$BASE/upload/x"
  assert_output "fetch: error: PATH: 'nothing.txt': No such file or directory"
  echo x >f.txt
  run -3 fetch put f.txt "$BASE/nowhere/x" --retry 0
  assert_output "fetch: error: PUT $BASE/nowhere/x: HTTP 404"
}

# A tree of incompressible files: $1 directory, $2 MiB in total.
make_tree() {
  mkdir -p "$1/sub/deeper"
  head -c $(($2 * 1024 * 1024 / 2)) /dev/urandom >"$1/sub/a.bin"
  head -c $(($2 * 1024 * 1024 / 2)) /dev/urandom >"$1/sub/deeper/b.bin"
  echo small >"$1/small.txt"
  ln -s sub/a.bin "$1/link"
}

@test "a directory is sent chunked while it is packed, and unpacks to the same tree" {
  make_tree results 3
  run -0 fetch put results "$BASE/upload/chunked.tgz" --json
  [ "$(cat "$FETCH_ROOT/uploads/chunked.tgz.transfer")" = chunked ]
  echo "$output" | grep -q "\"sha256\":\"$(sha256_of "$FETCH_ROOT/uploads/chunked.tgz")\""
  echo "$output" | grep -q "\"bytes\":$(stat -c %s "$FETCH_ROOT/uploads/chunked.tgz"),"
  mkdir back && tar -C back -xzf "$FETCH_ROOT/uploads/chunked.tgz"
  diff -r results back
  [ "$(readlink back/link)" = sub/a.bin ]
}

@test "a server refusing chunked bodies (411) gets the archive with its length" {
  make_tree results 3
  run -0 fetch put results "$BASE/upload/no-chunked/spooled.tgz" --json
  [ "$(cat "$FETCH_ROOT/uploads/spooled.tgz.transfer")" = length ]
  echo "$output" | grep -q "\"sha256\":\"$(sha256_of "$FETCH_ROOT/uploads/spooled.tgz")\""
  mkdir back && tar -C back -xzf "$FETCH_ROOT/uploads/spooled.tgz"
  diff -r results back
}

@test "a retried directory upload packs the same bytes again" {
  make_tree results 1
  run -0 --separate-stderr fetch put results "$BASE/upload/flaky/again.tgz" --json
  [[ "$stderr" == *"HTTP 503; retrying in 1s (retry 1 of 3)"* ]]
  [ "$(grep -c "PUT /upload/flaky/again.tgz" "$FETCH_ROOT/requests.log")" = 2 ]
  echo "$output" | grep -q "\"sha256\":\"$(sha256_of "$FETCH_ROOT/uploads/again.tgz")\""
  mkdir back && tar -C back -xzf "$FETCH_ROOT/uploads/again.tgz"
  diff -r results back
}

@test "an unreadable file fails the streaming upload: exit 2 naming it, nothing stored" {
  make_tree results 2
  echo secret >results/zz-locked.txt
  chmod 000 results/zz-locked.txt
  if [ "$(id -u)" = 0 ]; then
    # root reads anything: drop the capabilities that let it
    run -2 setpriv --bounding-set -dac_override,-dac_read_search fetch put results "$BASE/upload/locked.tgz"
  else
    run -2 fetch put results "$BASE/upload/locked.tgz"
  fi
  assert_output "fetch: error: PATH: cannot read 'results/zz-locked.txt': Permission denied"
  [ ! -e "$FETCH_ROOT/uploads/locked.tgz" ]
  # the server saw the chunked body break off
  wait_until 10 grep -q "PUT /upload/locked.tgz incomplete" "$FETCH_ROOT/requests.log"
}

@test "SIGINT stops a directory upload to a server that does not read: exit 130" {
  make_tree results 8
  fetch put results "$BASE/stall/x.tgz" 3>&- 2>err.txt &
  local pid=$!
  wait_until 10 grep -q "PUT /stall/x.tgz" "$FETCH_ROOT/requests.log"
  sleep 0.3
  kill -INT "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" = 130 ]
  [ "$(cat err.txt)" = "fetch: error: interrupted by SIGINT; nothing was published" ]
}

@test "--part-size below S3's 5MiB minimum is a usage error" {
  echo x >f.txt
  run -2 fetch put f.txt "$BASE/upload/x" --part-size 1MiB
  assert_output "fetch: error: --part-size: must be at least 5MiB (S3's smallest part), got '1MiB'"
  run -2 fetch put f.txt "$BASE/upload/x" --part-size 6GiB
  assert_output "fetch: error: --part-size: must be at most 5GiB (S3's largest part), got '6GiB'"
  run -2 fetch put f.txt "$BASE/upload/x" --part-size lots
  assert_output --partial "fetch: error: --part-size: invalid size 'lots'"
}
