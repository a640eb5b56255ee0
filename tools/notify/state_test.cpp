#include "state.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

namespace ciutils::notify {
namespace {

TEST(Threshold, Parses) {
  auto t = parse_threshold("3/5", "--threshold");
  EXPECT_EQ(t.failures, 3);
  EXPECT_EQ(t.window, 5);
  EXPECT_THROW(parse_threshold("5/3", "--threshold"), UsageError);
  EXPECT_THROW(parse_threshold("3", "--threshold"), UsageError);
  EXPECT_THROW(parse_threshold("0/3", "--threshold"), UsageError);
}

TEST(Key, Checks) {
  EXPECT_NO_THROW(check_key("opm/opm-tests-1", "--key"));
  EXPECT_THROW(check_key("", "--key"), UsageError);
  EXPECT_THROW(check_key("a{b}", "--key"), UsageError);
  EXPECT_THROW(check_key("a\nb", "--key"), UsageError);
  EXPECT_THROW(check_key(std::string(201, 'a'), "--key"), UsageError);
}

TEST(DestinationId, StableAndSecretFree) {
  auto id = destination_id("https://hooks.slack.com/services/T/B/secret");
  EXPECT_EQ(id, destination_id("https://hooks.slack.com/services/T/B/secret"));
  EXPECT_NE(id, destination_id("https://hooks.slack.com/services/T/B/other"));
  EXPECT_EQ(id.size(), 24u);
  EXPECT_EQ(id.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace ciutils::notify
