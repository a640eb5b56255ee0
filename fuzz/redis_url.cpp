// Redis URLs (every tool's --redis and REDIS_URL).
// Invariants: a parsed URL has a port in 1-65535 and a database >= 0, names a host or a
// socket, and its redacted form no longer shows the password where the URL gave it;
// parsing is deterministic.
#include "invariant.h"

#include <ciutils/error.h>
#include <ciutils/redis.h>

#include <cstdint>
#include <string_view>

namespace {

std::size_t occurrences(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ciutils::RedisUrl url;
  try {
    url = ciutils::parse_redis_url(text);
  } catch (const ciutils::UsageError&) {
    return 0;
  }
  FUZZ_ASSERT(url.host.empty() != url.socket.empty());
  FUZZ_ASSERT(url.socket.empty() ? url.port >= 1 && url.port <= 65535 : true);
  FUZZ_ASSERT(url.db >= 0);
  std::string shown = url.redacted();
  // A password written once in the URL (so that copy is the userinfo's) is never shown.
  // Short ones are left out: the form shown adds defaults ("127.0.0.1:6379/0") of its own.
  if (url.password.size() >= 8 && occurrences(text, url.password) == 1) {
    FUZZ_ASSERT(shown.find(url.password) == std::string::npos);
    FUZZ_ASSERT(shown.find("***") != std::string::npos);
  }
  auto again = ciutils::parse_redis_url(text);
  FUZZ_ASSERT(again.host == url.host && again.port == url.port && again.socket == url.socket &&
              again.user == url.user && again.password == url.password && again.db == url.db);
  return 0;
}
