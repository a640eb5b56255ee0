# Headless Debian chromium for report's HTML tests: report_dump_dom FILE writes the
# DOM after scripts ran to $BATS_TEST_TMPDIR/dom.html and the browser's log (console
# messages appear as INFO:CONSOLE lines) to $BATS_TEST_TMPDIR/browser.log.

report_chromium_flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --enable-logging=stderr --v=0)

report_browser() {
  if ! command -v chromium >/dev/null; then
    echo "chromium is not installed (scripts/deps/report.apt lists it)" >&2
    return 1
  fi
  local profile
  profile="$(mktemp -d "$BATS_TEST_TMPDIR/chromium.XXXXXX")"
  timeout 120 chromium "${report_chromium_flags[@]}" --user-data-dir="$profile" "$@" 3>&-
}

report_dump_dom() {
  report_browser --dump-dom "file://$(realpath "$1")" >"$BATS_TEST_TMPDIR/dom.html" 2>"$BATS_TEST_TMPDIR/browser.log"
}

# The page ran its scripts to the end and logged no console message or error.
assert_page_clean() {
  grep -q 'data-report-ready="1"' "$BATS_TEST_TMPDIR/dom.html" || {
    echo "the page's script did not finish" >&2
    return 1
  }
  if grep -q 'id="report-js-error"' "$BATS_TEST_TMPDIR/dom.html"; then
    grep -o '<div id="report-js-error">[^<]*' "$BATS_TEST_TMPDIR/dom.html" >&2
    return 1
  fi
  if grep -q 'CONSOLE' "$BATS_TEST_TMPDIR/browser.log"; then
    grep 'CONSOLE' "$BATS_TEST_TMPDIR/browser.log" >&2
    return 1
  fi
}
