# Shared by the release-package suites: each makes the packages it needs from the build under
# test with scripts/package (nothing is compiled) into its own $BATS_FILE_TMPDIR/dist.
TOOLS=(fetch lockctl notify prun report schedule)

# package_releasable: in setup_file, as `package_releasable || return 0`. Releases are made
# from the normal build of every tool; a sanitizer build (which needs its runtime and /proc)
# or a build of some tools is not one. Then PACKAGE_SKIP says why, and package_setup skips
# each test (bats 1.8 cannot skip from setup_file).
package_releasable() {
  PACKAGE_SKIP=""
  local tool
  if grep -q '^CIUTILS_SANITIZE:BOOL=ON' "$CIUTILS_BUILD_DIR/CMakeCache.txt"; then
    PACKAGE_SKIP="release packages are made from the normal build, not a sanitizer build"
  else
    for tool in "${TOOLS[@]}"; do
      [ -x "$CIUTILS_BUILD_DIR/bin/$tool" ] || { PACKAGE_SKIP="release packages need every tool built ($tool is not)"; break; }
    done
  fi
  export PACKAGE_SKIP
  [ -z "$PACKAGE_SKIP" ] || return 1
  VERSION="$(cat "$CIUTILS_BUILD_DIR/version")"
  export VERSION
}

# package_setup: in setup, after common_setup.
package_setup() {
  [ -z "${PACKAGE_SKIP:-}" ] || skip "$PACKAGE_SKIP"
}

# make_tarball [OUT_DIR]: the tarball of this build; exports TARBALL and NAME.
make_tarball() {
  local out="${1:-$BATS_FILE_TMPDIR/dist}"
  NAME="ciutils-$VERSION-linux-$(uname -m)"
  TARBALL="$out/$NAME.tar.gz"
  "$CIUTILS_SOURCE_DIR/scripts/package" tarball --build-dir "$CIUTILS_BUILD_DIR" --out "$out" >/dev/null
  export NAME TARBALL
}
