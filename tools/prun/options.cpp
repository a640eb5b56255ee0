#include "options.h"

#include "command_template.h"

#include "ciutils/error.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <thread>

namespace ciutils::prun {

namespace {

struct RawOptions {
  std::string jobs;
  std::string timeout;
  std::string kill_sequence;
  std::string retries;
  std::string halt;
  std::vector<std::string> env;
  std::vector<std::string> slot_env;
  std::string shard;
  std::string cancel_grace;
  std::string tail;
  bool group = false;
  bool tag = false;
  bool ungroup = false;
  bool progress = false;
  bool no_progress = false;
  bool eta = false;
  std::string progress_interval;
  bool resume = false;
  bool resume_failed = false;
  bool retry_failed = false;
  std::string delimiter;
  bool null = false;
  std::string max_args;
  bool no_run_if_empty = false;
  std::string delay;
  std::string memfree;
  std::string load;
};

}  // namespace

void add_source_flags(po::options_description& desc) {
  // clang-format off
  desc.add_options()
      ("arg-file,a", po::value<std::vector<std::string>>()->value_name("FILE")->composing(), "read job lines (or template items) from FILE instead of stdin; each -a is one more input source")
      ("plan,f", po::value<std::string>()->value_name("FILE"), "run the steps of a plan file (JSON)")
      ("timings", po::value<std::string>()->value_name("FILE"), "a previous results FILE: run the longest-known jobs first")
      ("run-id", po::value<std::string>()->value_name("ID"), "the run's id (default: prun-<time>-<pid>)");
  // clang-format on
}

void add_run_flags(po::options_description& desc) {
  // clang-format off
  desc.add_options()
      ("link", po::bool_switch(), "pair the input sources (the Nth values together, shorter ones wrapping) instead of crossing them")
      ("delimiter,d", po::value<std::string>()->value_name("DELIM"), "items end at DELIM, not at a newline (C escapes: \\n \\t \\0 \\xHH)")
      ("null,0", po::bool_switch(), "items end at a NUL byte (find -print0)")
      ("skip-empty", po::bool_switch(), "drop empty and blank items (they are kept as empty arguments by default)")
      ("no-run-if-empty,r", po::bool_switch(), "the same as --skip-empty (GNU parallel's name)")
      ("max-args,N", po::value<std::string>()->value_name("N"), "N items per job, {1}..{N} in the template (0: one item read per job, none used)")
      ("context-replace,X", po::bool_switch(), "many items per job, as evenly spread over the slots as the length allows; a word holding {} is repeated per item")
      ("no-shell", po::bool_switch(), "run the template's words as a program's arguments, without a shell (as xargs)")
      ("jobs,j", po::value<std::string>()->value_name("N"), "number of slots (default: number of CPUs)")
      ("timeout", po::value<std::string>()->value_name("D"), "kill a job that runs longer than D (\"90s\", \"0.5s\", \"10m\"), or than N% of the median duration of the jobs passed so far (\"200%\")")
      ("delay", po::value<std::string>()->value_name("D"), "start jobs at least D apart")
      ("memfree", po::value<std::string>()->value_name("SIZE"), "start a job only while the memory available is at least SIZE")
      ("load", po::value<std::string>()->value_name("N"), "start a job only while fewer than N other processes run or wait on I/O (N% of the CPUs)")
      ("kill-sequence", po::value<std::string>()->value_name("SEQ"), "signals for a timed-out or cancelled job (default TERM,10s,KILL)")
      ("retries", po::value<std::string>()->value_name("N"), "retry a failed job up to N times; passing after a retry is flaky")
      ("fail-on-flaky", po::bool_switch(), "count flaky jobs as failures")
      ("retry-other-slot", po::bool_switch(), "run a retry on another slot than the failed attempt (its host, via --slot-env)")
      ("halt", po::value<std::string>()->value_name("WHEN"), "now|soon|fail=N|now,fail=N|soon,fail=N: stop after failures")
      ("env,e", po::value<std::vector<std::string>>()->value_name("K=V")->composing(), "K=V: set in every job's environment (repeatable)")
      ("slot-env", po::value<std::vector<std::string>>()->value_name("K=V1,V2")->composing(), "K=V1,V2,...: slot i gets value i modulo the count (\\, is a comma in a value; repeating K adds values)")
      ("results", po::value<std::string>()->value_name("FILE"), "write one JSON result record per job to FILE as each ends")
      ("joblog", po::value<std::string>()->value_name("FILE"), "write GNU parallel's --joblog format to FILE (- for stdout)")
      ("log-dir", po::value<std::string>()->value_name("DIR"), "keep each job's output in DIR/<job>.log")
      ("group", po::bool_switch(), "print each job's output whole when it ends, under a header (default)")
      ("tag", po::bool_switch(), "print output lines as they come, prefixed [slot/job]")
      ("ungroup", po::bool_switch(), "pass output through as it comes")
      ("tagstring", po::value<std::string>()->value_name("STR"), "--tag with STR before a tab instead of [slot/job]; replacement strings filled, unquoted")
      ("timestamps", po::bool_switch(), "with --tag: prefix lines with the UTC time")
      ("resume", po::bool_switch(), "skip the jobs the --results file already has a record of; append to it")
      ("resume-failed", po::bool_switch(), "skip the jobs that passed in the --results file; run the rest; append")
      ("retry-failed", po::bool_switch(), "run only the jobs that failed in the --results file (no input read); append")
      ("keep-order,k", po::bool_switch(), "--group: print jobs' output in input order, each as soon as those before it are done")
      ("merge-stderr", po::bool_switch(), "give each job one pipe for stdout and stderr (as 2>&1: exact order)")
      ("shard", po::value<std::string>()->value_name("I/N"), "I/N or auto: run only shard I of N (longest-first split)")
      ("cancel-grace", po::value<std::string>()->value_name("D"), "on SIGINT/SIGTERM/SIGHUP, time for jobs, teardown and cleanup (default 7s)")
      ("tail", po::value<std::string>()->value_name("SIZE"), "bytes of stdout/stderr kept in each record (default 4KiB)")
      ("progress", po::bool_switch(), "show progress on stderr even when it is not a terminal")
      ("no-progress", po::bool_switch(), "never show progress")
      ("eta", po::bool_switch(), "the same as --progress (the progress line has the ETA)")
      ("bar", po::bool_switch(), "--progress with a bar of the share done")
      ("progress-interval", po::value<std::string>()->value_name("D"), "time between progress lines (default 250ms on a terminal, 30s otherwise)")
      ("dry-run", po::bool_switch(), "print the jobs that would run, in order, and exit");
  // clang-format on
}

HaltPolicy parse_halt(std::string_view text) {
  HaltPolicy policy;
  bool when_given = false;
  std::string_view rest = text;
  if (text.empty()) throw UsageError("--halt: empty value");
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (part == "now" || part == "soon" || part == "never") {
      if (when_given) throw UsageError("--halt: '" + std::string(text) + "' names two modes");
      when_given = true;
      policy.when = part == "now" ? HaltPolicy::When::now
                    : part == "soon" ? HaltPolicy::When::soon
                                     : HaltPolicy::When::never;
    } else if (part.starts_with("fail=")) {
      policy.after_failures = static_cast<int>(parse_integer(part.substr(5), "--halt", 1, 1000000000));
      if (!when_given) policy.when = HaltPolicy::When::soon;
    } else {
      throw UsageError("--halt: invalid value '" + std::string(text) +
                       "' (expected now, soon, fail=N, now,fail=N or soon,fail=N)");
    }
  }
  if (policy.when == HaltPolicy::When::never && text.find("fail=") != std::string_view::npos) {
    throw UsageError("--halt: 'never' cannot take fail=N");
  }
  return policy;
}

Shard parse_shard(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    throw UsageError("--shard: invalid value '" + std::string(text) + "' (expected I/N or auto)");
  }
  Shard shard;
  shard.total = static_cast<int>(parse_integer(text.substr(slash + 1), "--shard", 1, 100000));
  shard.index = static_cast<int>(parse_integer(text.substr(0, slash), "--shard", 1, 100000));
  if (shard.index > shard.total) {
    throw UsageError("--shard: index " + std::to_string(shard.index) + " is beyond the total " +
                     std::to_string(shard.total) + " (I is 1-based)");
  }
  return shard;
}

std::optional<Shard> shard_from_environment() {
  struct Source {
    const char* index;
    const char* total;
    int base;
  };
  static constexpr Source k_sources[] = {
      {"CI_NODE_INDEX", "CI_NODE_TOTAL", 1},
      {"CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0},
      {"BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
  };
  for (const auto& source : k_sources) {
    auto index = env_value(source.index);
    auto total = env_value(source.total);
    if (!index || !total) continue;
    Shard shard;
    shard.total = static_cast<int>(parse_integer(*total, source.total, 1, 100000));
    shard.index = static_cast<int>(parse_integer(*index, source.index, 0, 100000)) + (1 - source.base);
    if (shard.index < 1 || shard.index > shard.total) {
      throw UsageError(std::string(source.index) + ": " + *index + " is out of range for " + source.total +
                       "=" + *total);
    }
    return shard;
  }
  return std::nullopt;
}

std::string parse_env_assignment(std::string_view text, std::string_view flag) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw UsageError(std::string(flag) + ": invalid value '" + std::string(text) + "' (expected K=V)");
  }
  return std::string(text);
}

SlotEnv parse_slot_env(std::string_view text) {
  parse_env_assignment(text, "--slot-env");
  auto eq = text.find('=');
  SlotEnv slot_env;
  slot_env.key = std::string(text.substr(0, eq));
  // Values are split at commas; \, is a comma inside a value and \\ a backslash.
  std::string value;
  std::string_view values = text.substr(eq + 1);
  for (std::size_t i = 0; i < values.size(); ++i) {
    char c = values[i];
    if (c == '\\' && i + 1 < values.size() && (values[i + 1] == ',' || values[i + 1] == '\\')) {
      value += values[++i];
    } else if (c == ',') {
      slot_env.values.push_back(std::move(value));
      value.clear();
    } else {
      value += c;
    }
  }
  slot_env.values.push_back(std::move(value));
  return slot_env;
}

// The input sources: -a files first, then each ::: (words) and :::: (files, one source
// each) after the command, as GNU parallel orders them; -d/-0/-N/-X checked against them.
static void parse_input_sources(Options& o, const RawOptions& r, bool delimiter_given) {
  for (const auto& file : o.arg_files) {
    InputSource source;
    source.path = file;
    source.is_file = true;
    source.flag = "--arg-file";
    o.sources.push_back(std::move(source));
  }
  auto is_separator = [](const std::string& w) { return w == ":::" || w == "::::" || w == ":::+" || w == "::::+"; };
  auto first = std::find_if(o.command_template.begin(), o.command_template.end(), is_separator);
  if (first != o.command_template.end()) {
    std::string mark;
    bool fresh = false;  // a :::: file after the first starts a source of its own
    for (auto it = first; it != o.command_template.end(); ++it) {
      if (is_separator(*it)) {
        mark = *it;
        InputSource source;
        source.is_file = mark.starts_with("::::");
        source.linked = mark.back() == '+';
        source.flag = mark.starts_with("::::") ? "'::::'" : "':::'";
        if (source.linked && o.sources.empty()) throw UsageError("'" + mark + "' needs an input source before it");
        o.sources.push_back(std::move(source));
        fresh = true;
        continue;
      }
      if (mark.starts_with("::::")) {
        if (!fresh) {
          InputSource source;
          source.is_file = true;
          source.flag = "'::::'";
          o.sources.push_back(std::move(source));
        }
        o.sources.back().path = *it;
        fresh = false;
      } else {
        o.sources.back().words.push_back(*it);
      }
    }
    for (const auto& source : o.sources) {
      if (source.is_file && source.path.empty()) throw UsageError("'::::' needs a file after it");
    }
    o.command_template.erase(first, o.command_template.end());  // none: the values are the commands
  }
  if (delimiter_given && r.null) throw UsageError("--delimiter and --null exclude each other");
  if (r.no_run_if_empty) o.input_format.skip_empty = true;
  if (r.null) o.input_format.delimiter = std::string(1, '\0');
  if (delimiter_given) o.input_format.delimiter = parse_delimiter(r.delimiter);
  std::size_t sources = std::max<std::size_t>(1, o.sources.size());
  if (!r.max_args.empty()) {
    o.input_format.per_job = static_cast<std::size_t>(parse_integer(r.max_args, "--max-args", 0, 100000));
    if (sources > 1) throw UsageError("--max-args works with one input source");
  }
  if (o.context_replace) {
    if (!r.max_args.empty()) throw UsageError("-X and --max-args exclude each other");
    if (sources > 1) throw UsageError("-X works with one input source");
    if (o.command_template.empty()) throw UsageError("-X needs a command template");
  }
  std::string text = join_template(o.command_template);
  if (auto bad = unsupported_replacement(text)) {
    throw UsageError("replacement string " + *bad +
                     " is not supported (prun fills {} {.} {/} {//} {/.} {#} {%} and {N} {N.} {N/} {N//} {N/.})");
  }
  std::size_t per_job = r.max_args.empty() ? sources : o.input_format.per_job;
  if (auto n = highest_position(text); n > per_job && !o.context_replace) {
    throw UsageError("replacement string {" + std::to_string(n) + "}: a job has " + std::to_string(per_job) +
                     " argument" + (per_job == 1 ? "" : "s") +
                     (r.max_args.empty() ? " (one per input source)" : " (--max-args)"));
  }
}

namespace {

std::string text_of(const po::variables_map& vm, const char* name) {
  return vm.count(name) != 0 ? vm[name].as<std::string>() : std::string();
}
std::vector<std::string> list_of(const po::variables_map& vm, const char* name) {
  return vm.count(name) != 0 ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>();
}
bool switch_of(const po::variables_map& vm, const char* name) { return vm.count(name) != 0 && vm[name].as<bool>(); }

// The flags' words, as prun's declarations (add_source_flags, add_run_flags) name them.
RawOptions raw_options(const po::variables_map& vm) {
  RawOptions r;
  r.jobs = text_of(vm, "jobs");
  r.timeout = text_of(vm, "timeout");
  r.kill_sequence = text_of(vm, "kill-sequence");
  r.retries = text_of(vm, "retries");
  r.halt = text_of(vm, "halt");
  r.env = list_of(vm, "env");
  r.slot_env = list_of(vm, "slot-env");
  r.shard = text_of(vm, "shard");
  r.cancel_grace = text_of(vm, "cancel-grace");
  r.tail = text_of(vm, "tail");
  r.group = switch_of(vm, "group");
  r.tag = switch_of(vm, "tag");
  r.ungroup = switch_of(vm, "ungroup");
  r.progress = switch_of(vm, "progress");
  r.no_progress = switch_of(vm, "no-progress");
  r.eta = switch_of(vm, "eta");
  r.progress_interval = text_of(vm, "progress-interval");
  r.resume = switch_of(vm, "resume");
  r.resume_failed = switch_of(vm, "resume-failed");
  r.retry_failed = switch_of(vm, "retry-failed");
  r.delimiter = text_of(vm, "delimiter");
  r.null = switch_of(vm, "null");
  r.max_args = text_of(vm, "max-args");
  r.no_run_if_empty = switch_of(vm, "no-run-if-empty");
  r.delay = text_of(vm, "delay");
  r.memfree = text_of(vm, "memfree");
  r.load = text_of(vm, "load");
  return r;
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  CommonOptions common;
  po::options_description desc;
  add_source_flags(desc);
  add_run_flags(desc);
  add_common_options(desc, common);
  desc.add_options()("command", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("command", -1);
  return options_from(parse_args(args, desc, positional), common);
}

Options options_from(const po::variables_map& vm, const CommonOptions& common) {
  Options o;
  RawOptions r = raw_options(vm);
  o.common = common;
  o.arg_files = list_of(vm, "arg-file");
  o.plan_file = text_of(vm, "plan");
  o.timings_file = text_of(vm, "timings");
  o.run_id = text_of(vm, "run-id");
  o.command_template = list_of(vm, "command");
  o.link = switch_of(vm, "link");
  o.input_format.skip_empty = switch_of(vm, "skip-empty");
  o.context_replace = switch_of(vm, "context-replace");
  o.no_shell = switch_of(vm, "no-shell");
  o.fail_on_flaky = switch_of(vm, "fail-on-flaky");
  o.retry_other_slot = switch_of(vm, "retry-other-slot");
  o.results_file = text_of(vm, "results");
  o.joblog_file = text_of(vm, "joblog");
  o.log_dir = text_of(vm, "log-dir");
  o.timestamps = switch_of(vm, "timestamps");
  o.keep_order = switch_of(vm, "keep-order");
  o.merge_stderr = switch_of(vm, "merge-stderr");
  o.progress_bar = switch_of(vm, "bar");
  o.dry_run = switch_of(vm, "dry-run");
  if (o.common.help || o.common.version) return o;
  parse_input_sources(o, r, vm.count("delimiter") != 0);

  if (!r.jobs.empty()) {
    o.jobs = static_cast<int>(parse_integer(r.jobs, "--jobs", 1, 4096));
    o.jobs_given = true;
  } else {
    o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (r.timeout.ends_with('%')) {
    std::string_view number(r.timeout);
    number.remove_suffix(1);
    double percent = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || percent <= 0 || percent > 1e6) {
      throw UsageError("--timeout: invalid percentage '" + r.timeout + "' (expected e.g. 200%)");
    }
    o.timeout_percent = percent;
  } else if (!r.timeout.empty()) {
    o.timeout = parse_duration(r.timeout, "--timeout");
    if (o.timeout->count() == 0) throw UsageError("--timeout: must be more than 0");
  }
  if (!r.delay.empty()) o.delay = parse_duration(r.delay, "--delay");
  if (!r.memfree.empty()) o.headroom.memfree = parse_size(r.memfree, "--memfree");
  if (!r.load.empty()) o.headroom.max_load = parse_load(r.load, std::max(1u, std::thread::hardware_concurrency()));
  if (!r.kill_sequence.empty()) o.kill_sequence = parse_kill_sequence(r.kill_sequence, "--kill-sequence");
  if (!r.retries.empty()) o.retries = static_cast<int>(parse_integer(r.retries, "--retries", 0, 1000));
  if (!r.halt.empty()) o.halt = parse_halt(r.halt);
  for (const auto& e : r.env) o.env.push_back(parse_env_assignment(e, "--env"));
  for (const auto& e : r.slot_env) {
    SlotEnv parsed = parse_slot_env(e);
    auto same =
        std::find_if(o.slot_env.begin(), o.slot_env.end(), [&](const SlotEnv& s) { return s.key == parsed.key; });
    if (same == o.slot_env.end()) {
      o.slot_env.push_back(std::move(parsed));
    } else {  // a repeated key adds values: one flag per slot
      same->values.insert(same->values.end(), parsed.values.begin(), parsed.values.end());
    }
  }
  if (!r.shard.empty()) {
    if (r.shard == "auto") {
      o.shard = shard_from_environment();
      if (!o.shard) {
        throw UsageError("--shard auto: none of CI_NODE_INDEX/CI_NODE_TOTAL, CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL, "
                         "BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT is set");
      }
    } else {
      o.shard = parse_shard(r.shard);
    }
  }
  if (!r.cancel_grace.empty()) o.cancel_grace = parse_duration(r.cancel_grace, "--cancel-grace");
  if (!r.tail.empty()) o.tail_bytes = parse_size(r.tail, "--tail");

  if (vm.count("tagstring") != 0) {
    o.tagstring = vm["tagstring"].as<std::string>();
    if (auto bad = unsupported_replacement(*o.tagstring)) {
      throw UsageError("--tagstring: replacement string " + *bad + " is not supported");
    }
    if (r.group || r.ungroup) throw UsageError("--tagstring is --tag: it excludes --group and --ungroup");
    r.tag = true;
  }
  int modes = int(r.group) + int(r.tag) + int(r.ungroup);
  if (modes > 1) throw UsageError("--group, --tag and --ungroup exclude each other");
  if (r.tag) o.output = OutputMode::tag;
  if (r.ungroup) o.output = OutputMode::ungroup;
  if (o.timestamps && o.output != OutputMode::tag) throw UsageError("--timestamps needs --tag");
  if (int(r.resume) + int(r.resume_failed) + int(r.retry_failed) > 1) {
    throw UsageError("--resume, --resume-failed and --retry-failed exclude each other");
  }
  if (r.resume) o.resume = Options::Resume::resume;
  if (r.resume_failed) o.resume = Options::Resume::resume_failed;
  if (r.retry_failed) o.resume = Options::Resume::retry_failed;
  if (o.resume != Options::Resume::none) {
    const char* flag = r.resume ? "--resume" : r.resume_failed ? "--resume-failed" : "--retry-failed";
    if (o.results_file.empty()) throw UsageError(std::string(flag) + " needs --results FILE (the earlier run's records)");
    if (!o.plan_file.empty()) throw UsageError(std::string(flag) + " works on job lines and templates, not with --plan");
  }
  if (o.no_shell && o.command_template.empty()) throw UsageError("--no-shell needs a command template");
  if (o.keep_order && o.output != OutputMode::group) throw UsageError("--keep-order works with --group only");
  r.progress = r.progress || r.eta || o.progress_bar;
  if (r.progress && r.no_progress) throw UsageError("--progress, --eta or --bar and --no-progress exclude each other");
  if (!r.progress_interval.empty()) {
    o.progress_interval = parse_duration(r.progress_interval, "--progress-interval");
    if (o.progress_interval->count() == 0) throw UsageError("--progress-interval: must be more than 0");
  }
  if (r.progress) o.progress = true;
  if (r.no_progress) o.progress = false;

  if (!o.plan_file.empty()) {
    if (!o.arg_files.empty()) throw UsageError("--plan and --arg-file exclude each other");
    if (!o.command_template.empty()) throw UsageError("--plan and a command template exclude each other");
    if (o.shard) throw UsageError("--shard works on job lines and templates, not with --plan");
  }
  if (vm.count("run-id") != 0 && o.run_id.empty()) throw UsageError("--run-id: empty value");
  return o;
}

}  // namespace ciutils::prun
