// prun's command table: running jobs here (no command word) and `prun queue VERB`, each
// command's usage, help and flags declared once.
#include "prun.h"

#include "queue_command.h"

#include "ciutils/command.h"

#include <iostream>

namespace ciutils::prun {

namespace {

void local_options(po::options_description& desc) {
  add_source_flags(desc);
  add_run_flags(desc);
}

int run_local(Invocation& inv) { return execute(options_from(inv.vm, inv.common)); }

// The jobs' output is the run's data: -q silences prun's own lines only.
constexpr const char* k_quiet = "no headers, summary, progress or notes (jobs' output and errors still print)";

constexpr std::string_view k_run_id_usage = "--queue Q --run-id ID";

constexpr Command k_queue_commands[] = {
    {.name = "push", .summary = "load the run's jobs (idempotent; --append adds lists)",
     .usage = "prun queue push --queue Q --run-id ID [--timings FILE] [-a FILE | -f plan.json] [--ttl D] [--append]",
     .description =
         "Loads the run's jobs (the lines of -a FILE or stdin, as prun reads them, or the jobs\n"
         "of a plan's steps) into Redis, longest-known first. Idempotent: every node may push the\n"
         "same list; a different list under the same run id is refused (exit 2). With --append,\n"
         "each distinct list is added to the run, which stays open until `prun queue seal`\n"
         "(pushing the same list again adds nothing). With --fallback, an unreachable Redis is a\n"
         "warning and exit 0, so `prun queue work --fallback` can run the static share.",
     .options = queue_push_options, .redis = true, .run = queue_push},
    {.name = "seal", .summary = "close a run opened by push --append",
     .usage = "prun queue seal --queue Q --run-id ID",
     .description = "Closes a run opened by push --append: no more lists can be added, and the workers\n"
                    "waiting for more jobs (--no-exit-when-drained) end once it is drained.",
     .options = queue_run_options, .redis = true, .run = queue_seal},
    {.name = "work", .summary = "lease and run the run's jobs as prun runs them",
     .usage = "prun queue work --queue Q --run-id ID -j N [prun's flags] [-- TEMPLATE]",
     .description =
         "Leases jobs of the run, runs them as prun does (every running and output flag of\n"
         "prun applies: --timeout, --retries, --env, --slot-env, --log-dir, --results, --tag...)\n"
         "and appends each record to the run's results stream. With -a or -f, pushes first.\n"
         "A plan's steps run in order across the workers, each job with its step's timeout,\n"
         "retries, env and slots; setup, teardown and cleanup run on every worker.\n"
         "Ends when nothing is queued or leased; exits as prun does for the jobs it ran.\n"
         "With --no-exit-when-drained it waits for the run to be pushed and, while the run is\n"
         "open (push --append), for more jobs, until the run is sealed and drained.",
     .options = queue_work_options, .positional = "command", .positional_max = -1, .positional_is_command = true, .redis = true,
     .quiet = k_quiet, .run = queue_work},
    {.name = "wait", .summary = "wait until every job is recorded (exit 0: all passed)",
     .usage = "prun queue wait --queue Q --run-id ID [--timeout D]",
     .description = "Waits until every job of the run is recorded, with progress on stderr.\n"
                    "Exit 0 when all passed, 1 otherwise, 124 after --timeout.",
     .options = queue_wait_options, .redis = true, .run = queue_wait},
    {.name = "results", .summary = "print the run's records (JSON Lines)",
     .usage = "prun queue results --queue Q --run-id ID > results.jsonl",
     .description = "Prints every record of the run so far (JSON Lines, one per job, first completion).",
     .options = queue_run_options, .redis = true, .run = queue_results},
    {.name = "status", .summary = "queued, leased, done, failed and quarantined jobs",
     .usage = "prun queue status --queue Q --run-id ID [--json]",
     .description = "Queued, leased by node, done, failed, quarantined and duplicate jobs of a run.",
     .options = queue_run_options, .redis = true, .run = queue_status},
};

constexpr Command k_commands[] = {
    {.name = "", .summary = "run commands in parallel",
     .usage = "prun [OPTIONS] < jobs.txt\n"
              "       prun [OPTIONS] -a FILE\n"
              "       prun [OPTIONS] -- COMMAND [ARG...] {}   (items from stdin or -a)\n"
              "       prun [OPTIONS] -- COMMAND {1} {2} ::: A B ::: C D   (or :::: FILE)\n"
              "       prun [OPTIONS] -f plan.json",
     .description = "Runs shell commands in parallel on a pool of slots.",
     .options = local_options, .positional = "command", .positional_max = -1,
     .positional_is_command = true, .quiet = k_quiet, .run = run_local},
    {.name = "queue", .summary = "one run over many machines",
     .usage = "prun queue push|seal|work|wait|results|status --queue Q --run-id ID ...",
     .description =
         "One run's jobs in Redis, drained by `prun queue work` on every CI node: each worker\n"
         "leases jobs as slots free up, runs them exactly as prun runs them, and appends each\n"
         "record to the run's results stream. A worker that dies loses its leases after\n"
         "--lease-timeout and others run its jobs; a job finished twice is recorded once (the\n"
         "first completion; later ones go to the duplicates stream). push --append adds lists\n"
         "to an open run until `prun queue seal`; work --no-exit-when-drained waits for them.",
     .commands = k_queue_commands},
};

constexpr EnvVar k_environment[] = {
    {"GITHUB_ACTIONS", "\"true\": job output in ::group:: blocks, workflow commands neutralised"},
    {"CI, JENKINS_URL, TF_BUILD", "a CI's log: a progress line every 30s (never carriage returns)"},
    {"CI_NODE_INDEX, CI_NODE_TOTAL", "--shard auto (1-based; also CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL and "
                                     "BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT, 0-based)"},
};

constexpr std::string_view k_exit_codes[] = {"0", "1", "2", "3", "125", "128+N"};

constexpr Tool k_tool{
    .name = "prun",
    .summary = "run commands in parallel with timeouts, steps, cleanup, retries and per-slot isolation",
    .description =
        "Runs shell commands in parallel on a pool of slots: one command per input line, a\n"
        "command template filled with each input line, or the steps of a plan file. Every job\n"
        "runs in its own process group with its output captured; timeouts kill the whole group;\n"
        "cleanup and teardown always run; one result record per job goes to --results.\n"
        "\n"
        "Replacement strings in a command template: {} the job's arguments, {.} without their\n"
        "extension, {/} basename, {//} directory, {/.} basename without extension (all shell-\n"
        "quoted), {N} {N.} {N/} {N//} {N/.} the Nth argument ({-N} from the end), {#} the job\n"
        "number, {%} the slot. Without any, the arguments are appended.\n"
        "Input sources: stdin, each -a FILE, the words after each :::, each file after ::::\n"
        "(- is stdin). Several sources are crossed (one argument from each per job, the first\n"
        "source varying slowest); :::+ pairs a source with the one before it, --link pairs all.\n"
        "Items end at a newline (-d DELIM, -0: NUL); empty items are empty arguments.\n"
        "Plan commands fill {#} and {%} too (not after '$').\n"
        "One input is read as the jobs run, so a slow producer feeds the pool; several sources,\n"
        "-X, --timings, --shard and --dry-run read all of it first.\n"
        "\n"
        "Environment of every job:\n"
        "  PRUN_JOB           the job number (1-based)\n"
        "  PRUN_SLOT          the slot (0-based, stable per worker); CI_COMMAND_NUMBER is the same\n"
        "  PRUN_SLOT_COUNT    the number of slots\n"
        "  PRUN_RUN_ID        unique per run (--run-id)\n"
        "  PROJECT_NAME       <run-id>-<slot>, usable as a docker compose project name\n"
        "  PRUN_SHARD_INDEX, PRUN_SHARD_TOTAL   with --shard: I (1-based) and N\n"
        "  TEST_SHARD_INDEX, TEST_TOTAL_SHARDS  with --shard: I-1 (0-based) and N, as Bazel sets them",
    .commands = k_commands,
    .environment = k_environment,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::prun
