#include "cron.h"
#include "slots.h"

#include "ciutils/timestamp.h"

#include <gtest/gtest.h>

#include <bit>

#include <random>
#include <set>

namespace ciutils::schedule {
namespace {

SysSeconds utc(const char* text) {
  auto t = ciutils::parse_utc(text);
  EXPECT_TRUE(t.has_value()) << text;
  return date::floor<std::chrono::seconds>(*t);
}

std::string fmt(SysSeconds t) { return ciutils::format_utc(t, 0); }

struct NextCase {
  const char* expr;
  const char* from;
  std::vector<const char*> expected;
};

TEST(Cron, NextTimesTable) {
  const std::vector<NextCase> cases = {
      {"* * * * *", "2026-01-01T00:00:00Z", {"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
      {"*/15 * * * *", "2026-01-01T00:07:00Z", {"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z"}},
      {"5/20 * * * *", "2026-01-01T00:00:00Z", {"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z"}},
      {"0 2 * * *", "2026-01-01T02:00:00Z", {"2026-01-02T02:00:00Z"}},
      {"30 9-17/4 * * *", "2026-01-01T10:00:00Z", {"2026-01-01T13:30:00Z", "2026-01-01T17:30:00Z", "2026-01-02T09:30:00Z"}},
      {"0 0 1,15 * *", "2026-01-02T00:00:00Z", {"2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z"}},
      {"0 0 * * mon-fri", "2026-11-20T12:00:00Z", {"2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"}},  // Fri → Mon
      {"0 0 * * 7", "2026-11-20T00:00:00Z", {"2026-11-22T00:00:00Z"}},                               // 7 = Sunday
      {"0 0 * * SUN", "2026-11-20T00:00:00Z", {"2026-11-22T00:00:00Z"}},
      {"0 12 * JAN,jul *", "2026-02-01T00:00:00Z", {"2026-07-01T12:00:00Z"}},
      {"0 0 29 2 *", "2026-01-01T00:00:00Z", {"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
      {"0 0 31 * *", "2026-04-01T00:00:00Z", {"2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"}},
      // Vixie OR rule: day 13 OR Friday.
      {"0 0 13 * 5", "2026-11-01T00:00:00Z", {"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z", "2026-11-20T00:00:00Z"}},
      // A '*' day field makes it AND: every Friday the 13th... only Fridays here since dom is '*'.
      {"0 0 * * 5", "2026-11-01T00:00:00Z", {"2026-11-06T00:00:00Z", "2026-11-13T00:00:00Z"}},
      // "*/2" in day-of-month still counts as starred (AND): odd days that are Mondays.
      {"0 0 */2 * 1", "2026-11-01T00:00:00Z", {"2026-11-09T00:00:00Z", "2026-11-23T00:00:00Z"}},
      {"@hourly", "2026-01-01T00:30:00Z", {"2026-01-01T01:00:00Z"}},
      {"@daily", "2026-01-01T00:30:00Z", {"2026-01-02T00:00:00Z"}},
      {"@midnight", "2026-01-01T00:30:00Z", {"2026-01-02T00:00:00Z"}},
      {"@weekly", "2026-11-18T00:00:00Z", {"2026-11-22T00:00:00Z"}},
      {"@monthly", "2026-11-18T00:00:00Z", {"2026-12-01T00:00:00Z"}},
      {"@yearly", "2026-11-18T00:00:00Z", {"2027-01-01T00:00:00Z"}},
      {"@annually", "2026-11-18T00:00:00Z", {"2027-01-01T00:00:00Z"}},
      {"@every 10m", "2026-01-01T00:07:00Z", {"2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z"}},
      {"@every 90s", "1970-01-01T00:00:00Z", {"1970-01-01T00:01:30Z", "1970-01-01T00:03:00Z"}},
      {"*/20 * * * * *", "2026-01-01T00:00:00Z", {"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"}},
      {"15 0 0 * * *", "2026-01-01T00:00:00Z", {"2026-01-01T00:00:15Z", "2026-01-02T00:00:15Z"}},
      {"0 23 31 12 *", "2026-12-31T23:00:00Z", {"2027-12-31T23:00:00Z"}},
      {"  0   6  *  *  *  ", "2026-01-01T00:00:00Z", {"2026-01-01T06:00:00Z"}},
      {"0 0 ? * 1", "2026-11-20T00:00:00Z", {"2026-11-23T00:00:00Z"}},
  };
  for (const auto& c : cases) {
    Timing timing{parse_cron(c.expr, "job"), nullptr, GapPolicy::next, FoldPolicy::first};
    auto t = utc(c.from);
    for (const auto* want : c.expected) {
      auto next = next_slot(timing, t);
      ASSERT_TRUE(next.has_value()) << c.expr;
      EXPECT_EQ(fmt(*next), want) << c.expr << " after " << fmt(t);
      t = *next;
    }
  }
}

TEST(Cron, ErrorsNameTheField) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"0 24 * * *", "field 2 (hour): value 24 out of range 0-23"},
      {"60 * * * *", "field 1 (minute): value 60 out of range 0-59"},
      {"* * 0 * *", "field 3 (day-of-month): value 0 out of range 1-31"},
      {"* * * 13 *", "field 4 (month): value 13 out of range 1-12"},
      {"* * * * 8", "field 5 (day-of-week): value 8 out of range 0-7"},
      {"* * * foo *", "field 4 (month): invalid value 'foo'"},
      {"*/0 * * * *", "field 1 (minute): invalid step '0'"},
      {"*/61 * * * *", "field 1 (minute): step 61 larger than the range 0-59"},
      {"5-2 * * * *", "field 1 (minute): range 5-2 is backwards"},
      {"1,,2 * * * *", "field 1 (minute): empty list item in '1,,2'"},
      {"61 * * * * *", "field 1 (second): value 61 out of range 0-59"},
      {"0 0 24 * * *", "field 3 (hour): value 24 out of range 0-23"},
      {"H(5) * * * *", "field 1 (minute): invalid hash range 'H(5)', expected H(a-b)"},
      {"H(0-70) * * * *", "field 1 (minute): value 70 out of range 0-59"},
      {"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4"},
      {"* * * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 7"},
      {"", "empty cron expression"},
      {"@reboot", "unknown macro '@reboot' (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every D)"},
      {"@daily 5", "'@daily' takes no fields"},
      {"@every", "@every takes one duration, e.g. '@every 10m'"},
      {"@every 500ms", "@every: duration must be a whole number of seconds, at least 1s"},
      {"1-x * * * *", "field 1 (minute): invalid value 'x'"},
  };
  for (const auto& [expr, message] : cases) {
    try {
      parse_cron(expr, "job");
      ADD_FAILURE() << "no error for '" << expr << "'";
    } catch (const CronError& e) {
      EXPECT_EQ(std::string(e.what()), message) << expr;
    }
  }
}

TEST(Cron, HashIsStableAndDocumented) {
  // FNV-1a 32 over "nightly\0minute".
  std::uint32_t h = 2166136261u;
  for (char c : std::string("nightly") + std::string(1, '\0') + "minute") {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  EXPECT_EQ(field_hash("nightly", "minute"), h);
  auto spec = parse_cron("H H * * *", "nightly");
  EXPECT_EQ(spec.minutes, 1ULL << (field_hash("nightly", "minute") % 60));
  EXPECT_EQ(spec.hours, 1u << (field_hash("nightly", "hour") % 24));
  EXPECT_EQ(parse_cron("H H * * *", "nightly").minutes, spec.minutes);  // stable
  // H(0-29)/10: one value in each ten-minute block of 0-29, starting at hash % 10.
  auto stepped = parse_cron("H(0-29)/10 * * * *", "nightly");
  int first = static_cast<int>(field_hash("nightly", "minute") % 10);
  EXPECT_EQ(stepped.minutes, (1ULL << first) | (1ULL << (first + 10)) | (1ULL << (first + 20)));
  auto h15 = parse_cron("H/15 * * * *", "x");
  int off = static_cast<int>(field_hash("x", "minute") % 15);
  EXPECT_EQ(h15.minutes, (1ULL << off) | (1ULL << (off + 15)) | (1ULL << (off + 30)) | (1ULL << (off + 45)));
  // H in day-of-month stays within 1-28.
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g"}) {
    auto dom = parse_cron("0 0 H * *", name).days;
    EXPECT_TRUE(dom != 0 && dom < (1u << 29) && !(dom & 1u)) << name;
  }
  // Different names spread.
  std::set<std::uint64_t> minutes;
  for (int i = 0; i < 50; ++i) minutes.insert(parse_cron("H * * * *", "job-" + std::to_string(i)).minutes);
  EXPECT_GT(minutes.size(), 20u);
}

TEST(Cron, NeverFiresIsAnError) {
  try {
    parse_cron("0 0 30 2 *", "x");
    FAIL() << "no error";
  } catch (const CronError& e) {
    EXPECT_STREQ(e.what(), "'0 0 30 2 *' never fires");
  }
  // Day-of-month OR day-of-week: Mondays in February.
  EXPECT_NO_THROW(parse_cron("0 0 30 2 1", "x"));
  EXPECT_NO_THROW(parse_cron("0 0 29 2 *", "x"));
}

TEST(Cron, HashedMacrosAsJenkins) {
  EXPECT_EQ(parse_cron("@hourly", "x").minutes, 1ULL);
  auto hourly = parse_cron("@hourly", "nightly-e2e", true);
  EXPECT_EQ(hourly.expanded, "H * * * *");
  EXPECT_EQ(hourly.minutes, parse_cron("H * * * *", "nightly-e2e").minutes);
  EXPECT_EQ(hourly.text, "@hourly");
  EXPECT_EQ(parse_cron("@daily", "a", true).expanded, "H H * * *");
  EXPECT_EQ(parse_cron("@weekly", "a", true).expanded, "H H * * H");
  EXPECT_EQ(parse_cron("@monthly", "a", true).expanded, "H H H * *");
  EXPECT_EQ(parse_cron("@yearly", "a", true).expanded, "H H H H *");
  EXPECT_EQ(parse_cron("@annually", "a", true).expanded, "H H H H *");
  EXPECT_EQ(parse_cron("@midnight", "a", true).expanded, "H H(0-2) * * *");
  EXPECT_EQ(parse_cron("@daily", "a", false).expanded, "0 0 * * *");
  auto weekly = parse_cron("@weekly", "some-job", true);
  EXPECT_EQ(std::popcount(weekly.weekdays), 1);
  EXPECT_EQ(std::popcount(weekly.hours), 1);
}

// Randomized: next_local agrees with a brute-force minute scan, and never throws on junk.
TEST(Cron, RandomizedAgainstBruteForce) {
  std::mt19937 rng(12345);
  const std::vector<std::string> parts[5] = {
      {"*", "0", "*/7", "5-40/5", "1,2,59", "H", "H(0-29)/10"},
      {"*", "0", "*/5", "9-17", "23", "H"},
      {"*", "1", "*/3", "10-20", "31", "1,15"},
      {"*", "1", "feb", "*/4", "6-8"},
      {"*", "0", "mon-fri", "6,7", "*/2", "sat"},
  };
  for (int round = 0; round < 300; ++round) {
    std::string expr;
    for (auto& p : parts) expr += p[rng() % p.size()] + " ";
    CronSpec spec;
    try {
      spec = parse_cron(expr, "fuzz");
    } catch (const CronError& e) {
      ASSERT_TRUE(std::string(e.what()).ends_with("never fires")) << expr;
      continue;
    }
    auto start = date::local_seconds(std::chrono::seconds(1767225600 + static_cast<long>(rng() % 40000000)));
    auto got = next_local(spec, start);
    // Brute force over minutes for up to 400 days.
    std::optional<date::local_seconds> want;
    auto t = date::floor<std::chrono::minutes>(start) + std::chrono::minutes(1);
    for (int i = 0; i < 60 * 24 * 400 && !want; ++i, t += std::chrono::minutes(1)) {
      auto day = date::floor<date::days>(t);
      auto tod = std::chrono::duration_cast<std::chrono::seconds>(t - day);
      auto h = static_cast<int>(tod.count() / 3600);
      auto m = static_cast<int>(tod.count() / 60 % 60);
      if ((spec.hours & (1u << h)) && (spec.minutes & (1ULL << m)) &&
          day_matches(spec, date::sys_days(day.time_since_epoch())))
        want = t;
    }
    if (want) {
      ASSERT_TRUE(got.has_value()) << expr;
      EXPECT_EQ(got->time_since_epoch().count(),
                std::chrono::duration_cast<std::chrono::seconds>(want->time_since_epoch()).count())
          << expr;
    }
  }
  const std::string alphabet = "0123456789*/-,?H()@ abcdefjMNOSTU";
  for (int round = 0; round < 3000; ++round) {
    std::string junk;
    auto len = rng() % 20;
    for (std::size_t i = 0; i < len; ++i) junk += alphabet[rng() % alphabet.size()];
    try {
      auto spec = parse_cron(junk, "fuzz");
      Timing timing{spec, nullptr, GapPolicy::next, FoldPolicy::first};
      (void)next_slot(timing, utc("2026-01-01T00:00:00Z"));
    } catch (const CronError&) {
    }
  }
}

}  // namespace
}  // namespace ciutils::schedule
