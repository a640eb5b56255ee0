#!/usr/bin/env bats
# scripts/install: a release tarball from a file, file:// or a loopback HTTP server (curl and
# wget), checked against --sha256 before anything is unpacked, published with one rename.
# The tarball here has a release's layout with stand-in programs; tests/package_tarball.bats
# installs the real one.

load helpers/common
load helpers/fetch_common

INSTALL="$CIUTILS_SOURCE_DIR/scripts/install"
V=9.8.7
NAME="ciutils-$V-linux-x86_64"

setup_file() {
  fetch_start_server
  local src="$BATS_FILE_TMPDIR/src"
  mkdir -p "$src/$NAME/bin" "$src/$NAME/lib"
  for tool in fetch lockctl notify prun report schedule; do
    printf '#!/bin/sh\necho "%s (ciutils) %s"\n' "$tool" "$V" >"$src/$NAME/bin/$tool"
    chmod 0755 "$src/$NAME/bin/$tool"
  done
  tar -C "$src" -czf "$FETCH_ROOT/files/$NAME.tar.gz" "$NAME"
  # Big enough that a stalled download is still running when the test stops it.
  head -c 3000000 /dev/urandom >"$FETCH_ROOT/files/big.tar.gz"
  SHA="$(sha256sum "$FETCH_ROOT/files/$NAME.tar.gz" | cut -d' ' -f1)"
  export SHA
}

teardown_file() {
  stop_servers
}

setup() {
  common_setup
  unset CIUTILS_REPOSITORY
  TARBALL="$FETCH_ROOT/files/$NAME.tar.gz"
}

# Nothing of a failed install is left in DIR: no release, no temporary directory.
assert_nothing_installed() {
  run find "$1" -mindepth 1
  assert_output ""
}

@test "installs from a file:// URL and prints the bin directory" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "file://$TARBALL"
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
  [[ "$stderr" == *"installed ciutils $V in $PWD/opt/ciutils-$V"* ]]
  run opt/ciutils-$V/bin/fetch --version
  assert_output "fetch (ciutils) $V"
  run cat "opt/ciutils-$V/.ciutils-release"
  assert_line "sha256 $SHA"
  # Only the release: the temporary directory is gone.
  run ls -A opt
  assert_output "ciutils-$V"
}

@test "installs from a plain path, a v-prefixed version and an upper-case checksum" {
  run --separate-stderr "$INSTALL" --version "v$V" --to opt --sha256 "$(tr 'a-f' 'A-F' <<<"$SHA")" --from "$TARBALL"
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
}

@test "a second run for the installed version does nothing" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "file://$TARBALL"
  assert_success
  touch -d 2001-01-01 "opt/ciutils-$V"
  # The source no longer exists: the second run must not even read it.
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "file:///nonexistent.tar.gz"
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
  [[ "$stderr" == *"already installed"* ]]
  [ "$(stat -c %Y "opt/ciutils-$V")" = "$(date -d 2001-01-01 +%s)" ]
}

@test "an installed version from another tarball than --sha256 names is refused with exit 4" {
  "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$TARBALL"
  local other
  other="$(printf '%064d' 0)"
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$other" --from "$TARBALL"
  [ "$status" -eq 4 ]
  [ "$stderr" = "install: error: $PWD/opt/ciutils-$V holds ciutils $V from a tarball with sha256 $SHA, not $other" ]
}

@test "downloads over HTTP with curl" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$BASE/files/$NAME.tar.gz" --downloader curl
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
  [ -x "opt/ciutils-$V/bin/prun" ]
}

@test "downloads over HTTP with wget" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$BASE/files/$NAME.tar.gz" --downloader wget
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
  [ -x "opt/ciutils-$V/bin/prun" ]
}

@test "a wrong checksum exits 4 and installs nothing" {
  local wrong
  wrong="$(printf '%064d' 1)"
  for from in "$BASE/files/$NAME.tar.gz" "file://$TARBALL"; do
    mkdir -p opt
    run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$wrong" --from "$from"
    [ "$status" -eq 4 ]
    [ "$stderr" = "install: error: checksum mismatch for $from: expected sha256 $wrong, got $SHA; nothing installed" ] ||
      [[ "$stderr" == *"downloading"*"install: error: checksum mismatch for $from: expected sha256 $wrong, got $SHA; nothing installed" ]]
    assert_nothing_installed opt
  done
}

@test "a download cut short exits 3 and installs nothing (curl and wget)" {
  for downloader in curl wget; do
    run --separate-stderr "$INSTALL" --version "$V" --to "opt-$downloader" --sha256 "$SHA" \
      --from "$BASE/short/$NAME.tar.gz" --downloader "$downloader"
    [ "$status" -eq 3 ] || fail "$downloader: exit $status: $stderr"
    [[ "$stderr" == *"install: error: download failed: $BASE/short/$NAME.tar.gz" ]]
    assert_nothing_installed "opt-$downloader"
  done
}

@test "an install stopped during the download (SIGTERM) exits 143 and leaves nothing" {
  "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$BASE/stall/big.tar.gz" 2>err &
  local pid=$!
  # The server has sent the first bytes: the temporary download exists.
  wait_until 10 sh -c 'ls opt/.ciutils-*/*.tar.gz'
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  [ "$status" -eq 143 ]
  assert_nothing_installed opt
  # The next run installs normally.
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$BASE/files/$NAME.tar.gz"
  assert_success
}

@test "a server error exits 3 and installs nothing" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "$BASE/status/404"
  [ "$status" -eq 3 ]
  assert_nothing_installed opt
}

@test "no checksum: refused with exit 2 unless --insecure-no-verify" {
  run --separate-stderr "$INSTALL" --version "$V" --to opt --from "$TARBALL"
  [ "$status" -eq 2 ]
  [ "$stderr" = "install: error: --sha256 is required (the release's .sha256 file has it); --insecure-no-verify installs unchecked" ]
  [ ! -e opt ]
  run --separate-stderr "$INSTALL" --version "$V" --to opt --from "$TARBALL" --insecure-no-verify
  assert_success
  assert_output "$PWD/opt/ciutils-$V/bin"
  [[ "$stderr" == *"not verified (--insecure-no-verify): sha256 $SHA"* ]]
}

@test "a file that is not a release tarball exits 1 and installs nothing" {
  local sha
  sha="$(sha256sum "$FETCH_ROOT/files/big.tar.gz" | cut -d' ' -f1)"
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$sha" --from "$FETCH_ROOT/files/big.tar.gz"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "install: error: cannot unpack $FETCH_ROOT/files/big.tar.gz: "* ]]
  assert_nothing_installed opt
}

@test "usage errors exit 2 and name the flag" {
  run --separate-stderr "$INSTALL" --to opt --sha256 "$SHA"
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --version is required" ]
  run --separate-stderr "$INSTALL" --version "$V" --sha256 "$SHA"
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --to is required" ]
  run --separate-stderr "$INSTALL" --version "1.0;rm" --to opt --sha256 "$SHA"
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --version: '1.0;rm' is not a version (e.g. 0.1.0)" ]
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 abc
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --sha256: not 64 hexadecimal digits" ]
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --from "ftp://host/x.tar.gz"
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --from: 'ftp://host/x.tar.gz' is not a file, file://, http:// or https:// URL" ]
  run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" --bogus
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: unknown argument '--bogus' (see --help)" ]
}

@test "without --from: the GitHub release URL of --repository, or a clear error without one" {
  # A stand-in curl records the URL it was given; nothing leaves this machine.
  mkdir -p fakebin
  printf '#!/bin/sh\nfor a; do last="$a"; done; echo "$last" >"%s/url"; exit 22\n' "$PWD" >fakebin/curl
  chmod +x fakebin/curl
  PATH="$PWD/fakebin:$PATH" run --separate-stderr "$INSTALL" --version "$V" --to opt --sha256 "$SHA" \
    --repository acme/ciutils --downloader curl
  [ "$status" -eq 3 ]
  [ "$(cat url)" = "https://github.com/acme/ciutils/releases/download/v$V/$NAME.tar.gz" ]
  CIUTILS_REPOSITORY=other/fork PATH="$PWD/fakebin:$PATH" run "$INSTALL" --version "$V" --to opt --sha256 "$SHA" \
    --downloader curl
  [ "$(cat url)" = "https://github.com/other/fork/releases/download/v$V/$NAME.tar.gz" ]
  # A copy outside any checkout, not stamped by a release, has no repository to fall back on.
  cp "$INSTALL" ./install
  run --separate-stderr ./install --version "$V" --to opt --sha256 "$SHA"
  [ "$status" -eq 2 ]
  [ "$stderr" = "install: error: no --from and no repository to download from: pass --repository OWNER/REPO or --from" ]
  run --separate-stderr ./install --version "$V" --to opt --sha256 "$SHA" --repository "a/b/c"
  [ "$status" -eq 2 ] && [ "$stderr" = "install: error: --repository: 'a/b/c' is not OWNER/REPO" ]
}

@test "the script runs under a plain POSIX shell (dash and busybox sh)" {
  run --separate-stderr dash "$INSTALL" --version "$V" --to opt-dash --sha256 "$SHA" --from "$TARBALL"
  assert_success
  assert_output "$PWD/opt-dash/ciutils-$V/bin"
  run --separate-stderr busybox sh "$INSTALL" --version "$V" --to opt-busybox --sha256 "$SHA" --from "$TARBALL"
  assert_success
  assert_output "$PWD/opt-busybox/ciutils-$V/bin"
}
