// 'report serve''s pages and JSON, from what was read out of Redis: the overview of every
// suite, one page per suite with each test's history and flakiness, and /api/runs.
#pragma once

#include "history.h"
#include "result.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

struct PageOptions {
  std::string title = "Test dashboard";
  std::string generated_at;  // shown in the footer
  int refresh_s = 10;        // the page reloads itself (0: never)
  std::string events;        // with JavaScript, the page reloads on this address's run events instead
};

// Each history's newest result as a result record (name and classname from its id).
std::vector<TestResult> latest_results(const std::vector<TestHistory>& histories);

// The overview: a table of suites linking to their pages, the pass rate over the last
// runs, and every test's newest result. `latest`: each test's newest result.
std::string render_overview(const std::vector<TestHistory>& latest, const std::vector<FinishedRuns>& finished,
                            const std::vector<RunPoint>& runs, const PageOptions& options);

// One suite: its tests' newest results, flaky tests and each test's last runs.
// `histories`: the suite's tests, most recently run first.
std::string render_suite_page(std::string_view suite, const std::vector<TestHistory>& histories,
                              const PageOptions& options);

// /suite/<suite, percent-encoded>
std::string suite_path(std::string_view suite);

// {"runs":[{"run_id","at","commit","branch","tests","failures","flaky","skipped","duration_s"}]},
// oldest first.
std::string runs_json(const std::vector<RunPoint>& runs);
// One run of runs_json: {"run_id",…,"duration_s"}.
std::string run_json(const RunPoint& run);

}  // namespace ciutils::report
