# Shared by the report_*.bats suites: fixtures, golden files and JUnit schema checks.
bats_require_minimum_version 1.5.0

# The JUnit XSDs are vendored in tests/fixtures/schemas (sources and licences in its
# README.md); a missing schema fails the suite (it never skips).

REPORT_FIXTURES="$CIUTILS_SOURCE_DIR/tests/fixtures/report"
REPORT_GOLDEN="$REPORT_FIXTURES/golden"
REPORT_SCHEMAS="$CIUTILS_SOURCE_DIR/tests/fixtures/schemas"

report_check_schemas() {
  local xsd
  for xsd in jenkins-junit.xsd junit-10.xsd; do
    if [ ! -f "$REPORT_SCHEMAS/$xsd" ]; then
      echo "missing JUnit schema $REPORT_SCHEMAS/$xsd" >&2
      return 1
    fi
  done
}

# assert_junit_valid FILE [SCHEMA...]: xmllint --schema against each (default: both).
assert_junit_valid() {
  local file="$1"
  shift
  local schemas=("$@")
  [ "${#schemas[@]}" -gt 0 ] || schemas=(jenkins-junit junit-10)
  report_check_schemas || return 1
  local xsd
  for xsd in "${schemas[@]}"; do
    xmllint --noout --schema "$REPORT_SCHEMAS/$xsd.xsd" "$file" 2>"$BATS_TEST_TMPDIR/xmllint.err" || {
      cat "$BATS_TEST_TMPDIR/xmllint.err" >&2
      echo "$file does not validate against $xsd.xsd" >&2
      return 1
    }
  done
}

# Replaces what changes between runs (time of day, host name) by fixed words.
report_normalise() {
  sed -E -e 's/timestamp="[^"]*"/timestamp="TIMESTAMP"/g' -e 's/hostname="[^"]*"/hostname="HOST"/g' \
    -e 's/^(ciutils_report_last_run_timestamp_seconds) .*/\1 NOW/' \
    -e 's/ · [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z<\/footer>/ · NOW<\/footer>/' "$1"
}

# assert_golden FILE NAME: FILE (normalised) equals golden/NAME. REPORT_UPDATE_GOLDEN=1
# rewrites the golden file instead.
assert_golden() {
  local file="$1" name="$2"
  if [ "${REPORT_UPDATE_GOLDEN:-}" = 1 ]; then
    report_normalise "$file" >"$REPORT_GOLDEN/$name"
    return 0
  fi
  report_normalise "$file" >"$BATS_TEST_TMPDIR/normalised"
  diff -u "$REPORT_GOLDEN/$name" "$BATS_TEST_TMPDIR/normalised" >&2 || {
    echo "$file differs from golden/$name (REPORT_UPDATE_GOLDEN=1 rewrites it)" >&2
    return 1
  }
}

# Servers for helpers/suite's suite_start (suite.bash stops them after the file).
# small_stream_redis: small stream nodes, so that MAXLEN ~ trims within a few entries.
start_small_stream_redis() { start_redis --stream-node-max-entries 4; }
reset_small_stream_redis() { flush_redis; }

# pushgateway: a Pushgateway stand-in that records each request under $BATS_FILE_TMPDIR/requests.
start_pushgateway() {
  mkdir -p "$BATS_FILE_TMPDIR/requests"
  start_server pushgateway /usr/bin/python3 "$CIUTILS_SOURCE_DIR/tests/helpers/report_pushgateway.py" \
    "$BATS_FILE_TMPDIR/requests"
}
reset_pushgateway() { rm -f "$BATS_FILE_TMPDIR"/requests/*; }
