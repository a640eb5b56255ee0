// Counts and orderings over one run's results, shared by summary, annotate, metrics
// and html.
#pragma once

#include "result.h"

#include <array>
#include <cstddef>
#include <vector>

namespace ciutils::report {

struct RunStats {
  std::array<std::size_t, 6> by_status{};  // indexed by Status
  std::size_t total = 0;
  double duration_s = 0;
  std::size_t count(Status s) const { return by_status[static_cast<std::size_t>(s)]; }
  std::size_t failures() const {
    return count(Status::failed) + count(Status::error) + count(Status::timeout);
  }
};

RunStats run_stats(const std::vector<TestResult>& results);

// Failures (error, timeout, failed: worst first, then input order), flaky, slowest.
std::vector<const TestResult*> failures_of(const std::vector<TestResult>& results);
std::vector<const TestResult*> with_status(const std::vector<TestResult>& results, Status status);
std::vector<const TestResult*> slowest(const std::vector<TestResult>& results, std::size_t n);

constexpr std::array<Status, 6> k_statuses{Status::passed, Status::failed, Status::error,
                                           Status::timeout, Status::skipped, Status::flaky};

}  // namespace ciutils::report
