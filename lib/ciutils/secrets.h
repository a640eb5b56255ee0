// Secrets known to a process, replaced by "***" in anything it shows, in every form they
// are written in: as they are, JSON-escaped (once or twice, as JSON inside JSON),
// percent-encoded, and base64-encoded at any offset (as in an HTTP Basic credential).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

class Secrets {
public:
  // Remembers a secret and its encoded forms (values shorter than 4 characters are too
  // common to redact; base64 forms only when they are at least 8 characters long).
  void add(std::string value);
  // text with every known secret replaced by "***".
  std::string redact(std::string_view text) const;

private:
  void add_form(std::string form);

  std::vector<std::string> m_values;
};

// Replaces ${NAME} with the environment variable's value and records it in secrets. One
// trailing newline (LF or CRLF) is dropped from the value, as pasted secrets often carry
// one. A missing or empty variable throws UsageError "<where>: ${NAME} is not set".
std::string expand_env(std::string_view text, std::string_view where, Secrets& secrets);

}  // namespace ciutils
