#include "schedule_file.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::schedule {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_schedules(text, "s.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ScheduleFile, ParsesAllFields) {
  auto list = parse_schedules(R"({"schedules": [
    {"name": "nightly-e2e", "cron": "H 2 * * *", "timezone": "Europe/Berlin", "queue": "e2e",
     "payload": {"test": "opm-tests-1", "notifications": ["frontend"]},
     "catch_up": "all", "catch_up_max": 3, "grace": "10m", "concurrency": "forbid", "lease": "30m",
     "dst_gap": "skip", "dst_fold": "both"},
    {"name": "b", "cron": "@every 1m", "queue": "q"}]})",
                              "s.json");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "nightly-e2e");
  EXPECT_EQ(list[0].zone_name, "Europe/Berlin");
  EXPECT_EQ(list[0].catch_up, CatchUp::all);
  EXPECT_EQ(list[0].catch_up_max, 3);
  EXPECT_EQ(list[0].grace, std::chrono::minutes(10));
  EXPECT_EQ(list[0].concurrency, Concurrency::forbid);
  EXPECT_EQ(list[0].lease, std::chrono::minutes(30));
  EXPECT_EQ(list[0].timing.gap, GapPolicy::skip);
  EXPECT_EQ(list[0].timing.fold, FoldPolicy::both);
  EXPECT_EQ(list[0].payload.at("test").as_string(), "opm-tests-1");
  EXPECT_EQ(list[1].catch_up, CatchUp::latest);
  EXPECT_EQ(list[1].concurrency, Concurrency::allow);
  EXPECT_EQ(list[1].timing.zone, nullptr);
}

TEST(ScheduleFile, ErrorsPointAtTheValue) {
  EXPECT_EQ(error_of("{\"schedules\": [\n  {\"name\": \"a\", \"cron\": \"0 24 * * *\", \"queue\": \"q\"}]}"),
            "s.json:2:25: field 'cron': field 2 (hour): value 24 out of range 0-23");
  EXPECT_EQ(error_of("{\"schedules\": [\n  {\"name\": \"a\", \"cron\": \"@daily\", \"queue\": \"q\",\n"
                     "   \"timezone\": \"Mars/Base\"}]}"),
            "s.json:3:16: field 'timezone': unknown time zone 'Mars/Base'");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "catch_up": "some"}]})"),
            "s.json:1:74: field 'catch_up': unknown value 'some' (expected skip, latest or all)");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "concurrency": "x"}]})"),
            "s.json:1:77: field 'concurrency': unknown value 'x' (expected allow, forbid or replace)");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q"},)"
                     R"( {"name": "a", "cron": "@daily", "queue": "q"}]})"),
            "s.json:1:72: duplicate schedule name 'a'");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "payload": [1]}]})"),
            "s.json:1:73: field 'payload' must be a JSON object");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily"}]})"),
            "s.json:1:16: field 'queue' is missing");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a b", "cron": "@daily", "queue": "q"}]})"),
            "s.json:1:25: field 'name': 'a b' must be 1-200 letters, digits, '.', '_' or '-'");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "cron_tz": "x"}]})"),
            "s.json:1:73: unknown field 'cron_tz'");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "0 0 30 2 *", "queue": "q"}]})"),
            "s.json:1:38: field 'cron': '0 0 30 2 *' never fires");
  EXPECT_EQ(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "grace": "soon"}]})"),
            error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "grace": "soon"}]})"));
  EXPECT_NE(error_of(R"({"schedules": [{"name": "a", "cron": "@daily", "queue": "q", "grace": "soon"}]})")
                .find("s.json:1:71: "),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"schedule": []})"), "s.json:1:14: unknown field 'schedule'");
  EXPECT_EQ(error_of("{\"schedules\": [\n"), error_of("{\"schedules\": [\n"));
  EXPECT_EQ(error_of("{\"schedules\": [\n").rfind("s.json:", 0), 0u);
}

}  // namespace
}  // namespace ciutils::schedule
