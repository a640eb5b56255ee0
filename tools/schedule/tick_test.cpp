#include "tick.h"

#include "ciutils/timestamp.h"

#include <gtest/gtest.h>

namespace ciutils::schedule {
namespace {

SysSeconds utc(const char* text) { return date::floor<std::chrono::seconds>(*ciutils::parse_utc(text)); }

Schedule hourly(CatchUp policy, int max) {
  Schedule s;
  s.name = "h";
  s.queue = "q";
  s.timing.cron = parse_cron("0 * * * *", s.name);
  s.catch_up = policy;
  s.catch_up_max = max;
  return s;
}

TEST(Tick, CandidatesAreTheLatestSlots) {
  auto latest = tick_candidates(hourly(CatchUp::latest, 10), utc("2026-06-01T03:20:00Z"));
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(format_utc(latest[0], 0), "2026-06-01T03:00:00Z");
  auto all = tick_candidates(hourly(CatchUp::all, 3), utc("2026-06-01T03:00:00Z"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(format_utc(all[0], 0), "2026-06-01T01:00:00Z");
  EXPECT_EQ(format_utc(all[2], 0), "2026-06-01T03:00:00Z");
}

TEST(Tick, TaskIdIsScheduleAtSlot) {
  EXPECT_EQ(task_id("nightly-e2e", utc("2026-11-22T02:00:00Z")), "nightly-e2e@2026-11-22T02:00:00Z");
}

}  // namespace
}  // namespace ciutils::schedule
