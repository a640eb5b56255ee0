// One self-contained HTML page (inline CSS, JS and SVG; a Content-Security-Policy
// that allows no network): overview, failures with output, a durations chart, every
// test, and with history the pass rate and duration over the last runs per test.
#pragma once

#include "history.h"
#include "result.h"

#include <string>
#include <vector>

namespace ciutils::report {

struct HtmlOptions {
  std::string title = "Test report";
  std::string generated_at;  // shown in the footer
  bool with_history = false;
  std::vector<RunPoint> runs;
  std::vector<TestHistory> history;
};

std::string render_html(const std::vector<TestResult>& results, const HtmlOptions& options);

}  // namespace ciutils::report
