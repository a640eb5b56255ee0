// Run history in Redis: each run appended to capped streams (one for runs, one per
// test, an index of tests), read back as pass rate, flake rate and duration trend.
#pragma once

#include "result.h"

#include "ciutils/redis.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ciutils::report {

struct RunInfo {
  std::string run_id;
  std::string commit;
  std::string branch;
};

// --run-id / --commit / --branch, else the CI's variables (GitHub, GitLab, Jenkins),
// else the records' run_id, else the current time.
RunInfo run_info_from_env(const std::vector<TestResult>& results, RunInfo flags);

struct StoreOptions {
  std::size_t max_runs = 1000;        // entries kept in the runs stream (approximately)
  std::size_t max_per_test = 200;     // entries kept per test stream
  std::int64_t ttl_ms = 90LL * 24 * 3600 * 1000;  // a test not run for this long is forgotten
};

// Appends the run; one Lua script per batch of tests (time from Redis TIME).
void store_run(Redis& redis, const KeySpace& keys, const std::vector<TestResult>& results, const RunInfo& run,
               const StoreOptions& options);

struct HistoryPoint {
  std::int64_t at_ms = 0;
  std::string run_id;
  std::string commit;
  Status status = Status::passed;
  double duration_s = 0;
};

struct TestHistory {
  std::string id;  // classname::name
  std::vector<HistoryPoint> points;  // oldest first
};

struct HistoryStats {
  std::size_t runs = 0, passed = 0, failed = 0, flaky = 0, skipped = 0;
  double pass_rate = 0;   // (passed + flaky) / runs that were not skipped
  double flake_rate = 0;  // flaky / runs that were not skipped
  double mean_duration = 0;
  double trend = 0;  // mean duration of the newer half over the older half, minus 1
  std::size_t flips = 0;  // times the outcome changed between passing and failing, run to run
};

HistoryStats history_stats(const TestHistory& history);

// Each suite (classname) of a run with its worst outcome (by severity): what the run
// counts as for that suite in the finished-runs counters.
std::vector<std::pair<std::string, Status>> suite_outcomes(const std::vector<TestResult>& results);

// Runs of a suite finished with a status, counted by 'report store' since the counters were
// last idle for the --ttl (<ns>:{report}:finished, field "status:suite").
struct FinishedRuns {
  std::string suite;
  Status status = Status::passed;
  std::uint64_t count = 0;
};
std::vector<FinishedRuns> load_finished(Redis& redis, const KeySpace& keys);  // by suite, then status

struct RunPoint {
  std::string id;  // the entry's id in the runs stream ("1764633600123-0"): later runs sort after
  std::int64_t at_ms = 0;
  std::string run_id, commit, branch;
  std::size_t tests = 0, failures = 0, flaky = 0, skipped = 0;
  double duration_s = 0;
};

// The last `last` runs, oldest first.
std::vector<RunPoint> load_runs(Redis& redis, const KeySpace& keys, std::size_t last);

// The runs stream (<ns>:{report}:runs): one entry per stored run, added once all of the
// run's results are stored.
std::string runs_key(const KeySpace& keys);
// One entry of the runs stream as XRANGE / XREAD return it: [id, [field, value, ...]].
RunPoint run_point_of(const Reply& entry);

// The order of `report history`'s tests.
enum class HistorySort {
  flaky,     // highest flake rate first, then most flips between passing and failing
  failures,  // most failed, errored or timed-out runs first
  recent,    // most recently run first
  name,      // by classname::name
};
HistorySort parse_history_sort(std::string_view text);  // UsageError naming --sort

// Sorts histories given most recently run first; ties keep that order.
void sort_histories(std::vector<TestHistory>& histories, HistorySort sort);

// Every stored test id (classname::name), most recently run first.
std::vector<std::string> stored_test_ids(Redis& redis, const KeySpace& keys);

// The last `last` results of each of `ids` (tests with none are left out), in the order given.
std::vector<TestHistory> read_histories(Redis& redis, const KeySpace& keys, const std::vector<std::string>& ids,
                                        std::size_t last);

// The last `last` results of each test, the first `max_tests` tests in `sort` order
// (every stored test is read unless the order is recent); with `test` only that one
// ("classname::name", or a name matched against every classname).
std::vector<TestHistory> load_history(Redis& redis, const KeySpace& keys, std::size_t last, std::size_t max_tests,
                                      const std::optional<std::string>& test, HistorySort sort = HistorySort::recent);

}  // namespace ciutils::report
