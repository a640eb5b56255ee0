#!/usr/bin/env bats
# fetch put PATH URL over HTTP(S) PUT.
load helpers/common
load helpers/fetch_common

setup_file() { fetch_start_server; }
teardown_file() { stop_servers; }
setup() { common_setup; }

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
