#include "plan.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_plan(text, "plan.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PlanTest, ParsesEveryStepForm) {
  auto plan = parse_plan(R"({
    "workers": 3, "timeout": "10m", "env": {"A": "1"},
    "setup": "up", "teardown": ["down"],
    "steps": [
      "make",
      {"name": "lint", "commands": ["a", "b"], "timeout": 5},
      {"name": "tests", "jobs": ["t1", {"name": "two", "command": "t2"}], "workers": 2, "retries": 1,
       "env": {"B": "x"}}
    ],
    "cleanup": [{"command": "rm -rf tmp"}]
  })", "plan.json");
  EXPECT_EQ(plan.workers, 3);
  EXPECT_EQ(plan.timeout->count(), 600000);
  EXPECT_EQ(plan.setup, std::vector<std::string>{"up"});
  EXPECT_EQ(plan.teardown, std::vector<std::string>{"down"});
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].kind, PlanStep::Kind::command);
  EXPECT_EQ(plan.steps[0].name, "make");
  EXPECT_EQ(plan.steps[1].kind, PlanStep::Kind::list);
  EXPECT_EQ(plan.steps[1].timeout->count(), 5000);
  EXPECT_EQ(plan.steps[2].kind, PlanStep::Kind::jobs);
  EXPECT_EQ(plan.steps[2].workers, 2);
  EXPECT_EQ(plan.steps[2].commands[1].name, "two");
  EXPECT_EQ(plan.steps[2].env, std::vector<std::string>{"B=x"});
  ASSERT_EQ(plan.cleanup.size(), 1u);
  EXPECT_EQ(plan.cleanup[0].commands[0].command, "rm -rf tmp");
}

TEST(PlanTest, SyntaxErrorHasPosition) {
  EXPECT_EQ(error_of("{\n  \"steps\": [\n    \"a\",\n  ]\n}").rfind("plan.json:4:", 0), 0u) << error_of("{\n  \"steps\": [\n    \"a\",\n  ]\n}");
}

TEST(PlanTest, MeaningErrorsHavePositions) {
  EXPECT_EQ(error_of("{\n  \"steps\": [\n    {\"command\": \"a\", \"timeout\": \"soon\"}\n  ]\n}").rfind("plan.json:3:", 0), 0u);
  EXPECT_NE(error_of("{\"steps\": [], \"color\": 1}").find("unknown field 'color'"), std::string::npos);
  EXPECT_NE(error_of("{\"steps\": [{\"command\": \"a\", \"jobs\": [\"b\"]}]}").find("exactly one of"),
            std::string::npos);
  EXPECT_NE(error_of("{\"steps\": [{\"command\": \"a\", \"workers\": 2}]}").find("belongs to a \"jobs\" step"),
            std::string::npos);
  EXPECT_NE(error_of("{}").find("needs \"steps\""), std::string::npos);
  EXPECT_NE(error_of("[]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(error_of("{\"steps\": [{\"jobs\": []}]}").find("empty list"), std::string::npos);
  EXPECT_NE(error_of("{\"steps\": [{\"jobs\": [\"a\"], \"workers\": 0}]}").find("between 1 and"),
            std::string::npos);
}

}  // namespace
}  // namespace ciutils::prun
