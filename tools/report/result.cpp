#include "result.h"

#include <array>

namespace ciutils::report {

namespace {
constexpr std::array<std::pair<Status, const char*>, 6> k_names{{
    {Status::passed, "passed"},
    {Status::failed, "failed"},
    {Status::error, "error"},
    {Status::timeout, "timeout"},
    {Status::skipped, "skipped"},
    {Status::flaky, "flaky"},
}};
}  // namespace

std::optional<Status> parse_status(std::string_view text) {
  for (const auto& [status, name] : k_names) {
    if (text == name) {
      return status;
    }
  }
  return std::nullopt;
}

const char* rerun_element(Rerun::Kind kind) {
  switch (kind) {
    case Rerun::Kind::flaky_failure: return "flakyFailure";
    case Rerun::Kind::flaky_error: return "flakyError";
    case Rerun::Kind::rerun_failure: return "rerunFailure";
    case Rerun::Kind::rerun_error: return "rerunError";
  }
  return "flakyFailure";
}

const char* status_name(Status status) {
  for (const auto& [s, name] : k_names) {
    if (s == status) {
      return name;
    }
  }
  return "unknown";
}

int severity(Status status) {
  switch (status) {
    case Status::skipped: return 0;
    case Status::passed: return 1;
    case Status::flaky: return 2;
    case Status::failed: return 3;
    case Status::timeout: return 4;
    case Status::error: return 5;
  }
  return 0;
}

bool is_failure(Status status) {
  return status == Status::failed || status == Status::error || status == Status::timeout;
}

std::string test_id(const TestResult& result) { return result.classname + "::" + result.name; }

}  // namespace ciutils::report
