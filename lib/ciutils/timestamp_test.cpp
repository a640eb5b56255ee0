#include "ciutils/timestamp.h"

#include <gtest/gtest.h>

using namespace ciutils;
using namespace std::chrono;

TEST(Timestamp, FormatsAndParsesUtc) {
  SysTime t = sys_days(year(2026) / 11 / 22) + hours(10) + milliseconds(123);
  EXPECT_EQ(format_utc(t), "2026-11-22T10:00:00.123Z");
  EXPECT_EQ(format_utc(t, 0), "2026-11-22T10:00:00Z");
  EXPECT_EQ(format_utc(t, 6), "2026-11-22T10:00:00.123000Z");
  EXPECT_EQ(format_utc(sys_days(year(2024) / 2 / 29) + hours(23) + minutes(59) + seconds(58), 0),
            "2024-02-29T23:59:58Z");
  EXPECT_EQ(format_utc(SysTime{} - seconds(1), 0), "1969-12-31T23:59:59Z");
  EXPECT_EQ(parse_utc("2026-11-22T10:00:00.123Z"), t);
  EXPECT_EQ(parse_utc("2026-11-22T10:00:00.123+00:00"), t);
  EXPECT_EQ(parse_utc("2026-11-22T10:00:00Z"), t - milliseconds(123));
  EXPECT_FALSE(parse_utc("2026-13-22T10:00:00Z"));
  EXPECT_FALSE(parse_utc("2026-11-22T10:00:00"));
  EXPECT_FALSE(parse_utc("2026-11-22T10:00:00+01:00"));
  EXPECT_FALSE(parse_utc("yesterday"));
}

TEST(Timestamp, RefusesYearsTheClockCannotHold) {
  // 1013 and 3000 overflow the system clock's 64-bit nanoseconds (found by fuzz/report_input).
  EXPECT_FALSE(parse_utc("1013-11-22T10:00:02.000Z"));
  EXPECT_FALSE(parse_utc("3000-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_utc("2200-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_utc("1700-01-01T00:00:00Z"));
}
