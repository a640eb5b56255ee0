# Shared by the fetch suites: the fault-injecting HTTP server, archive builders and the
# "nothing published, nothing left behind" checks.
load helpers/servers
bats_require_minimum_version 1.5.0

PY=/usr/bin/python3
FETCH_HELPERS="$CIUTILS_SOURCE_DIR/tests/helpers"

# In setup_file: one server for the whole file, serving $FETCH_ROOT/files.
fetch_start_server() {
  FETCH_ROOT="$BATS_FILE_TMPDIR/www"
  mkdir -p "$FETCH_ROOT/files"
  export FETCH_ROOT
  start_server fetch-http "$PY" "$FETCH_HELPERS/fetch_server.py" "$FETCH_ROOT"
  export BASE="http://127.0.0.1:$FETCH_HTTP_PORT"
}

# What a fetch suite names in `setup_file() { suite_start ...; }` (helpers/suite.bash): the
# server above, and suite.tgz, the ordinary archive several files fetch, made once per file.
start_fetch_http() { fetch_start_server; }
start_fetch_suite() { BATS_TEST_TMPDIR="$BATS_FILE_TMPDIR" make_suite suite.tgz; }

# make_archive KIND NAME [ARG]: a hostile or plain archive in $FETCH_ROOT/files/NAME.
make_archive() {
  "$PY" "$FETCH_HELPERS/fetch_archives.py" "$1" "$FETCH_ROOT/files/$2" "${3:-}"
}

# make_suite NAME: a small ordinary test suite as $FETCH_ROOT/files/NAME (.tar.gz).
make_suite() {
  local src="$BATS_TEST_TMPDIR/suite-src"
  rm -rf "$src"
  mkdir -p "$src/suite/bin" "$src/suite/data"
  echo '{"steps":[]}' >"$src/suite/plan.json"
  printf '#!/bin/sh\necho ok\n' >"$src/suite/bin/run.sh"
  chmod 755 "$src/suite/bin/run.sh"
  head -c 300000 /dev/urandom >"$src/suite/data/blob.bin"
  ln -s ../plan.json "$src/suite/bin/plan.json"
  touch -d '2024-01-02 03:04:05 UTC' "$src/suite/plan.json"
  tar -C "$src" -czf "$FETCH_ROOT/files/$1" suite
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# No staging directory or file left beside DEST (default: the test dir).
assert_no_staging() {
  local dir="${1:-$BATS_TEST_TMPDIR}"
  local left
  left="$(find "$dir" -maxdepth 1 -name '.*.fetch-*')"
  [ -z "$left" ] || {
    echo "staging left behind: $left" >&2
    return 1
  }
}

# DEST does not exist (nothing published).
assert_not_published() {
  [ ! -e "$1" ] || {
    echo "$1 was published" >&2
    return 1
  }
  assert_no_staging "$(dirname "$1")"
}

requests_for() { grep -c " $1 " "$FETCH_ROOT/requests.log" || true; }
