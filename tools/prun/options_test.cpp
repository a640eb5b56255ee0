#include "options.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ciutils::prun {
namespace {

TEST(HaltTest, ParsesModes) {
  EXPECT_EQ(parse_halt("now").when, HaltPolicy::When::now);
  EXPECT_EQ(parse_halt("soon").when, HaltPolicy::When::soon);
  auto h = parse_halt("fail=3");
  EXPECT_EQ(h.when, HaltPolicy::When::soon);
  EXPECT_EQ(h.after_failures, 3);
  h = parse_halt("now,fail=2");
  EXPECT_EQ(h.when, HaltPolicy::When::now);
  EXPECT_EQ(h.after_failures, 2);
}

TEST(HaltTest, RejectsNonsense) {
  EXPECT_THROW(parse_halt("later"), UsageError);
  EXPECT_THROW(parse_halt("fail=0"), UsageError);
  EXPECT_THROW(parse_halt("now,soon"), UsageError);
  EXPECT_THROW(parse_halt(""), UsageError);
}

TEST(ShardTest, ParsesOneBased) {
  auto s = parse_shard("2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.total, 3);
  EXPECT_THROW(parse_shard("0/3"), UsageError);
  EXPECT_THROW(parse_shard("4/3"), UsageError);
  EXPECT_THROW(parse_shard("3"), UsageError);
}

TEST(ShardTest, ReadsCiVariables) {
  ::unsetenv("CI_NODE_INDEX");
  ::unsetenv("CI_NODE_TOTAL");
  ::setenv("CIRCLE_NODE_INDEX", "0", 1);
  ::setenv("CIRCLE_NODE_TOTAL", "4", 1);
  auto s = shard_from_environment();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 1);
  EXPECT_EQ(s->total, 4);
  ::setenv("CI_NODE_INDEX", "2", 1);
  ::setenv("CI_NODE_TOTAL", "2", 1);
  s = shard_from_environment();
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->total, 2);
  ::unsetenv("CI_NODE_INDEX");
  ::unsetenv("CI_NODE_TOTAL");
  ::unsetenv("CIRCLE_NODE_INDEX");
  ::unsetenv("CIRCLE_NODE_TOTAL");
  EXPECT_FALSE(shard_from_environment());
}

TEST(SlotEnvTest, SplitsValues) {
  auto se = parse_slot_env("DOCKER_HOST=ssh://a,ssh://b");
  EXPECT_EQ(se.key, "DOCKER_HOST");
  ASSERT_EQ(se.values.size(), 2u);
  EXPECT_EQ(se.values[1], "ssh://b");
  EXPECT_THROW(parse_slot_env("=x"), UsageError);
  EXPECT_THROW(parse_slot_env("novalue"), UsageError);
}

TEST(SlotEnvTest, EscapedCommasAndBackslashes) {
  auto se = parse_slot_env(R"(JAVA_OPTS=-Da=1\,2,-Db=3\\,)");
  ASSERT_EQ(se.values.size(), 3u);
  EXPECT_EQ(se.values[0], "-Da=1,2");
  EXPECT_EQ(se.values[1], R"(-Db=3\)");
  EXPECT_EQ(se.values[2], "");
  EXPECT_EQ(parse_slot_env(R"(P=a\b)").values[0], R"(a\b)");
}

TEST(SlotEnvTest, RepeatedKeyAddsValues) {
  auto o = parse_options({"--slot-env", "H=ssh://a,1", "--slot-env", "X=y", "--slot-env", "H=ssh://b\\,2"});
  ASSERT_EQ(o.slot_env.size(), 2u);
  EXPECT_EQ(o.slot_env[0].key, "H");
  EXPECT_EQ(o.slot_env[0].values, (std::vector<std::string>{"ssh://a", "1", "ssh://b,2"}));
  EXPECT_EQ(o.slot_env[1].values, (std::vector<std::string>{"y"}));
}

TEST(OptionsTest, TemplateAfterDashDash) {
  auto o = parse_options({"-j", "3", "--timeout", "0.5s", "--", "gzip", "-9", "{}"});
  EXPECT_EQ(o.jobs, 3);
  ASSERT_TRUE(o.timeout);
  EXPECT_EQ(o.timeout->count(), 500);
  EXPECT_EQ(o.command_template, (std::vector<std::string>{"gzip", "-9", "{}"}));
}

TEST(OptionsTest, RejectsConflicts) {
  EXPECT_THROW(parse_options({"--tag", "--ungroup"}), UsageError);
  EXPECT_THROW(parse_options({"--timestamps"}), UsageError);
  EXPECT_THROW(parse_options({"-f", "p.json", "-a", "x"}), UsageError);
  EXPECT_THROW(parse_options({"-j", "0"}), UsageError);
  EXPECT_THROW(parse_options({"--timeout", "0"}), UsageError);
  EXPECT_THROW(parse_options({"--env", "NOEQUALS"}), UsageError);
}

}  // namespace
}  // namespace ciutils::prun
