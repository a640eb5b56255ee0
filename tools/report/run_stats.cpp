#include "run_stats.h"

#include <algorithm>

namespace ciutils::report {

RunStats run_stats(const std::vector<TestResult>& results) {
  RunStats s;
  for (const auto& r : results) {
    s.by_status[static_cast<std::size_t>(r.status)] += 1;
    s.total += 1;
    s.duration_s += r.duration_s;
  }
  return s;
}

std::vector<const TestResult*> failures_of(const std::vector<TestResult>& results) {
  std::vector<const TestResult*> out;
  for (const auto& r : results) {
    if (is_failure(r.status)) out.push_back(&r);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TestResult* a, const TestResult* b) { return severity(a->status) > severity(b->status); });
  return out;
}

std::vector<const TestResult*> with_status(const std::vector<TestResult>& results, Status status) {
  std::vector<const TestResult*> out;
  for (const auto& r : results) {
    if (r.status == status) out.push_back(&r);
  }
  return out;
}

std::vector<const TestResult*> slowest(const std::vector<TestResult>& results, std::size_t n) {
  std::vector<const TestResult*> out;
  for (const auto& r : results) {
    if (r.status != Status::skipped) out.push_back(&r);
  }
  std::size_t k = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(),
                    [](const TestResult* a, const TestResult* b) { return a->duration_s > b->duration_s; });
  out.resize(k);
  return out;
}

}  // namespace ciutils::report
