// One self-contained HTML page (inline CSS, JS and SVG; a Content-Security-Policy
// that allows no network): overview, failures with output, a durations chart, every
// test, and with history the pass rate and duration over the last runs per test.
#pragma once

#include "history.h"
#include "result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ciutils::report {

struct HtmlOptions {
  std::string title = "Test report";
  std::string generated_at;  // shown in the footer
  bool with_history = false;
  std::vector<RunPoint> runs;
  std::vector<TestHistory> history;
  // report serve: the page reloads itself every refresh_s seconds (0: never), links back to
  // `home` (when not empty) and lists `suites`, each linking to its own page.
  int refresh_s = 0;
  // report serve: the page watches these server-sent events and reloads on a run event; the
  // refresh above is then what a browser without JavaScript (or EventSource) does instead.
  std::string events;
  std::string home;
  struct SuiteRow {
    std::string name;
    std::string href;
    std::size_t tests = 0, failing = 0, flaky = 0;
    std::uint64_t runs = 0, failed_runs = 0;  // finished runs stored, and those with a failure
    std::int64_t last_ms = 0;                 // newest result (Unix ms)
  };
  std::vector<SuiteRow> suites;
};

std::string render_html(const std::vector<TestResult>& results, const HtmlOptions& options);

}  // namespace ciutils::report
