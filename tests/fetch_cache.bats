#!/usr/bin/env bats
# --cache: content-addressed objects, revalidation with ETag, shared by concurrent runs.
load helpers/suite
load helpers/fetch_common

setup_file() { suite_start fetch_http; }
setup() {
  suite_setup
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

# Up-to-date trees: --cache --replace into a destination that holds this archive's tree.

# json_field FIELD: the field of the JSON document on stdin (files as sorted JSON).
json_field() { "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[sys.argv[1]], sort_keys=True))' "$1"; }

# fetch_suite [ARGS...]: fetch the test's suite into ./suite with --cache --replace --json.
fetch_suite() { fetch "$BASE/files/$SUITE" -o suite --cache cache --replace --json "$@"; }

# The source tree the suite was packed from (what ./suite must equal).
same_as_source() { diff -r --no-dereference suite "$BATS_TEST_TMPDIR/suite-src"; }

# expect_reextract: the next fetch notices the change, extracts from the cached object,
# and leaves ./suite equal to the source again; a run after that is up to date.
expect_reextract() {
  run --separate-stderr -0 fetch_suite -v
  [ "$(json_field up_to_date <<<"$output")" = false ]
  [ "$(json_field from_cache <<<"$output")" = true ]
  [[ "$stderr" == *"'suite' extracted again: "* ]] || { echo "$stderr" >&2; return 1; }
  same_as_source
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = true ]
  assert_no_staging
}

@test "an unchanged destination is up to date: revalidated, nothing extracted" {
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = false ]
  local first_files inode
  first_files="$(json_field files <<<"$output")"
  inode="$(stat -c %i suite/suite/data/blob.bin)"
  [ "$(ls cache/trees | wc -l)" = 1 ]
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = true ]
  [ "$(json_field from_cache <<<"$output")" = true ]
  [ "$(json_field downloaded_bytes <<<"$output")" = 0 ]
  [ "$(json_field sha256 <<<"$output")" = "\"$(sha256_of "$FETCH_ROOT/files/$SUITE")\"" ]
  [ "$(json_field files <<<"$output")" = "$first_files" ]
  [ "$stderr" = "fetch: 'suite' is up to date (sha256 $(sha256_of "$FETCH_ROOT/files/$SUITE")); nothing extracted" ]
  grep -q "GET /files/$SUITE 304" "$FETCH_ROOT/requests.log"
  [ "$(stat -c %i suite/suite/data/blob.bin)" = "$inode" ]
  # Plain output and -q: the destination on stdout as always, no note with -q.
  run --separate-stderr -0 fetch "$BASE/files/$SUITE" -o suite --cache cache --replace -q
  assert_output suite
  [ -z "$stderr" ]
  [ "$(stat -c %i suite/suite/data/blob.bin)" = "$inode" ]
  same_as_source
  assert_no_staging
}

@test "a tree published without --cache is extracted once, then up to date" {
  run -0 fetch "$BASE/files/$SUITE" -o other --cache cache -q
  run -0 fetch "$BASE/files/$SUITE" -o suite -q
  run --separate-stderr -0 fetch_suite -v
  [ "$(json_field up_to_date <<<"$output")" = false ]
  [[ "$stderr" == *"'suite' extracted again: no tree record for it in the cache"* ]]
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = true ]
}

@test "an appended file is noticed" {
  fetch_suite >/dev/null
  echo more >>suite/suite/plan.json
  expect_reextract
}

@test "a same-size rewrite with the old mtime restored is noticed" {
  fetch_suite >/dev/null
  local size
  size="$(stat -c %s suite/suite/data/blob.bin)"
  head -c "$size" /dev/zero >suite/suite/data/blob.bin
  touch -d '2024-01-02 03:04:05 UTC' suite/suite/plan.json
  touch -r "$BATS_TEST_TMPDIR/suite-src/suite/data/blob.bin" suite/suite/data/blob.bin
  [ "$(stat -c %s suite/suite/data/blob.bin)" = "$size" ]
  expect_reextract
}

@test "a rewrite right after the publish (same timestamp tick) is caught by content" {
  fetch_suite >/dev/null && printf '{"steps":[1]}' >suite/suite/plan.json &&
    touch -d '2024-01-02 03:04:05 UTC' suite/suite/plan.json
  expect_reextract
}

@test "a deleted file is noticed" {
  fetch_suite >/dev/null
  rm suite/suite/data/blob.bin
  expect_reextract
}

@test "an added file is noticed and removed" {
  fetch_suite >/dev/null
  echo stray >suite/suite/data/stray.txt
  expect_reextract
  [ ! -e suite/suite/data/stray.txt ]
}

@test "a chmod is noticed" {
  fetch_suite >/dev/null
  chmod 600 suite/suite/bin/run.sh
  expect_reextract
  [ -x suite/suite/bin/run.sh ]
}

@test "a replaced symlink is noticed" {
  fetch_suite >/dev/null
  ln -sfn ../data/blob.bin suite/suite/bin/plan.json
  expect_reextract
  [ "$(readlink suite/suite/bin/plan.json)" = "../plan.json" ]
}

@test "another --strip-components extracts again" {
  fetch_suite >/dev/null
  run --separate-stderr -0 fetch_suite --strip-components 1 -v
  [ "$(json_field up_to_date <<<"$output")" = false ]
  [[ "$stderr" == *"it was extracted with --strip-components 0"* ]]
  [ -f suite/plan.json ]
  run --separate-stderr -0 fetch_suite --strip-components 1
  [ "$(json_field up_to_date <<<"$output")" = true ]
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = false ]
  same_as_source
}

@test "a changed archive on the server (new ETag) is downloaded and extracted" {
  fetch_suite >/dev/null
  echo extra >"$BATS_TEST_TMPDIR/suite-src/suite/new.txt"
  tar -C "$BATS_TEST_TMPDIR/suite-src" -czf "$FETCH_ROOT/files/$SUITE" suite
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = false ]
  [ "$(json_field from_cache <<<"$output")" = false ]
  same_as_source
  run --separate-stderr -0 fetch_suite
  [ "$(json_field up_to_date <<<"$output")" = true ]
}

@test "a damaged tree record means a normal extraction" {
  fetch_suite >/dev/null
  local record
  record="$(ls cache/trees/*.json)"
  for damage in 'garbage' '{"version":1}' "$(head -c 100 "$record")"; do
    fetch_suite >/dev/null  # a valid record again
    printf '%s' "$damage" >"$record"
    run --separate-stderr -0 fetch_suite -v
    [ "$(json_field up_to_date <<<"$output")" = false ]
    [[ "$stderr" == *"its tree record is damaged"* ]]
    same_as_source
  done
  rm "$record"
  mkdir "$record"  # unreadable as a file: no record, and none can be written
  run --separate-stderr -0 fetch_suite -v
  [ "$(json_field up_to_date <<<"$output")" = false ]
  [[ "$stderr" == *"no tree record written: "* ]]
  same_as_source
}

@test "without --replace an existing destination is still a usage error" {
  fetch_suite >/dev/null
  run -2 fetch "$BASE/files/$SUITE" -o suite --cache cache
  assert_output "fetch: error: -o: 'suite' already exists (use --replace)"
}

@test "--sha256 is checked for an up-to-date tree too" {
  fetch_suite >/dev/null
  run -4 fetch_suite --sha256 "$(printf '0%.0s' {1..64})"
  assert_output --partial "sha256 mismatch"
  same_as_source
  run --separate-stderr -0 fetch_suite --sha256 "$(sha256_of "$FETCH_ROOT/files/$SUITE")"
  [ "$(json_field up_to_date <<<"$output")" = true ]
}

@test "concurrent fetches into one destination leave it correct" {
  for i in 1 2 3 4; do
    fetch "$BASE/files/$SUITE" -o suite --cache cache --replace -q 3>&- &
  done
  wait
  same_as_source
  chmod 700 suite/suite/bin/run.sh
  for i in 1 2 3; do
    fetch "$BASE/files/$SUITE" -o suite --cache cache --replace -q 3>&- &
  done
  wait
  same_as_source
  [ -z "$(find cache -name '.tmp-*')" ]
  assert_no_staging
}

@test "a cache others can write to is refused unless --cache-shared" {
  mkdir -p cache && chmod 0777 cache
  run -2 fetch "$BASE/files/$SUITE" -o one --cache cache
  assert_output "fetch: error: --cache: 'cache' is writable by group or others (mode 0777): run chmod go-w 'cache', or pass --cache-shared if the team shares it on purpose"
  assert_not_published one
  chmod 0755 cache && chmod 0775 cache/objects
  run -2 fetch "$BASE/files/$SUITE" -o one --cache cache
  assert_output --partial "'cache/objects' is writable by group or others (mode 0775)"
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache --cache-shared
  [ -f one/suite/plan.json ]
}

@test "a cache owned by another user is refused unless --cache-shared" {
  [ "$(id -u)" = 0 ] || skip "needs root to hand the directory to another user"
  mkdir -p cache && chown 65534 cache
  run -2 fetch "$BASE/files/$SUITE" -o one --cache cache
  assert_output "fetch: error: --cache: 'cache' belongs to uid 65534, not to you (uid 0): use a cache of your own, or --cache-shared if the team shares it on purpose"
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache --cache-shared
}

@test "a full cache disk skips the cache with a warning; the fetch succeeds" {
  # Files of 8 KiB extract under a 64 KiB file size limit; the 400 KiB archive cannot be
  # copied into the cache (EFBIG stands in for a full disk).
  mkdir -p many/suite
  for i in $(seq 50); do head -c 8192 /dev/urandom >"many/suite/f$i.bin"; done
  tar -C many -czf "$FETCH_ROOT/files/many.tgz" suite
  run -0 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 64; exec fetch "$1" -o out --cache cache' _ "$BASE/files/many.tgz"
  [ "$stderr" = "fetch: warning: cache skipped: cache: File too large" ]
  cmp out/suite/f50.bin many/suite/f50.bin
  [ -z "$(ls -A cache/objects)" ]
  # Saving: to a pipe, which the file size limit does not cover.
  run -0 --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 64; fetch "$1" -o - --cache cache | sha256sum' _ "$BASE/files/many.tgz"
  [ "$stderr" = "fetch: warning: cache skipped: cache: File too large" ]
  [ "${output%% *}" = "$(sha256_of "$FETCH_ROOT/files/many.tgz")" ]
  [ -z "$(ls -A cache/objects)" ]
}

@test "a swapped cache object is never sent to stdout" {
  local sum
  sum="$(sha256_of "$FETCH_ROOT/files/$SUITE")"
  run -0 fetch "$BASE/files/$SUITE" -o one --cache cache
  echo "#!/bin/sh evil" >"cache/objects/$sum"
  run -0 bash -c 'fetch "$1" -o - --cache cache --sha256 "$2" -q | sha256sum' _ "$BASE/files/$SUITE" "$sum"
  [ "${output%% *}" = "$sum" ]
  cmp "cache/objects/$sum" "$FETCH_ROOT/files/$SUITE"
}
