// One test's outcome, whatever format it was read from.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

enum class Status { passed, failed, error, timeout, skipped, flaky };

// "passed" … "flaky"; nullopt for anything else.
std::optional<Status> parse_status(std::string_view text);
const char* status_name(Status status);

// Higher is worse: error > timeout > failed > flaky > passed > skipped.
int severity(Status status);

// The longest duration a result may carry (about 31,700 years): what every reader accepts,
// so that whatever report writes, report reads back.
constexpr double k_max_duration_s = 1e12;

// Failed, error or timeout: what makes a run red.
bool is_failure(Status status);

// One other run of a test as Surefire records it (rerunFailingTestsCount): flakyFailure /
// flakyError when the test passed in the end, rerunFailure / rerunError when it never did.
struct Rerun {
  enum class Kind { flaky_failure, flaky_error, rerun_failure, rerun_error };
  Kind kind = Kind::flaky_failure;
  std::string type;
  std::string message;
  std::string stack_trace;
  std::string stdout_text;
  std::string stderr_text;
};

// "flakyFailure" … "rerunError".
const char* rerun_element(Rerun::Kind kind);

struct TestResult {
  std::string name;
  std::string classname;
  std::string suite;  // the testsuite it was read from (JUnit input); empty otherwise
  Status status = Status::passed;
  double duration_s = 0;
  std::string message;
  std::string details;     // failure/error body as read from JUnit XML; empty otherwise
  std::string fault_type;  // failure/error type attribute as read from JUnit XML
  std::string stdout_tail;
  std::string stderr_tail;
  std::string started_at;  // ISO 8601, may be empty
  std::string host;
  std::string run_id;
  std::string file;  // source file of the test, when known (annotations)
  long line = 0;
  int attempts = 1;
  std::vector<Rerun> reruns;  // as read from JUnit XML, in order; empty otherwise
};

// classname + "::" + name: the identity of a test across runs and files.
std::string test_id(const TestResult& result);

}  // namespace ciutils::report
