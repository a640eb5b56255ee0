// The subcommands of `schedule`; each takes its own arguments (after the subcommand name)
// and returns the exit code. Data goes to out, messages to err.
#pragma once

#include "schedule_file.h"

#include "ciutils/cli.h"
#include "ciutils/redis.h"
#include "ciutils/timestamp.h"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::schedule {

struct CommandContext {
  std::vector<std::string> args;
  std::ostream& out;
  std::ostream& err;
};

int cmd_lint(CommandContext& ctx);
int cmd_next(CommandContext& ctx);
int cmd_explain(CommandContext& ctx);
int cmd_tick(CommandContext& ctx);
int cmd_daemon(CommandContext& ctx);
int cmd_enqueue(CommandContext& ctx);
int cmd_take(CommandContext& ctx);
int cmd_ack(CommandContext& ctx);
int cmd_fail(CommandContext& ctx);
int cmd_work(CommandContext& ctx);
int cmd_status(CommandContext& ctx);
int cmd_dead_letters(CommandContext& ctx);
int cmd_history(CommandContext& ctx);
int cmd_pause(CommandContext& ctx);
int cmd_resume(CommandContext& ctx);
int cmd_trigger(CommandContext& ctx);

// Shared option helpers.
void add_redis_options(po::options_description& desc);
RedisUrl redis_url_of(const po::variables_map& vm);
// --namespace, else $CIUTILS_NAMESPACE, else "ciutils"; empty or with '{', '}', ':' or a
// space it is a UsageError (the rule lockctl applies).
KeySpace space_of(const po::variables_map& vm);
std::optional<SysSeconds> now_of(const po::variables_map& vm);  // --now, when given
// "2026-11-24 02:37:00 CET" for a slot in a schedule's zone.
std::string local_time_text(const Schedule& schedule, SysSeconds t);

// Prints the subcommand's help or the version when -h/--version was given; true when it did.
bool show_help(const CommonOptions& common, CommandContext& ctx, const char* synopsis, const char* description,
               const po::options_description& desc);

// The text printed after each subcommand's options: environment and exit codes.
extern const char* const k_help_footer;

}  // namespace ciutils::schedule
