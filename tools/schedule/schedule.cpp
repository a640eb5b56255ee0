// schedule's command table: every command's usage, summary, help and flags, declared once.
#include "schedule.h"

#include "commands.h"

#include "ciutils/error.h"

#include <iostream>

namespace ciutils::schedule {

namespace {

// The flags several commands share, each declared once.
void add_file(po::options_description& desc, const char* meaning = "schedule file (JSON)") {
  desc.add_options()("file,f", po::value<std::string>()->value_name("FILE"), meaning);
}
void add_queue(po::options_description& desc, const char* meaning = "the queue") {
  desc.add_options()("queue", po::value<std::string>()->value_name("Q"), meaning);
}
void add_now(po::options_description& desc, const char* meaning = "take this UTC time as now") {
  desc.add_options()("now", po::value<std::string>()->value_name("T"), meaning);
}
void add_name(po::options_description& desc, const char* meaning = "the schedule") {
  desc.add_options()("name", po::value<std::string>()->value_name("N"), meaning);
}
void add_limit(po::options_description& desc, const char* meaning) {
  desc.add_options()("limit", po::value<std::size_t>()->value_name("N"), meaning);
}
void add_min_replicas(po::options_description& desc,
                      const char* meaning = "after writing, wait up to 1s for N replicas to acknowledge (Redis WAIT); "
                                            "exit 3 when fewer did (default 0: do not wait)") {
  desc.add_options()("min-replicas", po::value<int>()->value_name("N"), meaning);
}
void add_id(po::options_description& desc) {
  desc.add_options()("id", po::value<std::string>()->value_name("ID"), "task id");
}

void lint_options(po::options_description& desc) { add_file(desc); }

void next_options(po::options_description& desc) {
  add_file(desc);
  add_name(desc, "only this schedule");
  desc.add_options()
      ("cron", po::value<std::string>()->value_name("EXPR"), "a cron expression instead of a file")
      ("timezone", po::value<std::string>()->value_name("Z"), "with --cron: IANA time zone (default UTC)")
      ("count,n", po::value<int>()->value_name("N"), "how many fire times (default 5)");
  add_now(desc, "compute from this UTC time instead of the clock");
}

void explain_options(po::options_description& desc) {
  add_file(desc);
  add_name(desc);
  desc.add_options()("slot", po::value<std::string>()->value_name("T"),
                     "the slot (UTC); default: the latest slot before now");
  add_now(desc);
}

void tick_options(po::options_description& desc) {
  add_file(desc);
  add_now(desc, "take this UTC time as now instead of Redis time (for tests)");
  desc.add_options()("batch", po::value<std::size_t>()->value_name("N"), "schedules per Lua script call (default 2000)");
  add_min_replicas(desc);
}

void daemon_options(po::options_description& desc) { add_file(desc); }

void status_options(po::options_description& desc) {
  add_file(desc, "schedule file: report its schedules and their queues");
  desc.add_options()("queue", po::value<std::vector<std::string>>()->composing()->value_name("Q"),
                     "report this queue (repeatable)");
  add_now(desc);
}

void pause_options(po::options_description& desc) {
  add_name(desc);
  desc.add_options()
      ("until", po::value<std::string>()->value_name("T"), "resume by itself at this UTC time, or after this duration (2h)")
      ("reason", po::value<std::string>()->value_name("R"), "why, shown by status and explain");
}

void resume_options(po::options_description& desc) { add_name(desc); }

void trigger_options(po::options_description& desc) {
  add_name(desc);
  add_file(desc);
}

void enqueue_options(po::options_description& desc) {
  add_queue(desc);
  add_name(desc, "schedule name for the task id and history (default adhoc)");
  desc.add_options()("payload", po::value<std::string>()->value_name("JSON"), "task payload, a JSON object (default {})");
  add_min_replicas(desc);
}

void take_options(po::options_description& desc) {
  add_queue(desc);
  desc.add_options()
      ("wait", po::value<std::string>()->value_name("D"), "wait up to this long for a task (default 0: do not wait)")
      ("visibility", po::value<std::string>()->value_name("D"),
       "how long the task stays leased without an ack before another worker reclaims it (default 5m)")
      ("consumer", po::value<std::string>()->value_name("NAME"), "consumer name (default host:take)");
}

void ack_options(po::options_description& desc) {
  add_id(desc);
  add_queue(desc, "the queue (default: $TASK_QUEUE)");
}

void fail_options(po::options_description& desc) {
  ack_options(desc);
  desc.add_options()
      ("retry-in", po::value<std::string>()->value_name("D"), "retry after this long (default 10s)")
      ("max-attempts", po::value<int>()->value_name("N"), "dead-letter instead once this many attempts failed (default 3)")
      ("reason", po::value<std::string>()->value_name("R"), "reason recorded with a dead letter");
}

void work_options(po::options_description& desc) {
  add_queue(desc);
  desc.add_options()
      ("jobs,j", po::value<int>()->value_name("N"), "tasks run at once (default 1)")
      ("max-attempts", po::value<int>()->value_name("N"), "attempts before a failing task goes to the dead letters (default 3)")
      ("visibility", po::value<std::string>()->value_name("D"),
       "a task whose worker stops heartbeating is reclaimed after this long (default 5m)")
      ("timeout", po::value<std::string>()->value_name("D"), "kill CMD's process group after this long (default 0: none)")
      ("kill-grace", po::value<std::string>()->value_name("D"), "SIGTERM to SIGKILL delay for a timed-out CMD (default 5s)")
      ("grace", po::value<std::string>()->value_name("D"),
       "on SIGTERM, let running tasks finish this long before handing them back (default 30s)")
      ("retry-delay", po::value<std::string>()->value_name("D"), "backoff before the first retry, doubling after (default 10s)")
      ("retry-max-delay", po::value<std::string>()->value_name("D"), "backoff cap (default 10m)")
      ("infra-exit-codes", po::value<std::string>()->value_name("LIST"),
       "comma-separated exit codes meaning an infrastructure error: retried without counting an attempt")
      ("max-tasks", po::value<long long>()->value_name("N"), "exit 0 after taking this many tasks")
      ("exit-when-empty", "exit 0 once the queue's work is finished (no task left, none leased, no retry waiting)")
      ("consumer", po::value<std::string>()->value_name("NAME"), "consumer name (default host:pid:work)");
  add_min_replicas(desc,
                   "after recording each run's result and history, wait up to 1s for N replicas to acknowledge "
                   "(Redis WAIT); when fewer did, say so on stderr and go on (default 0: do not wait)");
}

void dead_letters_options(po::options_description& desc) {
  add_queue(desc);
  desc.add_options()("requeue", "move every dead letter back onto the queue as attempt 1");
  add_limit(desc, "list at most this many (default 100)");
}

void history_options(po::options_description& desc) {
  add_name(desc);
  add_limit(desc, "the last this many runs (default 20)");
}

constexpr std::string_view k_schedules = "Schedules (-f FILE, a JSON schedule file; see docs/schedule.md)";
constexpr std::string_view k_tasks = "Tasks";

constexpr Command k_commands[] = {
    {.name = "lint", .group = k_schedules, .summary = "check a schedule file", .usage = "schedule lint -f FILE",
     .description = "Checks a schedule file: JSON syntax, cron expressions, time zones, policies, payloads,\n"
                    "duplicate names. Errors name file:line:column.",
     .options = lint_options, .positional = "file", .positional_max = 1, .run = cmd_lint},
    {.name = "next", .group = k_schedules, .summary = "the next fire times, in the schedule's zone and in UTC",
     .usage = "schedule next (-f FILE [--name N] | --cron EXPR [--timezone Z]) [-n 5]",
     .description = "Prints the next fire times of each schedule, in its time zone and in UTC.",
     .options = next_options, .run = cmd_next},
    {.name = "explain", .group = k_schedules, .summary = "why a slot was or was not enqueued",
     .usage = "schedule explain -f FILE --name N [--slot T]",
     .description = "Says why a slot of a schedule was or was not enqueued, from the decisions ticks\n"
                    "recorded in Redis.",
     .options = explain_options, .redis = true, .run = cmd_explain},
    {.name = "tick", .group = k_schedules, .summary = "enqueue everything due now (and missed slots per policy)",
     .usage = "schedule tick -f FILE",
     .description = "Enqueues every due slot of every schedule (and missed ones per catch_up), exactly once\n"
                    "however many ticks run at once on however many hosts, then exits. Call it every minute\n"
                    "from system cron, a Jenkins cron job or a GitHub `on: schedule` workflow.",
     .options = tick_options, .redis = true, .run = cmd_tick},
    {.name = "daemon", .group = k_schedules, .summary = "the same, long-running; SIGHUP reloads the file",
     .usage = "schedule daemon -f FILE",
     .description = "Runs tick whenever a slot falls due, sleeping until the next one in between. SIGHUP\n"
                    "reloads the file (a file that does not validate is refused and the old one kept).\n"
                    "SIGTERM/SIGINT stop it. Redis outages are retried every 5s; the next tick catches up.",
     .options = daemon_options, .redis = true, .run = cmd_daemon},
    {.name = "status", .group = k_schedules, .summary = "schedules' last/next slots, pauses, queues' lengths and leases",
     .usage = "schedule status [-f FILE] [--queue Q]...",
     .description = "Per schedule: last decided slot, next slot, lag, run in flight, pause. Per queue: length,\n"
                    "pending tasks by consumer, oldest pending age, retries waiting, dead letters.",
     .options = status_options, .redis = true, .run = cmd_status},
    {.name = "pause", .group = k_schedules, .summary = "skip a schedule's slots until resumed (or T)",
     .usage = "schedule pause NAME [--until T] [--reason R]",
     .description = "Pauses a schedule without editing the file: from the next tick on its slots are recorded\n"
                    "as skipped (and not caught up on resume) until `schedule resume NAME` or --until.\n"
                    "Pausing again replaces the pause. `schedule trigger` still runs it by hand.",
     .options = pause_options, .positional = "name", .positional_max = 1, .redis = true, .run = cmd_pause},
    {.name = "resume", .group = k_schedules, .summary = "end a pause", .usage = "schedule resume NAME",
     .description = "Ends a pause: the schedule's next slot is enqueued as usual (slots skipped while paused\n"
                    "are not caught up). Resuming a schedule that is not paused succeeds.",
     .options = resume_options, .positional = "name", .positional_max = 1, .redis = true, .run = cmd_resume},
    {.name = "trigger", .group = k_schedules, .summary = "enqueue a run now with its payload (once per minute)",
     .usage = "schedule trigger NAME -f FILE",
     .description = "Enqueues a run of the schedule now, with its payload, on its queue: task id\n"
                    "NAME@<minute UTC>/trigger. Deduplicated per minute (Redis time): a second trigger in\n"
                    "the same minute enqueues nothing. Prints the task JSON either way.",
     .options = trigger_options, .positional = "name", .positional_max = 1, .redis = true, .run = cmd_trigger},
    {.name = "enqueue", .group = k_tasks, .summary = "an ad-hoc task (PAYLOAD is a JSON object)",
     .usage = "schedule enqueue --queue Q [--name N] [PAYLOAD]",
     .description = "Enqueues an ad-hoc task (e.g. after a deploy) and prints it. Its id is N@<now UTC>.",
     .options = enqueue_options, .positional = "payload", .positional_max = 1, .redis = true, .run = cmd_enqueue},
    {.name = "take", .group = k_tasks, .summary = "lease one task and print it as JSON",
     .usage = "schedule take --queue Q [--wait D]",
     .description = "Leases one task and prints it as JSON. Finish it with `schedule ack ID` or\n"
                    "`schedule fail ID`; unfinished, it is reclaimed after --visibility.",
     .options = take_options, .redis = true, .run = cmd_take},
    {.name = "ack", .group = k_tasks, .summary = "finish a task", .usage = "schedule ack ID --queue Q",
     .description = "Finishes a taken task.", .options = ack_options, .positional = "id", .positional_max = 1,
     .redis = true, .run = cmd_ack},
    {.name = "fail", .group = k_tasks, .summary = "retry a task later or dead-letter it",
     .usage = "schedule fail ID --queue Q [--retry-in D] [--max-attempts N]",
     .description = "Fails a taken task: it is retried after --retry-in as the next attempt, or moved to the\n"
                    "dead letters once --max-attempts attempts have failed.",
     .options = fail_options, .positional = "id", .positional_max = 1, .redis = true, .run = cmd_fail},
    {.name = "work", .group = k_tasks, .summary = "run CMD once per task",
     .usage = "schedule work --queue Q [-j N] [OPTIONS] -- CMD [ARG...]",
     .description = "Takes tasks and runs CMD once per task: the task JSON on stdin; TASK_ID, TASK_QUEUE,\n"
                    "TASK_ATTEMPT, TASK_SCHEDULE, TASK_SLOT and TASK_PAYLOAD_<FIELD> in the environment.\n"
                    "Exit 0 acks; other codes retry with backoff, then dead-letter. CMD runs in its own\n"
                    "process group; the lease is heartbeated while it runs. CMD dies with the worker, even\n"
                    "by kill -9; descendants that left its group are killed when the task ends. History\n"
                    "write failures are logged and never cost a result.",
     .options = work_options, .redis = true, .takes_command = true, .run = cmd_work},
    {.name = "dead-letters", .group = k_tasks, .summary = "list (or requeue) dead letters",
     .usage = "schedule dead-letters --queue Q [--requeue]",
     .description = "Lists the tasks that failed --max-attempts times, with the reason; --requeue puts them\n"
                    "back onto the queue.",
     .options = dead_letters_options, .redis = true, .run = cmd_dead_letters},
    {.name = "history", .group = k_tasks, .summary = "finished runs of a schedule", .usage = "schedule history NAME [--limit N]",
     .description = "Finished runs of a schedule, oldest first: id, slot, enqueued, started, ended, worker,\n"
                    "exit, attempts, status (a capped stream of the last ~1000).",
     .options = history_options, .positional = "name", .positional_max = 1, .redis = true, .run = cmd_history},
};

constexpr EnvVar k_environment[] = {
    {"TASK_QUEUE", "ack, fail: the queue when --queue is not given (set for work's CMD)"},
    {"TZDIR", "time-zone files to read first (then share/zoneinfo beside bin/, then /usr/share/zoneinfo)"},
};

constexpr std::string_view k_exit_codes[] = {"0", "2", "3", "125", "child's own"};

constexpr Tool k_tool{
    .name = "schedule",
    .summary = "cron schedules enqueued exactly once into Redis streams, and workers that never lose a task",
    .description = "Cron schedules enqueued exactly once into Redis streams, and workers that never lose a task.",
    .commands = k_commands,
    .environment = k_environment,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::schedule
