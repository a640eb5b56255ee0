#!/usr/bin/env bats
# The Debian package (scripts/package deb, CPack's DEB generator with dpkg-shlibdeps): its
# metadata, man pages and completions, and an install, use and clean removal with dpkg in a
# scratch root (dpkg --root), so this machine's own system is left alone.

load helpers/common
load helpers/package

setup_file() {
  package_releasable || return 0
  "$CIUTILS_SOURCE_DIR/scripts/package" deb --build-dir "$CIUTILS_BUILD_DIR" --out "$BATS_FILE_TMPDIR/dist" >/dev/null
  DEB="$BATS_FILE_TMPDIR/dist/ciutils_${VERSION}_amd64.deb"
  export DEB
}

setup() {
  common_setup
  package_setup
}

# An empty dpkg database under DIR.
scratch_root() {
  mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates"
  : >"$1/var/lib/dpkg/status"
  : >"$1/var/lib/dpkg/available"
}

@test "the package is named after the version, with a sha256 file that checks" {
  [ -f "$DEB" ]
  (cd "$(dirname "$DEB")" && sha256sum -c "$(basename "$DEB").sha256")
  run dpkg-deb -f "$DEB" Package Version Architecture
  assert_output "$(printf 'Package: ciutils\nVersion: %s\nArchitecture: amd64' "$VERSION")"
}

@test "Depends: what dpkg-shlibdeps found plus the libraries loaded on first use; all on this system" {
  run dpkg-deb -f "$DEB" Depends
  assert_success
  for dep in libc6 libstdc++6 libhiredis0.14 libboost-json1.81.0 libcurl4 libarchive13 libssl3; do
    [[ "$output" == *"$dep "* || "$output" == *"$dep," || "$output" == *"$dep" ]] || fail "Depends lacks $dep: $output"
  done
  local dep
  for dep in $(tr ',' '\n' <<<"${output#Depends: }" | sed 's/(.*//; s/|.*//' | tr -d ' '); do
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" || fail "$dep is not installed here"
  done
}

@test "the package holds the tools, man pages, completions and docs under /usr" {
  run dpkg-deb -c "$DEB"
  for tool in "${TOOLS[@]}"; do
    assert_line --regexp " \./usr/bin/$tool\$"
    assert_line --regexp " \./usr/share/man/man1/$tool\.1\$"
    assert_line --regexp " \./usr/share/bash-completion/completions/$tool\$"
  done
  assert_line --regexp " \./usr/share/doc/ciutils/README\.md\$"
  assert_line --regexp " \./usr/share/doc/ciutils/CHANGELOG\.md\$"
  refute_line --regexp "_test\$"
}

@test "dpkg installs it into a scratch root, the tools run, and removal leaves nothing" {
  local root="$BATS_TEST_TMPDIR/root"
  scratch_root "$root"
  # The scratch root's database knows none of the dependencies (checked above on this system).
  run dpkg --root="$root" --force-depends --force-not-root -i "$DEB"
  assert_success
  run dpkg --root="$root" -s ciutils
  assert_line "Status: install ok installed"
  for tool in "${TOOLS[@]}"; do
    run "$root/usr/bin/$tool" --version
    assert_output "$tool (ciutils) $VERSION"
  done
  run "$root/usr/bin/schedule" next --cron "30 2 * * *" --timezone Europe/Berlin -n 1 --now 2026-03-28T12:00:00Z
  assert_line "  2026-03-29 03:00:00 CEST   2026-03-29T01:00:00Z"
  grep -q '^\.SH NAME$' "$root/usr/share/man/man1/lockctl.1"
  run dpkg --root="$root" --force-depends -r ciutils
  assert_success
  run find "$root" -mindepth 1 -not -path "$root/var/lib/dpkg*" -not -type d
  assert_output ""
}

@test "the man pages carry each subcommand's --help" {
  local dir="$BATS_TEST_TMPDIR/x"
  dpkg-deb -x "$DEB" "$dir"
  grep -q '^\.SS "lockctl acquire"' "$dir/usr/share/man/man1/lockctl.1"
  grep -q '^\.SS "schedule work"' "$dir/usr/share/man/man1/schedule.1"
  grep -q '^\.SS "fetch put"' "$dir/usr/share/man/man1/fetch.1"
  grep -q '^\.SS "report junit"' "$dir/usr/share/man/man1/report.1"
  grep -q '^\.TH PRUN 1 "" "prun (ciutils) '"$VERSION"'"' "$dir/usr/share/man/man1/prun.1"
}
