// Errors and exit codes shared by every tool (docs/exit-codes.md).
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ciutils {

enum class ExitCode : int {
  ok = 0,
  failed = 1,          // what was run or checked failed
  usage = 2,           // usage error or invalid input
  unavailable = 3,     // a service was unreachable or refused after retries
  refused = 4,         // integrity or safety refusal; nothing was published
  lock_conflict = 75,  // lock not acquired within --wait
  timeout = 124,       // a child timed out and was killed
  tool_failed = 125,   // the tool itself failed while running a child
  cannot_execute = 126,
  not_found = 127,
  interrupted = 130,
  terminated = 143,
};

constexpr int to_int(ExitCode code) { return static_cast<int>(code); }

// An error that carries the exit code the tool ends with.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
  ExitCode code() const { return m_code; }

private:
  ExitCode m_code;
};

// Bad flag, value, file or field: exit 2. The message names what is wrong.
struct UsageError : Error {
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

// A service (Redis, HTTP, SMTP) was unreachable or refused: exit 3.
struct ServiceError : Error {
  explicit ServiceError(const std::string& message) : Error(ExitCode::unavailable, message) {}
};

// Integrity or safety refusal (checksum, unsafe entry, budget): exit 4.
struct IntegrityError : Error {
  explicit IntegrityError(const std::string& message) : Error(ExitCode::refused, message) {}
};

// Runs body() and turns any exception into "tool: error: message" on err and its exit code:
// Error carries its own code, anything else is 125 (the tool itself failed).
// Every tool's main() is one call to this.
int guarded_main(std::string_view tool, std::ostream& err, int (*body)(int, char**), int argc,
                 char** argv);

}  // namespace ciutils
