# Shared by the release-package suites: each makes the packages it needs from the build under
# test with scripts/package (nothing is compiled) into its own $BATS_FILE_TMPDIR/dist.
TOOLS=(fetch lockctl notify prun report schedule)

# package_skip_unless_releasable: in setup_file. Releases are made from the normal build of
# every tool; a sanitizer build (which needs its runtime and /proc) or a build of some tools
# is not one.
package_skip_unless_releasable() {
  if grep -q '^CIUTILS_SANITIZE:BOOL=ON' "$CIUTILS_BUILD_DIR/CMakeCache.txt"; then
    skip "release packages are made from the normal build, not a sanitizer build"
  fi
  local tool
  for tool in "${TOOLS[@]}"; do
    [ -x "$CIUTILS_BUILD_DIR/bin/$tool" ] || skip "release packages need every tool built ($tool is not)"
  done
  VERSION="$(cat "$CIUTILS_BUILD_DIR/version")"
  export VERSION
}

# make_tarball [OUT_DIR]: the tarball of this build; exports TARBALL and NAME.
make_tarball() {
  local out="${1:-$BATS_FILE_TMPDIR/dist}"
  NAME="ciutils-$VERSION-linux-$(uname -m)"
  TARBALL="$out/$NAME.tar.gz"
  "$CIUTILS_SOURCE_DIR/scripts/package" tarball --build-dir "$CIUTILS_BUILD_DIR" --out "$out" >/dev/null
  export NAME TARBALL
}
