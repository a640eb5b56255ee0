#include "ciutils/secrets.h"

#include "ciutils/error.h"

#include <algorithm>
#include <cstdlib>

namespace ciutils {

void Secrets::add(std::string value) {
  if (value.size() < 4 || std::find(m_values.begin(), m_values.end(), value) != m_values.end()) {
    return;
  }
  m_values.push_back(std::move(value));
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(m_values.begin(), m_values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Secrets::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : m_values) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

std::string expand_env(std::string_view text, std::string_view where, Secrets& secrets) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t start = text.find("${", pos);
    if (start == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, start - pos));
    std::size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) {
      throw UsageError(std::string(where) + ": unterminated ${ in '" + secrets.redact(text) + "'");
    }
    std::string name(text.substr(start + 2, end - start - 2));
    bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
    if (!valid) {
      throw UsageError(std::string(where) + ": invalid variable name '${" + name + "}'");
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      throw UsageError(std::string(where) + ": ${" + name + "} is not set");
    }
    secrets.add(value);
    out.append(value);
    pos = end + 1;
  }
  return out;
}

}  // namespace ciutils
