#include "options.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <map>

namespace ciutils::lockctl {
namespace {

std::optional<std::string> no_env(const char*) { return std::nullopt; }

// ARGS parsed with a command's flags and its positional words, as the command table does.
po::variables_map vm_of(void (*options)(po::options_description&), const std::vector<std::string>& args) {
  po::options_description desc;
  options(desc);
  desc.add_options()(k_arguments, po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add(k_arguments, -1);
  return parse_args(args, desc, positional);
}

void no_options(po::options_description&) {}

AcquireCli acquire(const std::vector<std::string>& args, std::vector<std::string> command = {}) {
  return parse_acquire_cli(vm_of(acquire_options, args), std::move(command), false, no_env);
}

AcquireCli run(const std::vector<std::string>& args, std::vector<std::string> command) {
  return parse_acquire_cli(vm_of(run_options, args), std::move(command), true, no_env);
}

std::string usage_message(const std::vector<std::string>& args) {
  try {
    acquire(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TokenCli token(const std::vector<std::string>& args, const std::string& command, const EnvLookup& env = no_env) {
  return parse_token_cli(vm_of(command == "renew" ? renew_options : release_options, args), command, env);
}

QueryCli pool(const std::vector<std::string>& args) { return parse_query_cli(vm_of(no_options, args), "pool", no_env); }

TEST(AcquireOptions, Defaults) {
  auto cli = acquire({"uat"});
  EXPECT_EQ(cli.request.target.name, "uat");
  EXPECT_FALSE(cli.request.target.pool);
  EXPECT_EQ(cli.request.ttl, milliseconds(60000));
  EXPECT_FALSE(cli.request.wait.has_value());
  EXPECT_EQ(cli.conflict_exit_code, 75);
}

TEST(AcquireOptions, PoolQuantityWaitPriority) {
  auto cli = acquire({"--pool", "uat", "--quantity", "2", "--wait", "5s", "--priority", "7"});
  EXPECT_TRUE(cli.request.target.pool);
  EXPECT_EQ(cli.request.target.quantity, 2);
  EXPECT_EQ(cli.request.wait, milliseconds(5000));
  EXPECT_EQ(cli.request.priority, 7);
  EXPECT_EQ(acquire({"uat", "--no-wait"}).request.wait, milliseconds(0));
}

TEST(AcquireOptions, RejectsBadCombinations) {
  EXPECT_EQ(usage_message({}), "RESOURCE: missing (or --pool POOL)");
  EXPECT_EQ(usage_message({"uat", "--pool", "p"}), "--pool: give either RESOURCE... or --pool, not both");
  EXPECT_EQ(usage_message({"uat", "--quantity", "2"}), "--quantity: needs --pool or --label");
  EXPECT_EQ(usage_message({"--pool", "p", "--quantity", "0"}), "--quantity: 0 is out of range 1..1000");
  EXPECT_EQ(usage_message({"uat", "--wait", "1s", "--no-wait"}), "--no-wait: give --wait or --no-wait, not both");
  EXPECT_EQ(usage_message({"uat", "--ttl", "500ms"}), "--ttl: 500ms is shorter than the minimum 1s");
  EXPECT_EQ(usage_message({"uat", "--watch-pid", "1"}), "--watch-pid: needs --keep-alive");
  EXPECT_EQ(usage_message({"uat", "--max-hold", "1m"}), "--max-hold: needs --keep-alive (or use lockctl run)");
  EXPECT_EQ(usage_message({""}), "RESOURCE: empty name");
  EXPECT_EQ(usage_message({"--pool", "p", "--slots", "2"}), "--slots: applies to a RESOURCE, not to --pool");
  EXPECT_NE(usage_message({"uat", "--ttl", "soon"}).find("--ttl"), std::string::npos);
  EXPECT_EQ(usage_message({"a", "b", "a"}), "RESOURCE: 'a' is given twice");
}

TEST(RunOptions, TheCommandAndKillGrace) {
  auto cli = run({"uat", "--ttl", "2s", "--kill-grace", "3s"}, {"sh", "-c", "exit 3"});
  EXPECT_EQ(cli.command, (std::vector<std::string>{"sh", "-c", "exit 3"}));
  EXPECT_EQ(cli.request.ttl, milliseconds(2000));
  EXPECT_EQ(cli.kill_grace, milliseconds(3000));
  EXPECT_THROW(acquire({"uat", "--kill-grace", "3s"}), UsageError);
}

TEST(TokenOptions, TokenFromFlagOrEnvironment) {
  const std::string t(32, 'a');
  EXPECT_EQ(token({"uat", "--token", t}, "release").token, t);
  auto env = [&](const char* n) -> std::optional<std::string> {
    return std::string(n) == "LOCKCTL_TOKEN" ? std::optional<std::string>(t) : std::nullopt;
  };
  EXPECT_EQ(token({"uat"}, "release", env).token, t);
  EXPECT_THROW(token({"uat"}, "release"), UsageError);
  EXPECT_THROW(token({"uat", "--token", "x"}, "renew"), UsageError);
  EXPECT_EQ(parse_token_cli(vm_of(force_release_options, {"uat"}), "force-release", no_env).token, "");
  try {
    token({"uat", "b", "--token", t}, "release");
    ADD_FAILURE() << "two resources accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "'b': unexpected argument (release takes one RESOURCE)");
  }
}

TEST(QueryOptions, PoolCommands) {
  auto cli = pool({"set", "uat", "uat-1", "uat-2"});
  EXPECT_EQ(cli.names.size(), 4u);
  EXPECT_THROW(pool({"set", "uat"}), UsageError);
  EXPECT_THROW(pool({"drop", "uat"}), UsageError);
  EXPECT_THROW(parse_query_cli(vm_of(history_options, {}), "history", no_env), UsageError);
}

TEST(ServeOptions, HashKeyOrTheServer) {
  auto cli = parse_serve_cli(vm_of(serve_options, {"hash-key", "ci", "uat-*"}));
  EXPECT_TRUE(cli.hash_key);
  EXPECT_EQ(cli.names, (std::vector<std::string>{"ci", "uat-*"}));
  cli = parse_serve_cli(vm_of(serve_options, {"--api-keys", "k", "--listen", "[::1]:0"}));
  EXPECT_EQ(cli.host, "::1");
  EXPECT_EQ(cli.port, 0);
  EXPECT_THROW(parse_serve_cli(vm_of(serve_options, {"--api-keys", "k", "--tls-cert", "c"})), UsageError);
}

}  // namespace
}  // namespace ciutils::lockctl
