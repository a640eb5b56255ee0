#include "results.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

#include <sstream>

namespace ciutils::notify {
namespace {

RunOutcome read(const std::string& text) {
  std::istringstream in(text);
  return read_results(in, "r.jsonl");
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Results, FailedTimeoutErrorCountAsFailed) {
  auto r = read(R"({"name":"a","status":"passed"}
{"name":"b","status":"failed","message":"exit status 1"}

{"name":"c","status":"timeout"}
{"name":"d","status":"error"}
{"name":"e","status":"flaky"}
{"name":"f","status":"skipped"}
)");
  EXPECT_TRUE(r.failed);
  EXPECT_EQ(r.total, 6u);
  ASSERT_EQ(r.failed_tests.size(), 3u);
  EXPECT_EQ(r.failed_tests[0].name, "b");
  EXPECT_EQ(r.failed_tests[0].message, "exit status 1");
  EXPECT_EQ(r.failed_tests[1].status, "timeout");
}

TEST(Results, AllPassed) {
  auto r = read(R"({"name":"a","status":"passed"})");
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(r.total, 1u);
}

TEST(Results, ErrorsNameTheLine) {
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\"}\n[1]\n"), "r.jsonl:2: expected a JSON object");
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"bogus\"}\n"), "r.jsonl:1: field 'status': unknown status 'bogus'");
  EXPECT_EQ(error_of("{\"status\":\"passed\"}\n").substr(0, 10), "r.jsonl:1:");
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\"}\n{oops\n").substr(0, 10), "r.jsonl:2:");
}

}  // namespace
}  // namespace ciutils::notify
