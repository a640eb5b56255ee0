#!/usr/bin/env bats
# Hostile and broken archives: each is refused with exit 4 and a message naming the cause;
# the destination is untouched and no staging is left behind.
load helpers/suite
load helpers/fetch_common

setup_file() { suite_start fetch_http; }

# refused NAME MESSAGE [fetch args...]: fetch NAME into out/ must fail with exit 4 and MESSAGE.
refused() {
  local name="$1" message="$2"
  shift 2
  run -4 fetch "$BASE/files/$name" -o out "$@"
  assert_output "fetch: error: $message"
  assert_not_published out
}

@test "../ entries" {
  make_archive dotdot dotdot.tgz
  refused dotdot.tgz "entry '../evil': path escapes the destination ('..')"
  [ ! -e ../evil ]
}

@test "../ in the middle of an entry" {
  make_archive dotdot-middle middle.tgz
  run -4 fetch "$BASE/files/middle.tgz" -o out
  assert_output --regexp "^fetch: error: entry 'a/\.\./\.\./evil': "
  assert_not_published out
  [ ! -e evil ] && [ ! -e ../evil ]
}

@test "absolute paths" {
  make_archive absolute abs.tgz
  refused abs.tgz "entry '/tmp/fetch-absolute-evil': absolute path"
  [ ! -e /tmp/fetch-absolute-evil ]
}

@test "a symlink to /etc, then a file through it" {
  make_archive symlink-etc etc.tgz
  refused etc.tgz "entry 'etc': symlink target '/etc' is absolute"
  [ ! -e /etc/fetch-evil ]
}

@test "a symlink climbing out with .." {
  make_archive symlink-climb climb.tgz
  refused climb.tgz "entry 'up': symlink target '../../../../../../tmp' points outside the destination"
}

@test "no writing through a symlink even inside the destination" {
  make_archive symlink-through through.tgz
  refused through.tgz "entry 'alias/y.txt': path goes through 'alias', which is a symlink or not a directory"
}

@test "hardlinks to outside" {
  make_archive hardlink-outside hl.tgz
  refused hl.tgz "entry 'passwd': hardlink target '../../../../etc/passwd' points outside the destination"
  make_archive hardlink-absolute hla.tgz
  refused hla.tgz "entry 'passwd': hardlink target '/etc/passwd' points outside the destination"
}

@test "a hardlink to itself" {
  make_archive hardlink-self self.tgz
  refused self.tgz "entry 'a': hardlink to itself"
}

@test "group and other write bits are dropped (--mode-mask 022), unless --mode-mask says otherwise" {
  make_archive world-writable ww.tgz
  run -0 fetch "$BASE/files/ww.tgz" -o out --json
  [ "$(stat -c %a out/shared out/shared/notes.txt out/shared/run.sh | tr '\n' ' ')" = "755 644 755 " ]
  echo "$output" | grep -q '"path":"shared/notes.txt","type":"file","size":5,"mode":"0644"'
  run -0 fetch "$BASE/files/ww.tgz" -o open --mode-mask 0
  [ "$(stat -c %a open/shared open/shared/notes.txt open/shared/run.sh | tr '\n' ' ')" = "777 666 777 " ]
  run -0 fetch "$BASE/files/ww.tgz" -o private --mode-mask 077
  [ "$(stat -c %a private/shared private/shared/notes.txt | tr '\n' ' ')" = "700 600 " ]
  run -2 fetch "$BASE/files/ww.tgz" -o bad --mode-mask 0999
  assert_output "fetch: error: --mode-mask: expected octal permission bits such as 022 or 0, got '0999'"
}

@test "device files and fifos" {
  make_archive device dev.tgz
  refused dev.tgz "entry 'null': device files, fifos and sockets are not allowed"
  make_archive fifo fifo.tgz
  refused fifo.tgz "entry 'pipe': device files, fifos and sockets are not allowed"
}

@test "setuid and setgid bits are dropped, executable bits kept" {
  make_archive setuid suid.tgz
  run -0 fetch "$BASE/files/suid.tgz" -o out
  [ "$(stat -c %a out/tool)" = "755" ]
}

@test "zip-slip in a zip" {
  make_archive zip-dotdot slip.zip
  refused slip.zip "entry '../zip-evil': path escapes the destination ('..')"
}

@test "a zip entry hidden from the central directory" {
  make_archive zip-hidden hidden.zip
  refused hidden.zip "$BASE/files/hidden.zip: zip central directory: entry 2 ('readme.txt') is 'evilpayload' in the archive's local header"
}

@test "a zip whose central directory points at another local header of the same name" {
  make_archive zip-smuggled smuggled.zip
  local at
  at="$("$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.find(b"PK\x03\x04", 1 + d.find(b"PK\x03\x04", 1)))' "$FETCH_ROOT/files/smuggled.zip")"
  refused smuggled.zip "$BASE/files/smuggled.zip: zip central directory: entry 1 ('readme.txt') is at offset $at in the directory, at 0 in the archive"
}

@test "zip symlinks follow the rules of tar symlinks" {
  make_archive zip-symlink-etc etc.zip
  refused etc.zip "entry 'etc/fetch-evil': path goes through 'etc', which is a symlink or not a directory"
  [ ! -e /etc/fetch-evil ]
  make_archive zip-symlink-absolute abs.zip
  refused abs.zip "entry 'passwd': symlink target '/etc/passwd' is absolute"
  make_archive zip-symlink-climb climb.zip
  refused climb.zip "entry 'up': symlink target '../../../../tmp' points outside the destination"
  make_archive zip-symlink-chain chain.zip
  refused chain.zip "entry 'd/t': symlink target 'l/../..' uses '..' after a directory name"
  make_archive zip-symlink-long long.zip
  refused long.zip "entry 'long': symlink target is longer than 4095 bytes"
  make_archive zip-symlink-nul nul.zip
  refused nul.zip "entry 'nul': symlink target holds a NUL byte"
}

@test "a zip symlink pointing out is refused even when the filters leave it out" {
  make_archive zip-symlink-climb climb.zip
  refused climb.zip "entry 'up': symlink target '../../../../tmp' points outside the destination" --include readme.txt
  refused climb.zip "entry 'up': symlink target '../../../../tmp' points outside the destination" --exclude up
}

@test "a compression bomb is stopped by --max-ratio" {
  make_archive zeros zeros.tgz 64
  run -4 fetch "$BASE/files/zeros.tgz" -o out
  assert_output --regexp "^fetch: error: entry 'zeros.bin': compression ratio exceeds --max-ratio 200 \([0-9]+ bytes unpacked from a download of $(stat -c %s "$FETCH_ROOT/files/zeros.tgz") bytes\)$"
  assert_not_published out
}

@test "the ratio verdict does not depend on the order of the entries" {
  truncate -s 256M sparse.bin
  head -c $((4 << 20)) /dev/urandom >random.bin
  tar --sparse -czf "$FETCH_ROOT/files/sparse-first.tgz" sparse.bin random.bin
  tar --sparse -czf "$FETCH_ROOT/files/random-first.tgz" random.bin sparse.bin
  rm sparse.bin random.bin
  run -0 fetch "$BASE/files/sparse-first.tgz" -o a
  run -0 fetch "$BASE/files/random-first.tgz" -o b
  [ "$(stat -c %s a/sparse.bin b/sparse.bin | tr '\n' ' ')" = "268435456 268435456 " ]
  run -4 fetch "$BASE/files/sparse-first.tgz" -o c --max-ratio 50
  assert_output --regexp "^fetch: error: entry 'sparse.bin': compression ratio exceeds --max-ratio 50 \(268435456 bytes unpacked from a download of [0-9]+ bytes\)$"
}

@test "a 10 GiB sparse file in a tiny archive is refused before anything is written" {
  truncate -s 10G big
  tar --sparse -czf "$FETCH_ROOT/files/sparse.tgz" big
  rm big
  [ "$(stat -c %s "$FETCH_ROOT/files/sparse.tgz")" -lt 1024 ]
  run -4 fetch "$BASE/files/sparse.tgz" -o out
  assert_output --regexp "^fetch: error: entry 'big': compression ratio exceeds --max-ratio 200 \(10737418240 bytes unpacked from a download of [0-9]+ bytes\)$"
  assert_not_published out
  run -4 fetch "$BASE/files/sparse.tgz" -o out --max-ratio 1e12 --max-bytes 1GiB
  assert_output "fetch: error: entry 'big': unpacked size exceeds --max-bytes 1073741824"
}

@test "--max-bytes stands in for a full disk" {
  make_suite suite.tgz
  refused suite.tgz "entry 'suite/data/blob.bin': unpacked size exceeds --max-bytes 100000" --max-bytes 100000
}

@test "too many entries against --max-entries" {
  make_archive many many.tgz 1001
  refused many.tgz "entry 'e1000': archive has more than --max-entries 1000 entries" --max-entries 1000
}

@test "1,000,000 empty entries stop at the default --max-entries" {
  make_archive empties empties.tgz 1000000
  refused empties.tgz "entry 'e0100000': archive has more than --max-entries 100000 entries"
}

@test "--max-download" {
  make_suite suite.tgz
  refused suite.tgz "download of $(stat -c %s "$FETCH_ROOT/files/suite.tgz") bytes exceeds --max-download 1000" --max-download 1000
}

@test "a truncated gzip" {
  make_suite suite.tgz
  head -c 100000 "$FETCH_ROOT/files/suite.tgz" >"$FETCH_ROOT/files/cut.tgz"
  run -4 fetch "$BASE/files/cut.tgz" -o out
  assert_output --regexp "^fetch: error: $BASE/files/cut.tgz: damaged archive: .*(runcated|Premature).*$"
  assert_not_published out
}

@test "a zip with a damaged central directory" {
  make_archive zip ok.zip
  "$PY" -c '
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"PK\x01\x02")
d[i:i + 40] = b"X" * 40
open(sys.argv[2], "wb").write(d)' "$FETCH_ROOT/files/ok.zip" "$FETCH_ROOT/files/bad.zip"
  refused bad.zip "$BASE/files/bad.zip: damaged archive: zip central directory: entry 1 is damaged"
  run -0 fetch "$BASE/files/ok.zip" -o good
  [ -x good/run.sh ]
}

@test "a checksum mismatch publishes nothing" {
  make_suite suite.tgz
  local want
  want="$(printf 'other' | sha256sum | cut -d' ' -f1)"
  refused suite.tgz "sha256 mismatch for $BASE/files/suite.tgz: expected $want, got $(sha256_of "$FETCH_ROOT/files/suite.tgz"); nothing was published" --sha256 "$want"
  run -4 fetch "$BASE/files/suite.tgz" -o saved.tgz --no-extract --sha256 "$want"
  assert_not_published saved.tgz
}

@test "an HTML page instead of an archive" {
  printf '<!DOCTYPE html>\n<html><body>Please sign in</body></html>\n' >"$FETCH_ROOT/files/page.tgz"
  refused page.tgz "$BASE/files/page.tgz: not a tar or zip archive (Unrecognized archive format; content starts with '<!DOCTYPE html> <html><body>Please sign ')"
}

@test "an empty download" {
  : >"$FETCH_ROOT/files/empty.tgz"
  refused empty.tgz "$BASE/files/empty.tgz: the download is empty"
}

@test "a failed attempt leaves an existing destination as it was" {
  mkdir out && echo keep >out/keep.txt
  make_archive dotdot dotdot.tgz
  run -4 fetch "$BASE/files/dotdot.tgz" -o out --replace
  [ "$(cat out/keep.txt)" = keep ]
  assert_no_staging
}

@test "disk full: a small tmpfs when one can be mounted, else --max-bytes" {
  mkdir -p payload small
  head -c 2000000 /dev/urandom >payload/big.bin
  tar -czf "$FETCH_ROOT/files/big.tgz" payload
  if mount -t tmpfs -o size=1m tmpfs small 2>/dev/null; then
    run -4 fetch "$BASE/files/big.tgz" -o small/out
    local left
    left="$(ls -A small)"
    umount small
    [ -z "$left" ]
    assert_output "fetch: error: entry 'payload/big.bin': No space left on device"
  else
    run -4 fetch "$BASE/files/big.tgz" -o small/out --max-bytes 1MiB
    assert_output "fetch: error: entry 'payload/big.bin': unpacked size exceeds --max-bytes 1048576"
  fi
  assert_not_published small/out
}
