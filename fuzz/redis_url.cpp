// Redis URLs (every tool's --redis and REDIS_URL).
// Invariants: a parsed URL has a port in 1-65535 and a database >= 0, names a host or a
// socket, and its redacted form shows the password only as "***"; parsing is
// deterministic.
#include "invariant.h"

#include <ciutils/error.h>
#include <ciutils/redis.h>

#include <cstdint>
#include <string_view>

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
  // The password is shown only as "***", right after the scheme and user. (Searching the
  // shown form for the password's text proves nothing: a host may hold the same bytes.)
  if (!url.password.empty()) {
    auto scheme_end = shown.find("://");
    FUZZ_ASSERT(scheme_end != std::string::npos);
    FUZZ_ASSERT(shown.compare(scheme_end + 3, url.user.size() + 5, url.user + ":***@") == 0);
  }
  auto again = ciutils::parse_redis_url(text);
  FUZZ_ASSERT(again.host == url.host && again.port == url.port && again.socket == url.socket &&
              again.user == url.user && again.password == url.password && again.db == url.db);
  return 0;
}
