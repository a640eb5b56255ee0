#include "options.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <map>

namespace ciutils::lockctl {
namespace {

std::optional<std::string> no_env(const char*) { return std::nullopt; }

std::string usage_message(const std::vector<std::string>& args, bool is_run = false) {
  try {
    parse_acquire_cli(args, is_run, no_env);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(AcquireOptions, Defaults) {
  auto cli = parse_acquire_cli({"uat"}, false, no_env);
  EXPECT_EQ(cli.request.target.name, "uat");
  EXPECT_FALSE(cli.request.target.pool);
  EXPECT_EQ(cli.request.ttl, milliseconds(60000));
  EXPECT_FALSE(cli.request.wait.has_value());
  EXPECT_EQ(cli.conflict_exit_code, 75);
  EXPECT_EQ(cli.parsed.connection.ns, "ciutils");
}

TEST(AcquireOptions, PoolQuantityWaitPriority) {
  auto cli = parse_acquire_cli({"--pool", "uat", "--quantity", "2", "--wait", "5s", "--priority", "7"}, false, no_env);
  EXPECT_TRUE(cli.request.target.pool);
  EXPECT_EQ(cli.request.target.quantity, 2);
  EXPECT_EQ(cli.request.wait, milliseconds(5000));
  EXPECT_EQ(cli.request.priority, 7);
  EXPECT_EQ(parse_acquire_cli({"uat", "--no-wait"}, false, no_env).request.wait, milliseconds(0));
}

TEST(AcquireOptions, RejectsBadCombinations) {
  EXPECT_EQ(usage_message({}), "RESOURCE: missing (or --pool POOL)");
  EXPECT_EQ(usage_message({"uat", "--pool", "p"}), "give either RESOURCE... or --pool, not both");
  EXPECT_EQ(usage_message({"uat", "--quantity", "2"}), "--quantity needs --pool or --label");
  EXPECT_EQ(usage_message({"--pool", "p", "--quantity", "0"}), "--quantity: 0 is out of range 1..1000");
  EXPECT_EQ(usage_message({"uat", "--wait", "1s", "--no-wait"}), "--wait and --no-wait are mutually exclusive");
  EXPECT_EQ(usage_message({"uat", "--ttl", "500ms"}), "--ttl: 500ms is shorter than the minimum 1s");
  EXPECT_EQ(usage_message({"uat", "--watch-pid", "1"}), "--watch-pid needs --keep-alive");
  EXPECT_EQ(usage_message({"uat", "--max-hold", "1m"}), "--max-hold needs --keep-alive (or use lockctl run)");
  EXPECT_EQ(usage_message({""}), "resource name is empty");
  EXPECT_EQ(usage_message({"--pool", "p", "--slots", "2"}), "--slots applies to a RESOURCE, not to --pool");
  EXPECT_NE(usage_message({"uat", "--ttl", "soon"}).find("--ttl"), std::string::npos);
}

TEST(RunOptions, CommandAfterDoubleDash) {
  auto cli = parse_acquire_cli({"uat", "--ttl", "2s", "--", "sh", "-c", "exit 3"}, true, no_env);
  EXPECT_EQ(cli.command, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(cli.request.ttl, milliseconds(2000));
  EXPECT_EQ(usage_message({"uat"}, true), "missing the command to run after --");
  EXPECT_EQ(usage_message({"uat", "sh"}, true), "too many arguments (put the command after --)");
}

TEST(TokenOptions, TokenFromFlagOrEnvironment) {
  const std::string t(32, 'a');
  EXPECT_EQ(parse_token_cli({"uat", "--token", t}, "release", no_env).token, t);
  auto env = [&](const char* n) -> std::optional<std::string> {
    return std::string(n) == "LOCKCTL_TOKEN" ? std::optional<std::string>(t) : std::nullopt;
  };
  EXPECT_EQ(parse_token_cli({"uat"}, "release", env).token, t);
  EXPECT_THROW(parse_token_cli({"uat"}, "release", no_env), UsageError);
  EXPECT_THROW(parse_token_cli({"uat", "--token", "x"}, "renew", no_env), UsageError);
  EXPECT_TRUE(parse_token_cli({"uat"}, "force-release", no_env).token.empty());
}

TEST(QueryOptions, PoolCommands) {
  auto cli = parse_query_cli({"set", "uat", "uat-1", "uat-2"}, "pool", no_env);
  EXPECT_EQ(cli.names.size(), 4u);
  EXPECT_THROW(parse_query_cli({"set", "uat"}, "pool", no_env), UsageError);
  EXPECT_THROW(parse_query_cli({"drop", "uat"}, "pool", no_env), UsageError);
  EXPECT_THROW(parse_query_cli({}, "history", no_env), UsageError);
}

TEST(Help, ListsFlagsEnvironmentAndExitCodes) {
  auto help = command_help("run");
  EXPECT_NE(help.find("--max-hold"), std::string::npos);
  EXPECT_NE(help.find("REDIS_URL"), std::string::npos);
  EXPECT_NE(help.find("74"), std::string::npos);
  EXPECT_NE(command_help("").find("force-release"), std::string::npos);
}

}  // namespace
}  // namespace ciutils::lockctl
