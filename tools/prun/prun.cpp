#include "prun.h"

#include "command_template.h"
#include "input_sources.h"
#include "job_input.h"
#include "job_order.h"
#include "options.h"
#include "output.h"
#include "plan.h"
#include "record.h"
#include "runner.h"

#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>

namespace ciutils::prun {

namespace {

using std::chrono::milliseconds;

std::string default_run_id() {
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string b36;
  auto v = static_cast<unsigned long long>(ms);
  do {
    b36.insert(b36.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36]);
    v /= 36;
  } while (v != 0);
  return "prun-" + b36 + "-" + std::to_string(::getpid());
}

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
  return buffer;
}

UniqueFd open_output(const std::string& path, const char* flag, bool truncate = true) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0) | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError(std::string(flag) + ": " + path + ": " + std::strerror(errno));
  return UniqueFd(fd);
}

struct Summary {
  std::map<std::string, std::size_t> counts;
  std::size_t total = 0;
  struct Slow {
    double seconds;
    std::string name;
  };
  std::vector<Slow> slowest;
  struct Failure {
    std::string header;
    std::string output;
    bool truncated;
    std::string log;
  };
  std::vector<Failure> failures;
  std::size_t failures_not_shown = 0;
};

// Each line with GitHub workflow commands made inert.
std::string neutralise_lines(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    out += neutralise_workflow_commands(line);
    if (nl == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(nl + 1);
  }
  return out;
}


// A CI runner's log: CI=true (GitHub Actions, GitLab, Buildkite, CircleCI, Travis…),
// Jenkins (JENKINS_URL) or Azure Pipelines (TF_BUILD).
bool ci_detected() {
  auto ci = env_value("CI");
  return (ci && *ci != "false" && *ci != "0") || env_value("JENKINS_URL") || env_value("TF_BUILD");
}

constexpr std::size_t k_slowest = 5;
// -X: the items of one job stay below what Linux takes as one argument (sh -c's command).
constexpr std::size_t k_max_args_bytes = 120 * 1024;
constexpr std::size_t k_failures_shown = 10;

class Run {
public:
  Run(Options options, RunHooks hooks) : m_options(std::move(options)), m_hooks(std::move(hooks)) {}

  int execute() {
    auto& o = m_options;
    m_info.run_id = o.run_id.empty() ? default_run_id() : o.run_id;
    m_info.host = host_name();
    std::vector<Job> jobs;
    std::unique_ptr<JobInput> input;
    Plan plan;
    bool plan_mode = !o.plan_file.empty() || m_hooks.plan;
    if (m_hooks.plan) {
      plan = *m_hooks.plan;
    } else if (plan_mode) {
      if (std::filesystem::is_directory(o.plan_file)) throw UsageError("--plan: " + o.plan_file + ": is a directory");
      plan = read_plan(o.plan_file);
      if (!o.timings_file.empty()) m_timings = read_timings(o.timings_file);
    } else {
      bool resuming = o.resume != Options::Resume::none;
      bool retry_failed = o.resume == Options::Resume::retry_failed;
      // One file (or stdin) streams; several sources, ::: words and -X are known whole first.
      bool streaming = o.sources.size() <= 1 && (o.sources.empty() || o.sources[0].is_file) && !o.context_replace;
      if (streaming && !retry_failed) {
        input = std::make_unique<JobInput>(o.sources.empty() ? std::string() : o.sources[0].path,
                                           !o.command_template.empty(), o.input_format,
                                           o.sources.empty() ? "--arg-file" : o.sources[0].flag);
      }
      // Ordering, sharding and resuming need the whole list; otherwise jobs stream from the input.
      if (!o.timings_file.empty() || o.shard || o.dry_run || !streaming || resuming) {
        Timings timings;
        if (!o.timings_file.empty()) timings = read_timings(o.timings_file);
        std::deque<Job> all;
        if (input) input->read_all(all);
        input.reset();
        if (!streaming && !retry_failed) all = combined_jobs();
        if (resuming) all = resumed_jobs(std::move(all));
        jobs.assign(std::make_move_iterator(all.begin()), std::make_move_iterator(all.end()));
        if (o.shard) jobs = select_shard(jobs, timings, *o.shard);
        for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].number = i + 1;
        if (!o.timings_file.empty()) order_by_timings(jobs, timings);
      }
    }
    if (o.dry_run) return dry_run(jobs, plan, plan_mode);

    if (!o.results_file.empty()) {
      m_results = open_output(o.results_file, "--results", o.resume == Options::Resume::none);
    }
    if (o.joblog_file == "-") {
      m_joblog_stdout = true;
    } else if (!o.joblog_file.empty()) {
      m_joblog = open_output(o.joblog_file, "--joblog");
      write_all(m_joblog.get(), joblog_header());
    }
    if (!o.log_dir.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(o.log_dir, ec);
      if (ec) throw UsageError("--log-dir: " + o.log_dir + ": " + ec.message());
    }

    RunnerConfig config;
    config.output = o.output;
    config.timestamps = o.timestamps;
    auto gha = env_value("GITHUB_ACTIONS");
    config.github = gha && *gha == "true";
    config.merge_stderr = o.merge_stderr;
    config.keep_order = o.keep_order;
    config.kill_sequence = o.kill_sequence;
    config.halt = o.halt;
    config.fail_on_flaky = o.fail_on_flaky;
    config.retry_other_slot = o.retry_other_slot;
    config.run = m_info;
    config.log_dir = o.log_dir;
    config.tail_bytes = o.tail_bytes;
    config.env = o.env;
    if (o.shard) {  // the jobs see which shard they belong to, as prun's and Bazel's runners name it
      config.env.push_back("PRUN_SHARD_INDEX=" + std::to_string(o.shard->index));
      config.env.push_back("PRUN_SHARD_TOTAL=" + std::to_string(o.shard->total));
      config.env.push_back("TEST_SHARD_INDEX=" + std::to_string(o.shard->index - 1));
      config.env.push_back("TEST_TOTAL_SHARDS=" + std::to_string(o.shard->total));
    }
    config.slot_env = o.slot_env;
    config.command_template = join_template(o.command_template);
    config.context_replace = o.context_replace;
    config.delay = o.delay;
    config.tagstring = o.tagstring;
    if (o.no_shell) config.no_shell_words = o.command_template;
    config.headroom = o.headroom;
    config.cancel_grace = o.cancel_grace;
    // Progress: redrawn in place on a terminal; in a CI's log (not a terminal) a whole line
    // now and then, never carriage returns.
    bool terminal = ::isatty(2) == 1;
    config.progress = o.progress.value_or(terminal || ci_detected()) && !o.common.quiet;
    config.progress_lines = !terminal;
    config.progress_bar = o.progress_bar;
    config.progress_interval = o.progress_interval.value_or(terminal ? milliseconds(250) : milliseconds(30000));
    config.quiet = o.common.quiet;
    config.verbose = o.common.verbose;
    m_start = std::chrono::steady_clock::now();

    m_github = config.github;
    std::string github_token;
    Runner runner(config, [this](const Job& job, const std::string& command, const Outcome& outcome,
                                 std::size_t bytes, const std::string& combined) {
      on_job_end(job, command, outcome, bytes, combined);
    });
    m_runner = &runner;
    if (m_joblog_stdout) runner.out().write(joblog_header());
    if (config.github && o.output == OutputMode::ungroup) {
      github_token = random_token();
      runner.out().write(github_stop_commands(github_token));
    }
    bool ok = plan_mode ? run_plan(runner, plan) : run_jobs(runner, jobs, input.get());
    runner.sweep();
    if (!github_token.empty()) runner.out().write(github_resume_commands(github_token));
    if (!o.common.quiet) print_summary(runner);
    int code = runner.cancelled() ? 128 + runner.cancel_signal() : ok ? 0 : 1;
    if (o.common.json) print_json_summary(runner, code);
    runner.flush_output();
    m_runner = nullptr;
    // A signal while the output was still being written counts as a cancellation.
    if (runner.cancelled()) code = 128 + runner.cancel_signal();
    return code;
  }

private:
  // --resume: the jobs with no record yet; --resume-failed: those that did not pass;
  // --retry-failed: the failed jobs of the results file, from their records alone.
  std::deque<Job> resumed_jobs(std::deque<Job> jobs) const {
    History history = read_history(m_options.results_file, "--results");
    auto ran = [&](const Job& job) {
      auto it = history.last.find(job.name);
      if (it == history.last.end()) return false;
      const std::string& status = it->second.status;
      if (m_options.resume == Options::Resume::resume) return status != "skipped";
      return status == "passed" || status == "flaky";
    };
    std::deque<Job> kept;
    if (m_options.resume == Options::Resume::retry_failed) {
      for (const auto& name : history.names) {
        const auto& last = history.last.at(name);
        if (last.status != "failed" && last.status != "timeout" && last.status != "error") continue;
        Job job;
        job.name = name;
        job.command = last.command.empty() ? name : last.command;
        kept.push_back(std::move(job));
      }
    } else {
      for (auto& job : jobs) {
        if (!ran(job)) kept.push_back(std::move(job));
      }
    }
    for (std::size_t i = 0; i < kept.size(); ++i) kept[i].number = i + 1;
    return kept;
  }

  // The jobs of several input sources (or of ::: words, or -X), crossed or paired.
  std::deque<Job> combined_jobs() const {
    const auto& o = m_options;
    std::vector<SourceValues> values;
    for (const auto& source : o.sources) {
      values.push_back({source.is_file ? read_items(source.path, o.input_format, source.flag) : source.words,
                        source.linked});
    }
    std::vector<std::vector<std::string>> arg_lists;
    if (o.context_replace) {
      arg_lists = spread_items(std::move(values.front().values), static_cast<std::size_t>(o.jobs), k_max_args_bytes);
    } else if (values.size() == 1) {
      arg_lists = group_items(std::move(values.front().values), o.input_format.per_job);
    } else {
      arg_lists = combine_sources(values, o.link);
    }
    bool template_mode = !o.command_template.empty();
    std::deque<Job> jobs;
    for (auto& args : arg_lists) {
      Job job;
      job.number = jobs.size() + 1;
      if (template_mode) {
        job.name = template_job_name(args, job.number);
        job.args = std::move(args);
        job.has_template = true;
      } else {
        job.command = join_template(args);
        job.name = job.command;
      }
      jobs.push_back(std::move(job));
    }
    return jobs;
  }

  int dry_run(const std::vector<Job>& jobs, const Plan& plan, bool plan_mode) {
    std::string out;
    if (!plan_mode) {
      std::string tmpl = join_template(m_options.command_template);
      for (const auto& job : jobs) {
        if (job.has_template && m_options.no_shell) {
          out += quoted_argv(expand_argv(m_options.command_template, job.args, job.number, 0));
        } else {
          out += job.has_template ? expand_template(tmpl, job.args, job.number, 0, m_options.context_replace)
                                  : job.command;
        }
        out += '\n';
      }
    } else {
      for (const auto& c : plan.setup) out += "setup (per slot): " + c + "\n";
      for (const auto& step : plan.steps) {
        out += "step " + step.name + ":\n";
        for (const auto& c : step.commands) out += "  " + c.command + "\n";
      }
      for (const auto& c : plan.teardown) out += "teardown (per slot): " + c + "\n";
      for (const auto& step : plan.cleanup) {
        out += "cleanup " + step.name + ":\n";
        for (const auto& c : step.commands) out += "  " + c.command + "\n";
      }
    }
    write_all(1, out);
    return 0;
  }

  bool run_jobs(Runner& runner, std::vector<Job>& jobs, JobInput* input) {
    JobSettings settings;
    settings.timeout = m_options.timeout;
    settings.timeout_percent = m_options.timeout_percent;
    settings.retries = m_options.retries;
    std::deque<Job> queue(std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
    jobs.clear();
    jobs.shrink_to_fit();
    return runner.run_batch(std::move(queue), m_options.jobs, settings, BatchKind::normal, input).ok();
  }

  int step_slots(const Plan& plan, const PlanStep& step) const {
    switch (step.kind) {
      case PlanStep::Kind::command: return 1;
      case PlanStep::Kind::list: return static_cast<int>(step.commands.size());
      case PlanStep::Kind::jobs:
        if (step.workers > 0) return step.workers;
        if (plan.workers > 0 && !m_options.jobs_given) return plan.workers;
        return m_options.jobs;
    }
    return 1;
  }

  std::deque<Job> step_jobs(const PlanStep& step, const std::string& classname) {
    std::deque<Job> queue;
    for (std::size_t i = 0; i < step.commands.size(); ++i) {
      Job job;
      job.name = step.commands[i].name;
      job.classname = classname;
      job.command = step.commands[i].command;
      job.numbers = true;
      job.number = ++m_next_number;
      if (step.kind == PlanStep::Kind::list) job.fixed_slot = static_cast<int>(i);
      queue.push_back(std::move(job));
    }
    if (step.kind == PlanStep::Kind::jobs && !m_timings.empty()) {
      std::vector<Job> jobs(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
      order_by_timings(jobs, m_timings);
      queue.assign(std::make_move_iterator(jobs.begin()), std::make_move_iterator(jobs.end()));
    }
    return queue;
  }

  JobSettings step_settings(const Plan& plan, const PlanStep& step) const {
    JobSettings s;
    s.timeout = step.timeout ? step.timeout : plan.timeout ? plan.timeout : m_options.timeout;
    if (!s.timeout) s.timeout_percent = m_options.timeout_percent;
    s.retries = step.retries.value_or(plan.retries > 0 ? plan.retries : m_options.retries);
    s.env = plan.env;
    s.env.insert(s.env.end(), step.env.begin(), step.env.end());
    return s;
  }

  // One job per slot running `command`.
  std::deque<Job> per_slot(const std::string& command, int slots, const std::string& what) {
    std::deque<Job> queue;
    for (int s = 0; s < slots; ++s) {
      Job job;
      job.name = what + " (slot " + std::to_string(s) + ")";
      job.classname = what;
      job.command = command;
      job.numbers = true;
      job.number = ++m_next_number;
      job.fixed_slot = s;
      queue.push_back(std::move(job));
    }
    return queue;
  }

  bool run_plan(Runner& runner, const Plan& plan) {
    int slots = 1;
    for (const auto& step : plan.steps) slots = std::max(slots, step_slots(plan, step));
    JobSettings hook_settings;
    hook_settings.timeout = plan.timeout ? plan.timeout : m_options.timeout;
    hook_settings.env = plan.env;
    bool ok = true;
    for (const auto& command : plan.setup) {
      auto queue = per_slot(command, slots, "setup");
      if (!ok) {
        runner.skip_all(std::move(queue), "not started: an earlier setup failed");
        continue;
      }
      ok = runner.run_batch(std::move(queue), slots, hook_settings, BatchKind::normal).ok() && ok;
    }
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
      const auto& step = plan.steps[i];
      if (m_hooks.step_input) {
        // The step's jobs are the run's: after a failure here this worker takes no more.
        if (!ok || runner.halted() || runner.cancelled()) continue;
        JobInput* input = m_hooks.step_input(i, step_slots(plan, step));
        input->number_from(m_next_number);
        ok = runner.run_batch({}, step_slots(plan, step), step_settings(plan, step), BatchKind::normal, input).ok() && ok;
        m_next_number = input->jobs_read();
        continue;
      }
      auto queue = step_jobs(step, step.name);
      if (!ok || runner.halted()) {
        runner.skip_all(std::move(queue), ok ? "not started: --halt" : "not started: an earlier step failed");
        continue;
      }
      ok = runner.run_batch(std::move(queue), step_slots(plan, step), step_settings(plan, step), BatchKind::normal)
               .ok() && ok;
    }
    for (const auto& command : plan.teardown) {
      runner.run_batch(per_slot(command, slots, "teardown"), slots, hook_settings, BatchKind::always);
    }
    for (const auto& step : plan.cleanup) {
      runner.run_batch(step_jobs(step, "cleanup"), step_slots(plan, step), step_settings(plan, step),
                       BatchKind::always);
    }
    return ok;
  }

  void on_job_end(const Job& job, const std::string& command, const Outcome& outcome, std::size_t bytes,
                  const std::string& combined) {
    if (m_results.valid() || m_hooks.on_record) {
      auto record = make_record(job, command, outcome, m_info);
      if (m_results.valid()) JsonlWriter(m_results.get()).write(record);
      if (m_hooks.on_record) m_hooks.on_record(job, record, m_runner->cancelled());
    }
    if (outcome.status != Status::skipped && (m_joblog.valid() || m_joblog_stdout)) {
      std::string line = joblog_line(job, command, outcome, m_info, bytes);
      if (m_joblog_stdout) {
        m_runner->out().write(line);
      } else {
        write_all(m_joblog.get(), line);
      }
    }
    ++m_summary.counts[status_name(outcome.status)];
    ++m_summary.total;
    if (outcome.status != Status::skipped) {
      auto& slow = m_summary.slowest;
      slow.push_back({outcome.duration_s, job.name});
      std::sort(slow.begin(), slow.end(), [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
      if (slow.size() > k_slowest) slow.pop_back();
    }
    bool bad = outcome.status == Status::failed || outcome.status == Status::timeout ||
               outcome.status == Status::error || (outcome.status == Status::flaky && m_options.fail_on_flaky);
    if (bad) {
      if (m_summary.failures.size() < k_failures_shown) {
        std::string header = "[" + std::to_string(outcome.slot) + "/" + std::to_string(job.number) + "] " +
                             (job.classname.empty() ? "" : job.classname + " / ") + job.name + ": " +
                             status_name(outcome.status) + " (" + outcome.message + ")";
        m_summary.failures.push_back({header, combined, bytes > combined.size(), outcome.log});
      } else {
        ++m_summary.failures_not_shown;
      }
    }
  }

  void print_summary(Runner& runner) {
    auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - m_start);
    std::string out;
    if (!m_summary.failures.empty()) {
      out += "\nprun: output of failed jobs:\n";
      for (const auto& f : m_summary.failures) {
        out += "==> " + one_line(f.header) + "\n";
        if (f.truncated) out += "[… earlier output cut" + (f.log.empty() ? std::string() : "; whole log: " + f.log) + "]\n";
        // The summary goes to stderr, outside the stop-commands fence of stdout: under
        // GitHub Actions each line of job output is made inert instead.
        out += m_github ? neutralise_lines(f.output) : f.output;
        if (!f.output.empty() && f.output.back() != '\n') out += '\n';
      }
      if (m_summary.failures_not_shown > 0) {
        out += "(" + std::to_string(m_summary.failures_not_shown) + " more failed jobs not shown)\n";
      }
    }
    if (!m_summary.slowest.empty() && m_summary.total > 1) {
      out += "prun: slowest:";
      for (const auto& s : m_summary.slowest) {
        out += "  " + format_duration(milliseconds(static_cast<long long>(s.seconds * 1000))) + " " + one_line(s.name);
        if (out.size() > 4096) break;
      }
      out += "\n";
    }
    out += "prun: " + std::to_string(m_summary.total) + " job" + (m_summary.total == 1 ? "" : "s") + ":";
    bool first = true;
    for (const char* status : {"passed", "flaky", "failed", "timeout", "error", "skipped"}) {
      auto it = m_summary.counts.find(status);
      if (it == m_summary.counts.end()) continue;
      out += std::string(first ? " " : ", ") + std::to_string(it->second) + " " + status;
      first = false;
    }
    out += " in " + format_duration(elapsed);
    if (runner.cancelled()) out += " (cancelled by SIG" + signal_name(runner.cancel_signal()) + ")";
    if (runner.halted()) out += " (halted)";
    out += "\n";
    if (m_github) out = neutralise_lines(out);
    runner.err().write(out);
  }

  // --json: one object on stdout after the jobs' output.
  void print_json_summary(Runner& runner, int code) {
    boost::json::object summary;
    summary["run_id"] = m_info.run_id;
    summary["host"] = m_info.host;
    summary["jobs"] = m_summary.total;
    for (const char* status : {"passed", "flaky", "failed", "timeout", "error", "skipped"}) {
      auto it = m_summary.counts.find(status);
      summary[status] = it == m_summary.counts.end() ? 0 : it->second;
    }
    summary["duration_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    summary["cancelled"] = runner.cancelled();
    summary["halted"] = runner.halted();
    summary["exit_code"] = code;
    runner.out().write(to_json(summary) + "\n");
  }

  Options m_options;
  RunHooks m_hooks;
  Timings m_timings;
  RunInfo m_info;
  UniqueFd m_results;
  UniqueFd m_joblog;
  bool m_joblog_stdout = false;  // --joblog -
  bool m_github = false;
  Runner* m_runner = nullptr;
  Summary m_summary;
  std::size_t m_next_number = 0;
  std::chrono::steady_clock::time_point m_start;
};

}  // namespace

int execute(Options options, RunHooks hooks) { return Run(std::move(options), std::move(hooks)).execute(); }

}  // namespace ciutils::prun
