#include "worker.h"

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace ciutils::schedule {
namespace {

TEST(Worker, PayloadEnvironment) {
  boost::json::object payload{{"test", "opm-tests-1"}, {"app", "opm"}, {"notifications", boost::json::array{"frontend"}},
                              {"max-retries", 3}, {"nested.key", boost::json::object{{"a", true}}}};
  auto env = payload_environment(payload);
  std::set<std::string> got(env.begin(), env.end());
  EXPECT_TRUE(got.contains("TASK_PAYLOAD_TEST=opm-tests-1"));
  EXPECT_TRUE(got.contains("TASK_PAYLOAD_APP=opm"));
  EXPECT_TRUE(got.contains("TASK_PAYLOAD_NOTIFICATIONS=[\"frontend\"]"));
  EXPECT_TRUE(got.contains("TASK_PAYLOAD_MAX_RETRIES=3"));
  EXPECT_TRUE(got.contains("TASK_PAYLOAD_NESTED_KEY={\"a\":true}"));
}

TEST(Worker, BackoffDoublesUpToTheCap) {
  WorkerOptions o;
  o.retry_delay = std::chrono::seconds(10);
  o.retry_max_delay = std::chrono::seconds(60);
  EXPECT_EQ(backoff(o, 1), std::chrono::seconds(10));
  EXPECT_EQ(backoff(o, 2), std::chrono::seconds(20));
  EXPECT_EQ(backoff(o, 3), std::chrono::seconds(40));
  EXPECT_EQ(backoff(o, 4), std::chrono::seconds(60));
  EXPECT_EQ(backoff(o, 40), std::chrono::seconds(60));
}

}  // namespace
}  // namespace ciutils::schedule
