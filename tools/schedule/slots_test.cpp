#include "slots.h"

#include "ciutils/timestamp.h"

#include <gtest/gtest.h>

namespace ciutils::schedule {
namespace {

SysSeconds utc(const char* text) { return date::floor<std::chrono::seconds>(*ciutils::parse_utc(text)); }
std::string fmt(SysSeconds t) { return ciutils::format_utc(t, 0); }

std::vector<std::string> sequence(const char* expr, const char* zone, GapPolicy gap, FoldPolicy fold,
                                  const char* from, int n) {
  Timing timing{parse_cron(expr, "dst"), find_zone(zone), gap, fold};
  EXPECT_NE(timing.zone, nullptr) << zone;
  std::vector<std::string> out;
  auto t = utc(from);
  for (int i = 0; i < n; ++i) {
    auto next = next_slot(timing, t);
    if (!next) break;
    out.push_back(fmt(*next));
    t = *next;
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Slots, NewYorkSpringForwardGap) {
  // 2026-03-08 02:00 EST jumps to 03:00 EDT (07:00Z): 02:30 does not exist.
  EXPECT_EQ(sequence("30 2 * * *", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-03-07T12:00:00Z", 2),
            (V{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
  EXPECT_EQ(sequence("30 2 * * *", "America/New_York", GapPolicy::skip, FoldPolicy::first, "2026-03-07T12:00:00Z", 2),
            (V{"2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}));
  // Every quarter hour: the gap's times collapse into one run at 03:00 EDT.
  EXPECT_EQ(sequence("*/15 * * * *", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-03-08T06:30:00Z", 4),
            (V{"2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z", "2026-03-08T07:30:00Z"}));
}

TEST(Slots, NewYorkFallBackFold) {
  // 2026-11-01 02:00 EDT falls back to 01:00 EST (06:00Z): 01:30 happens twice.
  EXPECT_EQ(sequence("30 1 * * *", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-10-31T12:00:00Z", 2),
            (V{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(sequence("30 1 * * *", "America/New_York", GapPolicy::next, FoldPolicy::last, "2026-10-31T12:00:00Z", 2),
            (V{"2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(sequence("30 1 * * *", "America/New_York", GapPolicy::next, FoldPolicy::both, "2026-10-31T12:00:00Z", 3),
            (V{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(sequence("*/30 * * * *", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-11-01T04:30:00Z", 3),
            (V{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z"}));
  EXPECT_EQ(sequence("*/30 * * * *", "America/New_York", GapPolicy::next, FoldPolicy::both, "2026-11-01T04:30:00Z", 5),
            (V{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z",
               "2026-11-01T07:00:00Z"}));
  EXPECT_EQ(sequence("*/30 * * * *", "America/New_York", GapPolicy::next, FoldPolicy::last, "2026-11-01T04:30:00Z", 3),
            (V{"2026-11-01T06:00:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z"}));
  // Starting inside the second occurrence, "first" does not go back.
  EXPECT_EQ(sequence("*/30 * * * *", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-11-01T06:10:00Z", 1),
            (V{"2026-11-01T07:00:00Z"}));
}

TEST(Slots, BerlinGapAndFold) {
  // 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00Z).
  EXPECT_EQ(sequence("30 2 * * *", "Europe/Berlin", GapPolicy::next, FoldPolicy::first, "2026-03-28T12:00:00Z", 2),
            (V{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}));
  EXPECT_EQ(sequence("30 2 * * *", "Europe/Berlin", GapPolicy::skip, FoldPolicy::first, "2026-03-28T12:00:00Z", 1),
            (V{"2026-03-30T00:30:00Z"}));
  // 2026-10-25 03:00 CEST falls back to 02:00 CET (01:00Z): 02:30 happens twice.
  EXPECT_EQ(sequence("30 2 * * *", "Europe/Berlin", GapPolicy::next, FoldPolicy::first, "2026-10-24T12:00:00Z", 2),
            (V{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  EXPECT_EQ(sequence("30 2 * * *", "Europe/Berlin", GapPolicy::next, FoldPolicy::last, "2026-10-24T12:00:00Z", 1),
            (V{"2026-10-25T01:30:00Z"}));
  EXPECT_EQ(sequence("30 2 * * *", "Europe/Berlin", GapPolicy::next, FoldPolicy::both, "2026-10-24T12:00:00Z", 2),
            (V{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"}));
  // Ordinary days: local 09:00 is 08:00Z in winter, 07:00Z in summer.
  EXPECT_EQ(sequence("0 9 * * *", "Europe/Berlin", GapPolicy::next, FoldPolicy::first, "2026-03-28T12:00:00Z", 2),
            (V{"2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"}));
}

TEST(Slots, EveryIgnoresZone) {
  EXPECT_EQ(sequence("@every 1h", "America/New_York", GapPolicy::next, FoldPolicy::first, "2026-11-01T05:10:00Z", 2),
            (V{"2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"}));
}

TEST(Slots, LatestSlots) {
  Timing timing{parse_cron("*/10 * * * *", "x"), nullptr, GapPolicy::next, FoldPolicy::first};
  auto got = latest_slots(timing, utc("2026-01-01T00:00:00Z"), utc("2026-01-01T01:05:00Z"), 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(fmt(got[0]), "2026-01-01T00:40:00Z");
  EXPECT_EQ(fmt(got[2]), "2026-01-01T01:00:00Z");
  auto all = latest_slots(timing, utc("2026-01-01T00:00:00Z"), utc("2026-01-01T01:05:00Z"), 100);
  EXPECT_EQ(all.size(), 6u);  // 00:10 … 01:00; `after` itself is excluded
  auto yearly = latest_slots(Timing{parse_cron("@yearly", "x")}, utc("2020-06-01T00:00:00Z"),
                             utc("2026-06-01T00:00:00Z"), 1);
  ASSERT_EQ(yearly.size(), 1u);
  EXPECT_EQ(fmt(yearly[0]), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(latest_slots(timing, utc("2026-01-01T00:00:00Z"), utc("2026-01-01T00:05:00Z"), 5).empty());
}

TEST(Slots, UnknownZone) { EXPECT_EQ(find_zone("Mars/Olympus"), nullptr); }

}  // namespace
}  // namespace ciutils::schedule
