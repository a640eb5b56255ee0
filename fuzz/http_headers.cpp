// HTTP header values fetch and notify act on: Content-Range (where a resumed download
// continues), Retry-After (how long to wait) and URLs shown in messages (redact_url).
// Invariants: an accepted Content-Range is one byte range inside its total; a Retry-After
// wait is never negative; a URL's userinfo password never survives redaction.
#include "invariant.h"

#include <ciutils/http.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  if (auto range = ciutils::parse_content_range(value)) {
    FUZZ_ASSERT(range->start <= range->end);
    FUZZ_ASSERT(!range->total || range->end < *range->total);
  }
  std::string text(value);
  if (text.find('\0') == std::string::npos) {  // header values never hold NUL bytes
    auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    if (auto wait = ciutils::parse_retry_after(value, now)) FUZZ_ASSERT(wait->count() >= 0);
  }
  // "scheme://user:PASSWORD@host/…" with the input as the password.
  if (value.find_first_of("@/?#:") == std::string_view::npos && value.size() >= 4 &&
      value.find_first_of(std::string_view("\0\r\n ", 4)) == std::string_view::npos) {
    std::string shown = ciutils::redact_url("https://user:" + text + "@example.test/path?q=1");
    FUZZ_ASSERT(shown.find(":" + text + "@") == std::string::npos);
  }
  return 0;
}
