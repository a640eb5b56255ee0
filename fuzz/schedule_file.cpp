// schedule files (schedule tick -f schedules.json): named cron schedules with queue,
// payload, zone and policies. Invariants: every parsed schedule has a valid name and
// queue (they end up in Redis keys and task ids), positive lease and grace, a catch-up
// limit of at least 1, and a timing that yields a next slot after any time, or none.
#include "invariant.h"

#include <ciutils/error.h>
#include <schedule_file.h>

#include <cstdint>
#include <string>

using namespace std::chrono;
using ciutils::schedule::SysSeconds;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<ciutils::schedule::Schedule> schedules;
  try {
    schedules = ciutils::schedule::parse_schedules(text, "schedules.json");
  } catch (const ciutils::UsageError&) {
    return 0;
  }
  const SysSeconds after{seconds(1'767'225'600)};  // 2026-01-01
  for (const auto& s : schedules) {
    FUZZ_ASSERT(ciutils::schedule::valid_name(s.name));
    FUZZ_ASSERT(ciutils::schedule::valid_name(s.queue));
    FUZZ_ASSERT(s.lease.count() > 0 && s.grace.count() >= 0 && s.catch_up_max >= 1);
    if (s.timing.cron.every) continue;
    if (auto next = ciutils::schedule::next_slot(s.timing, after)) FUZZ_ASSERT(*next > after);
  }
  return 0;
}
