#include "schedule.h"

#include "commands.h"

#include "ciutils/error.h"

#include <iostream>
#include <map>

namespace ciutils::schedule {

const char* const k_help_footer = R"(Environment:
  REDIS_URL           redis://[user:password@]host:port/db, rediss://… (TLS) or
                      unix:///path.sock?db=N (default redis://127.0.0.1:6379/0; --redis wins)
  CIUTILS_REDIS_CACERT, CIUTILS_REDIS_CERT, CIUTILS_REDIS_KEY
                      rediss://: the CA to trust, a client certificate and its key
  CIUTILS_NAMESPACE   key prefix (default ciutils; --namespace wins; no '{', '}', ':'
                      or spaces)
  TZDIR               time-zone files to read first (then share/zoneinfo beside bin/,
                      then /usr/share/zoneinfo)

Exit status:
  0    success
  1    take: no task within --wait; ack/fail: no worker holds the task
  2    usage error or invalid input (schedule file, cron, zone, policy, payload):
       nothing was enqueued
  3    Redis unreachable
  130/143  work, daemon: interrupted / terminated (work hands back unfinished tasks)
)";

bool show_help(const CommonOptions& common, CommandContext& ctx, const char* synopsis, const char* description,
               const po::options_description& desc) {
  if (common.help) {
    ctx.out << help_text(synopsis, description, desc, k_help_footer);
    return true;
  }
  if (common.version) {
    ctx.out << version_text("schedule") << "\n";
    return true;
  }
  return false;
}

namespace {

const char* const k_usage = R"(Usage: schedule COMMAND [OPTIONS]

Cron schedules enqueued exactly once into Redis streams, and workers that never lose a task.

Schedules (-f FILE, a JSON schedule file; see docs/schedule.md):
  lint -f FILE                check a schedule file
  next -f FILE [--name N] [-n 5]   the next fire times, in the schedule's zone and in UTC
  explain -f FILE --name N [--slot T]   why a slot was or was not enqueued
  tick -f FILE                enqueue everything due now (and missed slots per policy)
  daemon -f FILE              the same, long-running; SIGHUP reloads the file
  status [-f FILE] [--queue Q]   schedules' last/next slots, pauses, queues' lengths and leases
  pause NAME [--until T] [--reason R]   skip a schedule's slots until resumed (or T)
  resume NAME                 end a pause
  trigger NAME -f FILE        enqueue a run now with its payload (once per minute)

Tasks:
  enqueue --queue Q [--name N] PAYLOAD   an ad-hoc task (PAYLOAD is a JSON object)
  take --queue Q [--wait D]   lease one task and print it as JSON
  ack ID --queue Q            finish a task
  fail ID --queue Q [--retry-in D] [--max-attempts N]   retry a task later or dead-letter it
  work --queue Q [-j N] -- CMD [ARG...]   run CMD once per task
  dead-letters --queue Q [--requeue]   list (or requeue) dead letters
  history NAME [--limit N]    finished runs of a schedule

Every command that uses Redis takes --redis URL and --namespace NS.
Run `schedule COMMAND --help` for a command's options.

)";

}  // namespace

int run(int argc, char** argv) {
  auto args = args_of(argc, argv);
  if (args.empty()) {
    std::cerr << k_usage << k_help_footer;
    return to_int(ExitCode::usage);
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << k_usage << k_help_footer;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << version_text("schedule") << "\n";
    return 0;
  }
  static const std::map<std::string, int (*)(CommandContext&)> k_commands = {
      {"lint", cmd_lint},       {"next", cmd_next},       {"explain", cmd_explain},
      {"tick", cmd_tick},       {"daemon", cmd_daemon},   {"enqueue", cmd_enqueue},
      {"take", cmd_take},       {"ack", cmd_ack},         {"fail", cmd_fail},
      {"work", cmd_work},       {"status", cmd_status},   {"dead-letters", cmd_dead_letters},
      {"history", cmd_history}, {"pause", cmd_pause},   {"resume", cmd_resume},
      {"trigger", cmd_trigger},
  };
  auto it = k_commands.find(args[0]);
  if (it == k_commands.end()) throw UsageError("unknown command '" + args[0] + "' (see schedule --help)");
  CommandContext ctx{{args.begin() + 1, args.end()}, std::cout, std::cerr};
  return it->second(ctx);
}

}  // namespace ciutils::schedule
