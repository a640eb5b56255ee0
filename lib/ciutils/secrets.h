// Secrets known to a process, replaced by "***" in anything it shows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

class Secrets {
public:
  // Remembers a secret (values shorter than 4 characters are too common to redact).
  void add(std::string value);
  // text with every known secret replaced by "***".
  std::string redact(std::string_view text) const;

private:
  std::vector<std::string> m_values;
};

// Replaces ${NAME} with the environment variable's value and records it in secrets.
// A missing or empty variable throws UsageError "<where>: ${NAME} is not set".
std::string expand_env(std::string_view text, std::string_view where, Secrets& secrets);

}  // namespace ciutils
