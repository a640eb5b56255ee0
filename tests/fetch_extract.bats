#!/usr/bin/env bats
# fetch URL -o DIR: download and unpack, publish atomically, manifest.
load helpers/suite
load helpers/fetch_common

setup_file() { suite_start fetch_http; }
setup() {
  suite_setup
  make_suite suite.tar.gz
}

@test "http download unpacks into DIR and prints the destination" {
  run -0 fetch "$BASE/files/suite.tar.gz" -o out
  assert_output "out"
  [ -f out/suite/plan.json ]
  [ -x out/suite/bin/run.sh ]
  [ "$(readlink out/suite/bin/plan.json)" = "../plan.json" ]
  cmp out/suite/data/blob.bin "$BATS_TEST_TMPDIR/suite-src/suite/data/blob.bin"
  [ "$(stat -c %Y out/suite/plan.json)" = "$(date -d '2024-01-02 03:04:05 UTC' +%s)" ]
  assert_no_staging
}

@test "file:// URL and the default destination name" {
  cp "$FETCH_ROOT/files/suite.tar.gz" web-tests.tar.gz
  run -0 fetch "file://$PWD/web-tests.tar.gz"
  assert_output "web-tests"
  [ -f web-tests/suite/plan.json ]
}

@test "an archive made with tar -C DIR . (a './' root entry) unpacks" {
  mkdir -p src/tests
  echo hello >src/a.txt
  echo 'exit 0' >src/tests/t.sh
  tar -C src -czf dot.tar.gz .
  run -0 fetch "file://$PWD/dot.tar.gz" -o out
  assert_output "out"
  [ "$(cat out/a.txt)" = hello ]
  [ -f out/tests/t.sh ]
  assert_no_staging
}

@test "--sha256 match publishes, --json lists every file with its hash and mode" {
  local sum
  sum="$(sha256_of "$FETCH_ROOT/files/suite.tar.gz")"
  run -0 --separate-stderr fetch "$BASE/files/suite.tar.gz" -o out --sha256 "$sum" --json --strip-components 1
  echo "$output" | "$PY" -c '
import json, sys, hashlib
m = json.load(sys.stdin)
assert m["destination"] == "out" and m["sha256"] == sys.argv[1], m
files = {f["path"]: f for f in m["files"]}
assert files["bin/run.sh"]["mode"] == "0755", files
assert files["bin/plan.json"] == {"path": "bin/plan.json", "type": "symlink", "target": "../plan.json"}
blob = files["data/blob.bin"]
assert blob["size"] == 300000 and blob["sha256"] == hashlib.sha256(open("out/data/blob.bin","rb").read()).hexdigest()
' "$sum"
  [ -f out/plan.json ]
}

@test "an existing destination is refused without --replace and swapped with it" {
  mkdir out && echo old >out/old.txt
  run -2 fetch "$BASE/files/suite.tar.gz" -o out
  assert_output "fetch: error: -o: 'out' already exists (use --replace)"
  [ -f out/old.txt ]
  run -0 fetch "$BASE/files/suite.tar.gz" -o out --replace
  [ ! -e out/old.txt ]
  [ -f out/suite/plan.json ]
  assert_no_staging
}

@test "every tar compression and zip are detected by content" {
  local src="$BATS_TEST_TMPDIR/suite-src"
  tar -C "$src" -cf "$FETCH_ROOT/files/plain.bin" suite
  tar -C "$src" -cjf "$FETCH_ROOT/files/bz.bin" suite
  tar -C "$src" -cJf "$FETCH_ROOT/files/xz.bin" suite
  tar -C "$src" --zstd -cf "$FETCH_ROOT/files/zst.bin" suite
  (cd "$src" && zip -qry "$FETCH_ROOT/files/z.bin" suite)
  for f in plain bz xz zst z; do
    run -0 fetch "$BASE/files/$f.bin" -o "out-$f"
    cmp "out-$f/suite/data/blob.bin" "$src/suite/data/blob.bin"
  done
  [ -x out-z/suite/bin/run.sh ]
}

@test "--no-extract saves the file; -o - streams it to stdout" {
  run -0 fetch "$BASE/files/suite.tar.gz" --no-extract
  assert_output "suite.tar.gz"
  cmp suite.tar.gz "$FETCH_ROOT/files/suite.tar.gz"
  fetch "$BASE/files/suite.tar.gz" -o - >copy.tgz
  cmp copy.tgz "$FETCH_ROOT/files/suite.tar.gz"
  assert_no_staging
}

@test "usage errors name the flag" {
  run -2 fetch
  assert_output "fetch: error: URL: missing (see fetch --help)"
  run -2 fetch "$BASE/files/suite.tar.gz" --sha256 nothex
  assert_output "fetch: error: --sha256: expected 64 hex digits, got 'nothex'"
  run -2 fetch "$BASE/files/suite.tar.gz" --max-bytes lots
  assert_output --partial "fetch: error: --max-bytes"
  run -2 fetch gopher://x/y.tar
  assert_output "fetch: error: URL: unsupported scheme 'gopher' (http, https, file, s3)"
  run -2 fetch "$BASE/files/suite.tar.gz" -o - --json
  assert_output "fetch: error: --json: not with -o - (stdout carries the download)"
  run -2 fetch "file://$PWD/missing.tar.gz" -o out
  assert_output "fetch: error: URL: cannot open '$PWD/missing.tar.gz': No such file or directory"
  assert_not_published out
}

@test "--help lists flags, environment and exit status" {
  run -0 fetch --help
  for flag in --output --no-extract --replace --strip-components --sha256 --cache --max-bytes --max-entries \
    --max-ratio --max-download --retry --connect-timeout --stall-timeout --deadline --json; do
    assert_output --partial -- "$flag"
  done
  assert_output --partial "AWS_ENDPOINT_URL"
  assert_output --partial "Exit status:"
  run -0 fetch put --help
  assert_output --partial "--content-type"
}

@test "a progress bar is drawn on a terminal only" {
  run -0 --separate-stderr fetch "$BASE/files/suite.tar.gz" -o quiet-out
  [ -z "$stderr" ]
  command -v script >/dev/null || skip "script(1) not installed"
  script -qec "fetch '$BASE/files/suite.tar.gz' -o tty-out" /dev/null >tty.txt
  grep -q '\[#' tty.txt
  grep -q '100%' tty.txt
  [ -f tty-out/suite/plan.json ]
}

@test "a refusal mid-download stops the transfer at once" {
  # ../evil comes first (libarchive reads 64 KiB ahead: zeros, which compress to little);
  # the random rest would take minutes at the drip's 100 bytes per 0.3 s.
  "$PY" - "$FETCH_ROOT/files/evil-big.tgz" <<'PY'
import io, os, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for name, data in (("../evil", b"x\n"), ("zeros.bin", bytes(1 << 20)), ("random.bin", os.urandom(100000))):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
  run -4 timeout 30 fetch "$BASE/drip/evil-big.tgz" -o out
  assert_output --partial "entry '../evil'"
  assert_not_published out
}

@test "--include and --exclude choose what is extracted; unsafe entries stay refused" {
  make_suite filtered.tgz
  run -0 fetch "$BASE/files/filtered.tgz" -o only-bin --include 'suite/bin' --include '*.json'
  [ "$(cd only-bin && find . -type f -o -type l | sort | tr '\n' ' ')" = "./suite/bin/plan.json ./suite/bin/run.sh ./suite/plan.json " ]
  run -0 fetch "$BASE/files/filtered.tgz" -o no-data --exclude data --strip-components 1
  [ -f no-data/plan.json ] && [ -x no-data/bin/run.sh ] && [ ! -e no-data/data ]
  make_archive dotdot dotdot.tgz
  run -4 fetch "$BASE/files/dotdot.tgz" -o out --include ok.txt
  assert_output "fetch: error: entry '../evil': path escapes the destination ('..')"
  make_archive symlink-etc etc.tgz
  run -4 fetch "$BASE/files/etc.tgz" -o out --exclude etc
  assert_output "fetch: error: entry 'etc': symlink target '/etc' is absolute"
  make_archive device dev.tgz
  run -4 fetch "$BASE/files/dev.tgz" -o out --exclude '*'
  assert_output "fetch: error: entry 'null': device files, fifos and sockets are not allowed"
  assert_not_published out
  run -2 fetch "$BASE/files/filtered.tgz" -o x --no-extract --include '*'
  assert_output "fetch: error: --include: not with --no-extract or -o -"
}

@test "zip symlinks are extracted as symlinks, listed as such in --json" {
  make_archive zip-symlinks links.zip
  run -0 --separate-stderr fetch "$BASE/files/links.zip" -o out --json
  [ "$(readlink out/bin/latest)" = run.sh ]
  [ "$(readlink out/current)" = data ]
  [ "$(cat out/current/a.txt)" = alpha ]
  [ -x out/bin/run.sh ] && [ ! -L out/bin/run.sh ]
  echo "$output" | "$PY" -c '
import json, sys
files = {f["path"]: f for f in json.load(sys.stdin)["files"]}
assert files["bin/latest"] == {"path": "bin/latest", "type": "symlink", "target": "run.sh"}, files
assert files["current"] == {"path": "current", "type": "symlink", "target": "data"}, files
assert files["bin/run.sh"]["mode"] == "0755", files
'
  run -0 fetch "$BASE/files/links.zip" -o stripped --strip-components 1 --include 'latest'
  [ "$(readlink stripped/latest)" = run.sh ]
  [ ! -e stripped/run.sh ]
}

@test "--no-symlinks refuses tar and zip symlinks that would be extracted" {
  make_archive zip-symlinks links.zip
  run -4 fetch "$BASE/files/links.zip" -o out --no-symlinks
  assert_output "fetch: error: entry 'bin/latest': symlinks are refused (--no-symlinks)"
  assert_not_published out
  run -4 fetch "$BASE/files/suite.tar.gz" -o out --no-symlinks
  assert_output "fetch: error: entry 'suite/bin/plan.json': symlinks are refused (--no-symlinks)"
  assert_not_published out
  run -0 fetch "$BASE/files/links.zip" -o out --no-symlinks --exclude bin/latest --exclude current
  [ -f out/data/a.txt ] && [ -x out/bin/run.sh ]
  run -2 fetch "$BASE/files/links.zip" -o x --no-extract --no-symlinks
  assert_output "fetch: error: --no-symlinks: not with --no-extract or -o -"
}

@test "UTF-8 entry names unpack whatever the caller's locale" {
  make_archive zip-utf8 utf8.zip
  make_archive tar-utf8 utf8.tgz
  for locale in C C.UTF-8; do
    LC_ALL=$locale run -0 --separate-stderr fetch "$BASE/files/utf8.zip" -o "zip-$locale" --json
    [ "$(cat "zip-$locale/données/été.txt")" = x ]
    [ "$(cat "zip-$locale/日本/テスト.txt")" = y ]
    echo "$output" | grep -q '"path":"日本/テスト.txt"'
    LC_ALL=$locale run -0 fetch "$BASE/files/utf8.tgz" -o "tar-$locale"
    [ -f "tar-$locale/données/été.txt" ]
  done
}
