#!/usr/bin/env bats
# cmake --install: programs in bin/ (with an optional name prefix), their man pages and bash
# completions under the same names, docs in share/doc/ciutils.

load helpers/common

setup() {
  common_setup
}

# The tool executables of this build (not the unit-test binaries).
built_tools() {
  local f
  for f in "$CIUTILS_BUILD_DIR"/bin/*; do
    case "$(basename "$f")" in *_test) ;; *) basename "$f" ;; esac
  done
}

@test "cmake --install puts every tool in bin/, its man page and completion in share/, the docs in share/doc/ciutils" {
  run cmake --install "$CIUTILS_BUILD_DIR" --prefix "$BATS_TEST_TMPDIR/usr"
  assert_success
  [ -f usr/share/doc/ciutils/README.md ]
  [ -f usr/share/doc/ciutils/exit-codes.md ]
  [ -f usr/share/doc/ciutils/schemas/result.schema.json ]
  [ -f usr/share/doc/ciutils/CHANGELOG.md ]
  for tool in $(built_tools); do
    [ -x "usr/bin/$tool" ] || fail "usr/bin/$tool missing"
    [ -f "usr/share/man/man1/$tool.1" ] || fail "usr/share/man/man1/$tool.1 missing"
    [ -f "usr/share/bash-completion/completions/$tool" ] || fail "completion of $tool missing"
  done
}

@test "CIUTILS_PROGRAM_PREFIX=ci- installs prefixed names" {
  run cmake -DCIUTILS_PROGRAM_PREFIX=ci- -DCMAKE_INSTALL_PREFIX="$BATS_TEST_TMPDIR/usr" \
    -P "$CIUTILS_BUILD_DIR/cmake_install.cmake"
  assert_success
  local count=0
  for tool in $(built_tools); do
    [ -x "usr/bin/ci-$tool" ] || fail "usr/bin/ci-$tool missing"
    [ ! -e "usr/bin/$tool" ] || fail "usr/bin/$tool installed without the prefix"
    [ -f "usr/share/man/man1/ci-$tool.1" ] || fail "man page ci-$tool.1 missing"
    [ -f "usr/share/bash-completion/completions/ci-$tool" ] || fail "completion ci-$tool missing"
    count=$((count + 1))
  done
  run "usr/bin/ci-$(built_tools | head -1)" --version
  assert_success
  assert_output --partial "(ciutils)"
}
