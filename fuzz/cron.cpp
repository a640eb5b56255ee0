// Cron expressions (schedule): 5 or 6 fields, names, H, @macros, @every.
// Invariant: the next fire time of a parsed expression is strictly after the given time,
// matches every field, and is the first such time (searching from one second before it
// finds it again).
#include "invariant.h"

#include <ciutils/error.h>
#include <cron.h>

#include <cstdint>
#include <cstring>
#include <string_view>

using namespace std::chrono;
using ciutils::schedule::CronError;

namespace {

bool matches(const ciutils::schedule::CronSpec& spec, date::local_seconds when) {
  auto day = floor<date::days>(when);
  date::hh_mm_ss time(when - day);
  return (spec.seconds >> time.seconds().count() & 1) && (spec.minutes >> time.minutes().count() & 1) &&
         (spec.hours >> time.hours().count() & 1) &&
         ciutils::schedule::day_matches(spec, date::sys_days(day.time_since_epoch()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first 4 bytes choose the moment (any second of 1970-2106) and whether macros are
  // hashed; the rest is the expression.
  if (size < 4) return 0;
  std::uint32_t seed;
  std::memcpy(&seed, data, 4);
  std::string_view text(reinterpret_cast<const char*>(data) + 4, size - 4);
  ciutils::schedule::CronSpec spec;
  try {
    spec = ciutils::schedule::parse_cron(text, "fuzz", seed & 1);
  } catch (const CronError&) {
    return 0;
  }
  if (spec.every) {
    FUZZ_ASSERT(spec.every->count() > 0);
    return 0;
  }
  FUZZ_ASSERT(spec.seconds != 0 && spec.minutes != 0 && spec.hours != 0 && spec.months != 0);
  date::local_seconds after{seconds(seed)};
  auto next = ciutils::schedule::next_local(spec, after);
  if (!next) return 0;  // none within eight years of `after`
  FUZZ_ASSERT(*next > after);
  FUZZ_ASSERT(matches(spec, *next));
  unsigned month = static_cast<unsigned>(date::year_month_day(floor<date::days>(*next)).month());
  FUZZ_ASSERT(spec.months >> month & 1);
  if (*next - seconds(1) > after) {
    auto again = ciutils::schedule::next_local(spec, *next - seconds(1));
    FUZZ_ASSERT(again && *again == *next);
  }
  return 0;
}
