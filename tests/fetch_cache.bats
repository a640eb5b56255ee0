#!/usr/bin/env bats
# --cache: content-addressed objects, revalidation with ETag, shared by concurrent runs.
load helpers/common
load helpers/fetch_common

setup_file() { fetch_start_server; }
teardown_file() { stop_servers; }
setup() {
  common_setup
  make_suite "suite-$BATS_TEST_NUMBER.tgz"
  SUITE="suite-$BATS_TEST_NUMBER.tgz"
}

@test "a repeated fetch revalidates (304) and downloads nothing" {
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache --json
  echo "$output" | grep -q '"from_cache":false'
  [ -f "cache/objects/$(sha256_of "$FETCH_ROOT/files/$SUITE")" ]
  run -0 fetch "$BASE/files/$SUITE" -o two --cache cache --json
  echo "$output" | grep -q '"from_cache":true'
  grep -q "GET /files/$SUITE 304" "$FETCH_ROOT/requests.log"
  diff -r one two
  assert_no_staging
}

@test "with --sha256 a cached object needs no request at all" {
  local sum
  sum="$(sha256_of "$FETCH_ROOT/files/$SUITE")"
  CIUTILS_FETCH_CACHE="$PWD/cache" run -0 fetch "$BASE/files/$SUITE" -o one --sha256 "$sum"
  local before
  before="$(requests_for "/files/$SUITE")"
  CIUTILS_FETCH_CACHE="$PWD/cache" run -0 fetch "$BASE/files/$SUITE" -o two --sha256 "$sum"
  [ "$(requests_for "/files/$SUITE")" = "$before" ]
  [ -f two/suite/plan.json ]
}

@test "a changed file on the server is downloaded again" {
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache
  echo extra >"$BATS_TEST_TMPDIR/suite-src/suite/new.txt"
  tar -C "$BATS_TEST_TMPDIR/suite-src" -czf "$FETCH_ROOT/files/$SUITE" suite
  run -0 fetch "$BASE/files/$SUITE" -o two --cache cache --json
  echo "$output" | grep -q '"from_cache":false'
  [ -f two/suite/new.txt ]
  [ "$(ls cache/objects | wc -l)" = 2 ]
}

@test "a damaged cache object is detected, dropped and fetched again" {
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache
  local object
  object="cache/objects/$(sha256_of "$FETCH_ROOT/files/$SUITE")"
  printf 'garbage' >>"$object"
  run -0 fetch "$BASE/files/$SUITE" -o two --cache cache -q
  [ -f two/suite/plan.json ]
  cmp "$object" "$FETCH_ROOT/files/$SUITE"
}

@test "--no-extract through the cache" {
  run -0 fetch "$BASE/files/$SUITE" -o a.tgz --no-extract --cache cache
  run -0 fetch "$BASE/files/$SUITE" -o b.tgz --no-extract --cache cache --json
  echo "$output" | grep -q '"from_cache":true'
  cmp b.tgz "$FETCH_ROOT/files/$SUITE"
}

@test "concurrent fetches share one cache safely" {
  for i in 1 2 3 4; do
    fetch "$BASE/files/$SUITE" -o "out$i" --cache cache -q 3>&- &
  done
  wait
  for i in 1 2 3 4; do
    cmp "out$i/suite/data/blob.bin" "$BATS_TEST_TMPDIR/suite-src/suite/data/blob.bin"
  done
  [ "$(ls cache/objects | wc -l)" = 1 ]
  [ -z "$(find cache -name '.tmp-*')" ]
}
