// prun's command line: flags parsed into Options, checked for conflicts.
#pragma once

#include "headroom.h"
#include "job_input.h"

#include "ciutils/cli.h"
#include "ciutils/process.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::prun {

enum class OutputMode { group, tag, ungroup };

// --halt: when to stop after failures.
struct HaltPolicy {
  enum class When { never, soon, now };
  When when = When::never;
  int after_failures = 1;  // fail=N
};
// "now", "soon", "fail=N", "now,fail=N", "soon,fail=N", "never".
HaltPolicy parse_halt(std::string_view text);

// --shard I/N (1-based I) or "auto" (from the CI's variables).
struct Shard {
  int index = 1;  // 1..total
  int total = 1;
};
Shard parse_shard(std::string_view text);
// The shard from CI_NODE_INDEX/CI_NODE_TOTAL (1-based), CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL
// or BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT (0-based); nullopt when none is set.
std::optional<Shard> shard_from_environment();

// --slot-env K=V1,V2,…: slot i gets value i modulo the number of values.
struct SlotEnv {
  std::string key;
  std::vector<std::string> values;
};
SlotEnv parse_slot_env(std::string_view text);
// "K=V" checked (non-empty key without '=').
std::string parse_env_assignment(std::string_view text, std::string_view flag);

// One input source: -a FILE, the words after :::, or a file after ::::.
struct InputSource {
  std::vector<std::string> words;  // ::: words
  std::string path;                // -a / :::: file ("-": stdin)
  bool is_file = false;
  bool linked = false;  // :::+ / ::::+: paired with the source before it
  std::string flag;     // for errors: "--arg-file" or "::::"
};

struct Options {
  CommonOptions common;
  std::vector<std::string> arg_files;        // -a
  std::string plan_file;                     // -f
  std::vector<std::string> command_template; // words after --
  std::vector<InputSource> sources;          // -a files, then ::: and :::: in order; none: stdin
  bool link = false;                         // --link: sources paired, not crossed
  InputFormat input_format;                  // -d/-0, --skip-empty, -N
  bool context_replace = false;              // -X
  bool no_shell = false;                     // --no-shell: the template's words are argv
  int jobs = 0;                              // -j; 0: number of CPUs
  bool jobs_given = false;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<double> timeout_percent;  // --timeout N%: of the median duration of passed jobs
  std::chrono::milliseconds delay{0};     // --delay: between job starts
  HeadroomLimits headroom;                // --memfree, --load
  KillSequence kill_sequence = default_kill_sequence();
  int retries = 0;
  bool fail_on_flaky = false;
  bool retry_other_slot = false;
  HaltPolicy halt;
  std::vector<std::string> env;    // K=V
  std::vector<SlotEnv> slot_env;
  std::string results_file;
  std::string joblog_file;
  std::string log_dir;
  OutputMode output = OutputMode::group;
  bool timestamps = false;
  std::optional<std::string> tagstring;  // --tagstring (implies --tag)
  bool merge_stderr = false;  // one pipe for a job's stdout and stderr
  bool keep_order = false;    // -k
  enum class Resume { none, resume, resume_failed, retry_failed };
  Resume resume = Resume::none;  // from the --results file of an earlier run
  std::string timings_file;
  std::optional<Shard> shard;
  std::chrono::milliseconds cancel_grace{7000};
  std::string run_id;
  std::size_t tail_bytes = 4096;
  std::optional<bool> progress;  // nullopt: when stderr is a terminal or a CI is detected
  bool progress_bar = false;     // --bar
  std::optional<std::chrono::milliseconds> progress_interval;
  bool dry_run = false;
};

// prun's flags, declared once: the job sources (-a, -f, --timings, --run-id), which a queue
// worker declares its own way, and every other flag, which `prun queue work` takes too.
void add_source_flags(po::options_description& desc);
void add_run_flags(po::options_description& desc);

// The flags parsed (their words in "command") checked into Options; UsageError naming the
// flag on bad input. help/version are flagged in common.
Options options_from(const po::variables_map& vm, const CommonOptions& common);
// The same from args (without argv[0]).
Options parse_options(const std::vector<std::string>& args);

}  // namespace ciutils::prun
