#!/usr/bin/env bats
# The portable release tarball (scripts/package tarball): its layout, that it needs nothing
# but glibc <= 2.36 from the target, that it is reproducible, and the release steps
# (scripts/release) that publish it.

load helpers/common
load helpers/package

setup_file() {
  package_releasable || return 0
  # The release steps, as .github/workflows/release.yml runs them: tarball, .deb, checksums,
  # the stamped install script and the notes, in dist/.
  DIST="$BATS_FILE_TMPDIR/dist"
  "$CIUTILS_SOURCE_DIR/scripts/release" "v$VERSION" --build-dir "$CIUTILS_BUILD_DIR" --out "$DIST" \
    --repository acme/ciutils >"$BATS_FILE_TMPDIR/release.out"
  NAME="ciutils-$VERSION-linux-$(uname -m)"
  TARBALL="$DIST/$NAME.tar.gz"
  export DIST NAME TARBALL
  UNPACKED="$BATS_FILE_TMPDIR/unpacked"
  mkdir -p "$UNPACKED"
  tar -xzf "$TARBALL" -C "$UNPACKED"
  export UNPACKED
}

setup() {
  common_setup
  package_setup
  ROOT="$UNPACKED/$NAME"
}

# Every ELF file in the tarball.
elf_files() {
  /usr/bin/python3 -c '
import os, sys
for top, _, files in os.walk(sys.argv[1]):
    for name in files:
        path = os.path.join(top, name)
        if not os.path.islink(path) and open(path, "rb").read(4) == b"\x7fELF":
            print(path)' "$ROOT"
}

@test "the tarball is named after the version and has a sha256 file that checks" {
  [ -f "$TARBALL" ]
  [[ "$(basename "$TARBALL")" == "ciutils-$VERSION-linux-x86_64.tar.gz" ]]
  run cat "$TARBALL.sha256"
  assert_output "$(cd "$(dirname "$TARBALL")" && sha256sum "$(basename "$TARBALL")")"
  (cd "$(dirname "$TARBALL")" && sha256sum -c "$(basename "$TARBALL").sha256")
}

@test "one top directory with bin, lib, man pages, completions, zoneinfo and docs; root-owned entries" {
  # Nothing beside the top directory.
  run sh -c "tar -tzf '$TARBALL' | grep -v '^$NAME/'"
  assert_output ""
  for tool in "${TOOLS[@]}"; do
    [ -x "$ROOT/bin/$tool" ] || fail "bin/$tool missing"
    [ -f "$ROOT/share/man/man1/$tool.1" ] || fail "man page of $tool missing"
    [ -f "$ROOT/share/bash-completion/completions/$tool" ] || fail "completion of $tool missing"
  done
  for lib in libcurl.so.4 libarchive.so.13 libcrypto.so.3 libssl.so.3 libhiredis.so.0.14 libstdc++.so.6; do
    [ -f "$ROOT/lib/$lib" ] || fail "lib/$lib missing"
  done
  [ -f "$ROOT/share/zoneinfo/Europe/Berlin" ]
  [ ! -e "$ROOT/share/zoneinfo/right" ]
  [ -f "$ROOT/share/doc/ciutils/README.md" ]
  [ -f "$ROOT/share/doc/ciutils/CHANGELOG.md" ]
  [ -f "$ROOT/share/doc/ciutils/third-party/libcurl4.copyright" ]
  run sh -c "tar -tvzf '$TARBALL' | awk '{print \$2}' | sort -u"
  assert_output "0/0"
}

@test "every tool prints the project version" {
  for tool in "${TOOLS[@]}"; do
    run "$ROOT/bin/$tool" --version
    assert_success
    assert_output "$tool (ciutils) $VERSION"
  done
}

@test "no library of the tarball is glibc's, and each is found in lib/ (ldd, readelf)" {
  local glibc
  glibc="$(dpkg-query -L libc6 | sed -n 's|.*/||p' | sort -u)"
  for lib in "$ROOT"/lib/*; do
    grep -qxF "$(basename "$lib")" <<<"$glibc" && fail "$(basename "$lib") is glibc's and must not be bundled"
  done
  for tool in "${TOOLS[@]}"; do
    run readelf -d "$ROOT/bin/$tool"
    assert_line --regexp '\(RPATH\) +Library rpath: \[\$ORIGIN/\.\./lib\]'
  done
  # Everything the programs and the bundled libraries need resolves to lib/ or to glibc.
  local f dep path
  for f in "$ROOT"/bin/* "$ROOT"/lib/*; do
    while read -r dep path; do
      [ -n "$path" ] || fail "$(basename "$f") needs $dep, which is nowhere"
      case "$(readlink -f "$path")" in
        "$ROOT/lib/"*) ;;
        *) grep -qxF "$dep" <<<"$glibc" || fail "$(basename "$f") loads $dep from $path, outside the tarball" ;;
      esac
    done < <(LD_LIBRARY_PATH="$ROOT/lib" ldd "$f" | awk '$2 == "=>" { print $1, ($3 ~ /^\// ? $3 : "") }')
  done
}

@test "no ELF file needs a glibc newer than 2.36 (objdump -T)" {
  local f newest=""
  while read -r f; do
    newest="$( { echo "$newest"; objdump -T "$f" | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//'; } | sort -V | tail -1)"
  done < <(elf_files)
  [ -n "$newest" ]
  echo "newest glibc version needed: $newest"
  [ "$(printf '%s\n' "$newest" 2.36 | sort -V | tail -1)" = "2.36" ] || fail "GLIBC_$newest > 2.36"
}

@test "the same build packaged again gives the same bytes (another time, umask and directory)" {
  local again="$BATS_TEST_TMPDIR/again"
  (umask 077 && cd / && "$CIUTILS_SOURCE_DIR/scripts/package" tarball --build-dir "$CIUTILS_BUILD_DIR" --out "$again" >/dev/null)
  [ "$(sha256sum <"$TARBALL")" = "$(sha256sum <"$again/$NAME.tar.gz")" ]
  run cat "$again/$NAME.tar.gz.sha256"
  assert_output "$(cat "$TARBALL.sha256")"
}

@test "every entry's time is SOURCE_DATE_EPOCH, by default the last commit's time" {
  local epoch
  epoch="$(git -C "$CIUTILS_SOURCE_DIR" log -1 --format=%ct)"
  run sh -c "TZ=UTC tar -tvzf '$TARBALL' --full-time | awk '{print \$4, \$5}' | sort -u"
  assert_output "$(TZ=UTC date -d "@$epoch" '+%Y-%m-%d %H:%M:%S')"
}

@test "scripts/install installs the real tarball and its tools run" {
  local sha
  sha="$(cut -d' ' -f1 "$TARBALL.sha256")"
  run --separate-stderr "$CIUTILS_SOURCE_DIR/scripts/install" --version "$VERSION" --to opt --sha256 "$sha" --from "$TARBALL"
  assert_success
  assert_output "$PWD/opt/ciutils-$VERSION/bin"
  run env -i "$PWD/opt/ciutils-$VERSION/bin/schedule" next --cron "0 9 * * *" --timezone Asia/Tokyo -n 1 \
    --now 2026-06-30T12:00:00Z
  assert_success
  assert_line "  2026-07-01 09:00:00 JST   2026-07-01T00:00:00Z"
}

@test "scripts/release: the four release files, the stamped install script and the notes" {
  run cat "$BATS_FILE_TMPDIR/release.out"
  assert_output "$(printf '%s\n' "ciutils-$VERSION-linux-x86_64.tar.gz" "ciutils-$VERSION-linux-x86_64.tar.gz.sha256" \
    "ciutils_${VERSION}_amd64.deb" "ciutils_${VERSION}_amd64.deb.sha256" install release-notes.md)"
  (cd "$DIST" && sha256sum -c ./*.sha256)
  grep -qx 'RELEASED_FROM_REPOSITORY="acme/ciutils"' "$DIST/install"
  sh -n "$DIST/install"
  # The notes are the version's CHANGELOG section, without its heading or the next one's.
  [ -s "$DIST/release-notes.md" ]
  run grep -c '^## ' "$DIST/release-notes.md"
  assert_output "0"
  run grep -c '^### Added' "$DIST/release-notes.md"
  assert_output "1"
}

@test "the release's install script downloads from its repository's release by default" {
  mkdir -p fakebin
  printf '#!/bin/sh\nfor a; do last="$a"; done; echo "$last" >"%s/url"; exit 22\n' "$PWD" >fakebin/curl
  chmod +x fakebin/curl
  cp "$DIST/install" ./install
  PATH="$PWD/fakebin:$PATH" run ./install --version "$VERSION" --to opt --sha256 "$(printf '%064d' 0)" --downloader curl
  [ "$status" -eq 3 ]
  [ "$(cat url)" = "https://github.com/acme/ciutils/releases/download/v$VERSION/$NAME.tar.gz" ]
}

@test "scripts/release refuses a tag that is not the project version, naming both" {
  run --separate-stderr "$CIUTILS_SOURCE_DIR/scripts/release" v99.0.0 --build-dir "$CIUTILS_BUILD_DIR" --out dist \
    --repository acme/ciutils
  [ "$status" -eq 2 ]
  [ "$stderr" = "release: error: tag 'v99.0.0' does not match the project version $VERSION (CMakeLists.txt): tag v$VERSION" ]
  [ ! -e dist ]
}
