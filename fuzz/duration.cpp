// Durations, sizes and bounded integers from the command line (every tool's flags).
// Invariants: a parsed duration is never negative; its printed form parses back to the
// same value when it is a whole number of seconds or under one second, and within the
// display's rounding otherwise; a parsed size printed as bytes parses back to itself;
// a parsed integer lies within its bounds.
#include "invariant.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using ciutils::UsageError;
using std::chrono::milliseconds;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    milliseconds d = ciutils::parse_duration(text, "--fuzz");
    FUZZ_ASSERT(d.count() >= 0);
    milliseconds back = ciutils::parse_duration(ciutils::format_duration(d), "--fuzz");
    if (d.count() < 1000 || d.count() % 1000 == 0) {
      FUZZ_ASSERT(back == d);
    } else if (d.count() < 60'000) {
      FUZZ_ASSERT(std::abs(back.count() - d.count()) <= 50);  // one decimal of a second
    } else {
      FUZZ_ASSERT(back <= d && d - back < milliseconds(1000));  // whole seconds
    }
  } catch (const UsageError&) {
  }
  try {
    std::uint64_t bytes = ciutils::parse_size(text, "--fuzz");
    FUZZ_ASSERT(ciutils::parse_size(std::to_string(bytes), "--fuzz") == bytes);
  } catch (const UsageError&) {
  }
  try {
    long long n = ciutils::parse_integer(text, "--fuzz", 1, 1000);
    FUZZ_ASSERT(n >= 1 && n <= 1000);
  } catch (const UsageError&) {
  }
  return 0;
}
