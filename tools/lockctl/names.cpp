#include "names.h"

#include "ciutils/error.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace ciutils::lockctl {

namespace {
constexpr std::size_t k_max_name = 128;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
}  // namespace

void validate_name(std::string_view name, std::string_view what) {
  if (name.empty()) {
    throw UsageError(std::string(what) + ": empty name");
  }
  if (name.size() > k_max_name) {
    throw UsageError(std::string(what) + ": '" + std::string(name.substr(0, 20)) +
                     "…' is longer than 128 characters");
  }
  for (char c : name) {
    if (!name_char(c)) {
      throw UsageError(std::string(what) + ": '" + std::string(name) +
                       "' may contain only letters, digits, '.', '_' and '-'");
    }
  }
}

void validate_token(std::string_view token, std::string_view flag) {
  bool ok = token.size() == 32;
  for (char c : token) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!ok) {
    throw UsageError(std::string(flag) + ": invalid token '" + std::string(token) +
                     "' (expected 32 hex digits as printed by acquire)");
  }
}

void validate_prop_key(std::string_view key, std::string_view argument) {
  bool ok = !key.empty() && key.size() <= 64 && !(key.front() >= '0' && key.front() <= '9');
  for (char c : key) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) {
    throw UsageError("KEY=VALUE: invalid property '" + std::string(argument) +
                     "' (KEY: 1 to 64 letters, digits and '_', not starting with a digit)");
  }
}

std::string prop_variable(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string new_token() {
  std::array<unsigned char, 16> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += k_hex[b >> 4];
    out += k_hex[b & 0xf];
  }
  return out;
}

}  // namespace ciutils::lockctl
