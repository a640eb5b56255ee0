#include "runner.h"

#include "command_template.h"
#include "shell_spawn.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/fd.h"
#include "ciutils/subreaper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>

extern char** environ;

namespace ciutils::prun {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds k_drain_grace{2000};
// A job that fills its pipe's default 64 KiB gets a 1 MiB pipe: fewer wake-ups for
// large outputs, and no cost for the many jobs that write little.
constexpr std::size_t k_default_pipe = 64 * 1024;
constexpr int k_large_pipe = 1 << 20;
constexpr milliseconds k_group_check{20};
constexpr milliseconds k_headroom_gap{100};  // --memfree/--load: between job starts
// Jobs read ahead of the pool from a streamed input: enough to keep every slot busy,
// few enough that the queue's memory does not grow with the input.
constexpr std::size_t k_read_ahead = 1024;
// After a cancellation or --halt, what a pipe holds is recorded as skipped, up to this many
// reads: a producer that never stops (yes | prun) must not keep prun from exiting.
constexpr int k_skip_pipe_reads = 16;

bool group_exists(pid_t pgid) { return pgid > 1 && (::kill(-pgid, 0) == 0 || errno == EPERM); }

void set_var(std::vector<std::string>& env, const std::string& assignment) {
  auto eq = assignment.find('=');
  std::string_view key(assignment.data(), eq + 1);
  for (auto& entry : env) {
    if (std::string_view(entry).starts_with(key)) {
      entry = assignment;
      return;
    }
  }
  env.push_back(assignment);
}

void unset_var(std::vector<std::string>& env, std::string_view name) {
  std::erase_if(env, [&](const std::string& entry) {
    return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=';
  });
}

// Lower-case letters, digits, '-' and '_': what docker compose accepts as a project name.
std::string project_name(const std::string& run_id, int slot) {
  std::string out;
  for (char c : run_id) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      out += c;
    } else {
      out += '-';
    }
  }
  if (out.empty() || !((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= '0' && out[0] <= '9'))) out = "p" + out;
  return out + "-" + std::to_string(slot);
}

// Clock ticks since boot at which a process started (field 22 of /proc/PID/stat), or 0.
unsigned long long process_start_ticks(pid_t pid) {
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::size_t pos = paren + 2;
  for (int field = 3; field < 22 && pos < stat.size(); ++field) {
    pos = stat.find(' ', pos);
    if (pos == std::string::npos) return 0;
    ++pos;
  }
  return std::strtoull(stat.c_str() + pos, nullptr, 10);
}

unsigned long long boot_ticks_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  static const long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<unsigned long long>(ts.tv_sec) * static_cast<unsigned long long>(hz) +
         static_cast<unsigned long long>(ts.tv_nsec) / (1000000000ULL / static_cast<unsigned long long>(hz));
}

// "sleep 41 (pid 123)": the command line of a process, for a record.
std::string describe_process(pid_t pid) {
  std::string cmdline = read_small_file("/proc/" + std::to_string(pid) + "/cmdline");
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (cmdline.size() > 80) cmdline = cmdline.substr(0, 77) + "...";
  if (cmdline.empty()) cmdline = "?";
  return cmdline + " (pid " + std::to_string(pid) + ")";
}

std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fs", s);
  return text;
}

std::string describe_signal(int sig) { return "SIG" + signal_name(sig); }


}  // namespace

struct Runner::Signals {
  SignalWatch watch{{SIGCHLD, SIGINT, SIGTERM, SIGHUP}};
};

struct Runner::Running {
  Job job;
  int slot = 0;
  BatchKind kind = BatchKind::normal;
  std::string command;
  pid_t pid = -1;
  UniqueFd out;
  UniqueFd err;
  SteadyTime start{};
  std::chrono::system_clock::time_point started_at{};
  std::optional<SteadyTime> deadline;
  std::optional<milliseconds> timeout;
  std::optional<double> timeout_percent;  // --timeout N%: the deadline follows the median
  std::optional<int> wait_status;
  SteadyTime ended{};
  bool timed_out = false;
  std::string stop_reason;  // why prun stopped it: cancellation or --halt now
  bool killing = false;
  std::size_t kill_step = 0;
  SteadyTime next_kill{};
  int first_kill_signal = 0;
  bool hard_killed = false;
  bool leftovers = false;
  bool escape_scanned = false;
  bool pipe_held = false;
  unsigned long long start_ticks = 0;  // clock ticks since boot when the job started
  std::vector<std::pair<int, SteadyTime>> signals_sent;
  std::optional<SteadyTime> group_gone;
  std::vector<std::string> escaped;  // processes that outlived the job, as described for its record
  bool pipes_grown = false;
  std::optional<SteadyTime> drain_deadline;
  std::unique_ptr<JobCapture> capture;
  std::string log_path;
};

Runner::Runner(RunnerConfig config, JobEndCallback on_end)
    : m_config(std::move(config)),
      m_on_end(std::move(on_end)),
      m_signals(std::make_unique<Signals>()),
      m_started(Clock::now()) {
  ::signal(SIGPIPE, SIG_IGN);
  become_subreaper();
  if (m_config.github) m_github_token = random_token();
  m_out_own = std::make_unique<OutputSink>(1);
  m_out = m_out_own.get();
  if (OutputSink::same_target(1, 2)) {
    m_err = m_out;
  } else {
    m_err_own = std::make_unique<OutputSink>(2);
    m_err = m_err_own.get();
  }
}

Runner::~Runner() {
  // Only reached with jobs still running when an exception left run_batch: kill them.
  for (auto& r : m_slots) {
    if (r) ::kill(-r->pid, SIGKILL);
  }
  sweep();
}

void Runner::build_slot_env(int slots, const JobSettings& settings) {
  std::vector<std::string> base;
  for (char** e = environ; *e != nullptr; ++e) base.emplace_back(*e);
  unset_var(base, "PRUN_JOB");
  for (const auto& kv : m_config.env) set_var(base, kv);
  for (const auto& kv : settings.env) set_var(base, kv);
  set_var(base, "PRUN_SLOT_COUNT=" + std::to_string(slots));
  set_var(base, "PRUN_RUN_ID=" + m_config.run.run_id);
  m_slot_env.assign(static_cast<std::size_t>(slots), {});
  for (int s = 0; s < slots; ++s) {
    auto& env = m_slot_env[static_cast<std::size_t>(s)];
    env = base;
    for (const auto& se : m_config.slot_env) {
      set_var(env, se.key + "=" + se.values[static_cast<std::size_t>(s) % se.values.size()]);
    }
    set_var(env, "PRUN_SLOT=" + std::to_string(s));
    set_var(env, "CI_COMMAND_NUMBER=" + std::to_string(s));
    set_var(env, "PROJECT_NAME=" + project_name(m_config.run.run_id, s));
  }
}

void Runner::start_job(Job job, int slot, int attempt, const JobSettings& settings, BatchKind kind) {
  auto r = std::make_unique<Running>();
  r->slot = slot;
  r->kind = kind;
  job.attempt = attempt;
  r->command = command_text(job, slot);
  r->job = std::move(job);
  if (!m_config.log_dir.empty()) {
    char name[64];
    if (attempt == 1) {
      std::snprintf(name, sizeof name, "/%04zu.log", r->job.number);
    } else {
      std::snprintf(name, sizeof name, "/%04zu.%d.log", r->job.number, attempt);
    }
    r->log_path = m_config.log_dir + name;
  }
  CaptureSettings cs;
  cs.mode = m_config.output;
  cs.timestamps = m_config.timestamps;
  cs.tail_bytes = m_config.tail_bytes;
  cs.log_path = r->log_path;
  cs.slot = slot;
  cs.job = r->job.number;
  cs.github = m_config.github;
  if (m_config.tagstring) {
    cs.tag = expand_plain(*m_config.tagstring, r->job.has_template ? r->job.args : std::vector<std::string>{r->job.name},
                          r->job.number, slot);
  }
  r->capture = std::make_unique<JobCapture>(cs, m_out, m_err);

  auto& slot_env = m_slot_env[static_cast<std::size_t>(slot)];
  std::vector<char*> envp;
  envp.reserve(slot_env.size() + 2);
  for (auto& e : slot_env) envp.push_back(e.data());
  std::string job_var = "PRUN_JOB=" + std::to_string(r->job.number);
  envp.push_back(job_var.data());
  envp.push_back(nullptr);

  r->start = Clock::now();
  r->started_at = std::chrono::system_clock::now();
  r->start_ticks = boot_ticks_now();
  bool no_shell = !m_config.no_shell_words.empty() && r->job.has_template;
  ShellChild child =
      no_shell ? spawn_program(expand_argv(m_config.no_shell_words, r->job.args, r->job.number, slot), envp.data(),
                               m_config.merge_stderr)
               : spawn_shell(r->command, envp.data(), m_config.merge_stderr);
  r->pid = child.pid;
  r->out = std::move(child.out);
  r->err = std::move(child.err);
  r->timeout = settings.timeout;
  if (settings.timeout) r->deadline = r->start + *settings.timeout;
  if (!settings.timeout && kind == BatchKind::normal) r->timeout_percent = settings.timeout_percent;
  apply_relative_timeout(*r);
  m_last_start = r->start;
  if (kind == BatchKind::always && cancelled()) {
    SteadyTime limit = m_cancel_started + m_config.cancel_grace;
    r->deadline = r->deadline ? std::min(*r->deadline, limit) : limit;
    if (!r->timeout || *r->deadline < r->start + *r->timeout) {
      r->timeout = std::chrono::duration_cast<milliseconds>(*r->deadline - r->start);
    }
  }
  if (m_config.verbose) {
    m_err->write("prun: start [" + std::to_string(slot) + "/" + std::to_string(r->job.number) + "] " + r->command +
                     (attempt > 1 ? " (attempt " + std::to_string(attempt) + ")" : "") + "\n");
  }
  m_slots[static_cast<std::size_t>(slot)] = std::move(r);
}

void Runner::reap() {
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    for (auto& r : m_slots) {
      if (r && r->pid == pid && !r->wait_status) {
        r->wait_status = status;
        r->ended = Clock::now();
        break;
      }
    }
  }
}

void Runner::read_pipes(Running& r, short revents_out, short revents_err) {
  static thread_local std::string buffer(1 << 18, '\0');
  auto drain = [&](UniqueFd& fd, int stream, short revents) {
    if (!fd.valid() || (revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
    for (int round = 0; round < 16; ++round) {
      ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {
        fd.reset();
        r.capture->on_eof(stream);
        return;
      }
      if (static_cast<std::size_t>(n) >= k_default_pipe && !r.pipes_grown) {
        r.pipes_grown = true;
        ::fcntl(r.out.get(), F_SETPIPE_SZ, k_large_pipe);  // failure is harmless
        ::fcntl(r.err.get(), F_SETPIPE_SZ, k_large_pipe);
      }
      r.capture->on_data(stream, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (static_cast<std::size_t>(n) < buffer.size()) return;
    }
  };
  drain(r.out, 1, revents_out);
  drain(r.err, 2, revents_err);
}

void Runner::on_signal(int sig) {
  auto now = Clock::now();
  if (m_cancel_signal == 0) {
    m_cancel_signal = sig;
    m_cancel_started = now;
    m_stop_dispatch = true;
    std::size_t running = 0;
    for (auto& r : m_slots) {
      if (!r) continue;
      ++running;
      if (r->kind == BatchKind::normal) {
        if (r->stop_reason.empty()) r->stop_reason = "cancelled by " + describe_signal(sig);
        if (!r->killing && !r->wait_status) begin_kill(*r, now);
      } else {
        SteadyTime limit = m_cancel_started + m_config.cancel_grace;
        if (!r->deadline || *r->deadline > limit) r->deadline = limit;
      }
    }
    if (!m_config.quiet) {
      std::string msg = "prun: " + describe_signal(sig) + " received: stopping " + std::to_string(running) +
                        " running job(s), then teardown and cleanup (a second signal kills at once)\n";
      m_err->write(msg);
    }
    return;
  }
  if (!m_hard_cancel) {
    m_hard_cancel = true;
    if (!m_config.quiet) m_err->write("prun: " + describe_signal(sig) + " received again: killing everything\n");
  }
  for (auto& r : m_slots) {
    if (!r) continue;
    if (r->stop_reason.empty()) r->stop_reason = "cancelled by " + describe_signal(sig);
    send_kill(*r, SIGKILL, now);
    r->hard_killed = true;
  }
}

void Runner::begin_kill(Running& r, SteadyTime now) {
  r.killing = true;
  r.kill_step = 0;
  advance_kill(r, now);
}

void Runner::advance_kill(Running& r, SteadyTime now) {
  if (!group_exists(r.pid)) {
    r.killing = false;
    return;
  }
  const auto& seq = m_config.kill_sequence;
  if (r.kill_step < seq.size()) {
    int sig = seq[r.kill_step].signal;
    send_kill(r, sig, now);
    if (sig != SIGKILL && sig != SIGCONT) ::kill(-r.pid, SIGCONT);
    if (r.first_kill_signal == 0) r.first_kill_signal = sig;
    r.next_kill = now + seq[r.kill_step].grace;
    ++r.kill_step;
  } else {
    send_kill(r, SIGKILL, now);
    r.next_kill = now + milliseconds(1000);
  }
}

void Runner::send_kill(Running& r, int sig, SteadyTime now) {
  ::kill(-r.pid, sig);
  // A repeated SIGKILL (every second until the group is gone) is not news for the record.
  if (r.signals_sent.empty() || r.signals_sent.back().first != sig || sig != SIGKILL) {
    r.signals_sent.emplace_back(sig, now);
  }
}

// A child of ours that is no job's top process and in no other running job's group has
// escaped its job (double fork, setsid) and was re-parented to prun, the subreaper. It is
// this job's when its environment says so, or when it carries no marker of another running
// job (env -i clears them) and started after this job did.
std::size_t Runner::kill_escapees(Running& r) {
  std::vector<pid_t> children = children_of_self();
  if (children.empty()) return 0;
  std::string run_var = "PRUN_RUN_ID=" + m_config.run.run_id;
  std::size_t killed = 0;
  for (pid_t pid : children) {
    bool known = false;
    pid_t pg = ::getpgid(pid);
    for (const auto& other : m_slots) {
      if (other && (other->pid == pid || (other.get() != &r && other->pid == pg))) known = true;
    }
    if (known) continue;
    // Marked by this run: ours when its job number is this job's; unmarked (env -i): ours
    // when it started after this job did.
    bool ours = false;
    if (environ_has(pid, {run_var})) {
      ours = environ_has(pid, {run_var, "PRUN_JOB=" + std::to_string(r.job.number)});
    } else {
      unsigned long long started = process_start_ticks(pid);
      ours = started != 0 && started + 1 >= r.start_ticks;
    }
    if (!ours) continue;
    r.escaped.push_back(describe_process(pid));
    kill_process_and_group(pid);
    ++killed;
  }
  return killed;
}

bool Runner::try_finish(Running& r, SteadyTime now) {
  if (!r.wait_status) return false;
  if (group_exists(r.pid)) {
    if (!r.killing) {
      r.leftovers = true;
      begin_kill(r, now);
    }
    return false;
  }
  if (!r.group_gone) r.group_gone = now;
  if (!r.escape_scanned) {
    kill_escapees(r);
    r.escape_scanned = true;
  }
  if (!r.out.valid() && !r.err.valid()) return true;
  if (!r.drain_deadline) r.drain_deadline = now + k_drain_grace;
  if (now >= *r.drain_deadline) {
    r.pipe_held = true;
    if (r.out.valid()) r.capture->on_eof(1);
    if (r.err.valid()) r.capture->on_eof(2);
    r.out.reset();
    r.err.reset();
    return true;
  }
  return false;
}

void Runner::check_halt(BatchKind kind) {
  if (kind != BatchKind::normal || m_config.halt.when == HaltPolicy::When::never) return;
  if (m_failures < static_cast<std::size_t>(m_config.halt.after_failures) || m_halted) return;
  m_halted = true;
  m_stop_dispatch = true;
  if (m_config.halt.when != HaltPolicy::When::now) return;
  auto now = Clock::now();
  for (auto& r : m_slots) {
    if (r && !r->wait_status && r->kind == BatchKind::normal) {
      if (r->stop_reason.empty()) r->stop_reason = "stopped by --halt now";
      if (!r->killing) begin_kill(*r, now);
    }
  }
}

void Runner::finish(std::unique_ptr<Running> r, BatchResult& result, std::deque<Job>& queue,
                    const JobSettings& settings, BatchKind kind) {
  Outcome o;
  o.attempts = r->job.attempt;
  o.slot = r->slot;
  o.started_at = r->started_at;
  // The slot was busy until the job's whole group was gone, not just its top process.
  SteadyTime end = r->group_gone ? std::max(*r->group_gone, r->ended) : r->ended;
  o.duration_s = std::chrono::duration<double>(end - r->start).count();
  int status = *r->wait_status;
  int code = exit_code_from_status(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  o.exit_code = code;
  if (r->timed_out) {
    o.status = Status::timeout;
    o.timed_out = true;
    o.exit_code = 124;
    o.message = "timed out after " + format_duration(*r->timeout);
    if (r->timeout_percent) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%g%%", *r->timeout_percent);
      auto median = milliseconds(std::llround(*m_passed_median.median() * 1000));
      o.message += std::string(" (") + percent + " of the median " + format_duration(median) + ")";
    }
  } else if (!r->stop_reason.empty() && (r->first_kill_signal != 0 || r->hard_killed)) {
    o.status = Status::error;
    o.message = r->stop_reason;
    if (o.signal && *o.signal != m_cancel_signal) o.message += ", ended by " + describe_signal(*o.signal);
  } else if (WIFEXITED(status) && code == 0) {
    o.status = r->job.attempt > 1 ? Status::flaky : Status::passed;
    o.message = r->job.attempt > 1 ? "passed on attempt " + std::to_string(r->job.attempt) : "";
  } else if (WIFEXITED(status) && (code == 126 || code == 127)) {
    o.status = Status::error;
    o.message = code == 127 ? "command not found (exit 127)" : "command could not be executed (exit 126)";
  } else if (o.signal) {
    o.status = Status::failed;
    o.message = "killed by " + describe_signal(*o.signal);
  } else {
    o.status = Status::failed;
    o.message = "exit status " + std::to_string(code);
  }
  auto add = [&o](const std::string& text) { o.message += (o.message.empty() ? "" : "; ") + text; };
  if (!r->signals_sent.empty()) {
    std::string sent = "sent";
    for (std::size_t i = 0; i < r->signals_sent.size(); ++i) {
      const auto& [sig, at] = r->signals_sent[i];
      sent += std::string(i == 0 ? " " : ", ") + describe_signal(sig) + " at " +
              seconds_text(std::chrono::duration<double>(at - r->start).count());
    }
    add(sent);
  }
  if (r->leftovers) {
    o.leaked = true;
    add("left background processes, killed");
  }
  if (!r->escaped.empty()) {
    o.leaked = true;
    std::string names;
    for (const auto& e : r->escaped) names += (names.empty() ? "" : ", ") + e;
    add("leaked: " + std::to_string(r->escaped.size()) + " escaped process(es) killed: " + names);
  }
  if (r->pipe_held) add("output pipe held open after exit");
  std::string capture_error = r->capture->error();
  if (!capture_error.empty()) {
    if (o.status == Status::passed || o.status == Status::flaky) o.status = Status::error;
    add(capture_error);
  }
  o.stdout_tail = r->capture->stdout_tail();
  o.stderr_tail = r->capture->stderr_tail();
  o.log = r->log_path;

  if (o.status == Status::passed || o.status == Status::flaky) {
    m_passed_median.add(o.duration_s);
  }
  bool failed = o.status == Status::failed || o.status == Status::timeout;
  bool retry = failed && r->job.attempt <= settings.retries && !cancelled() && !m_stop_dispatch;

  if (m_config.progress && !m_config.progress_lines && !m_err->pending()) m_err->write("\r\x1b[K");
  std::string header = "[" + std::to_string(r->slot) + "/" + std::to_string(r->job.number) + "] " + one_line(r->job.name) +
                       ": " + status_name(o.status) + (o.message.empty() ? "" : " (" + o.message + ")") + " in " +
                       format_duration(std::chrono::duration_cast<milliseconds>(r->ended - r->start));
  if (retry) header += ", retrying (attempt " + std::to_string(r->job.attempt + 1) + " of " +
                       std::to_string(settings.retries + 1) + ")";
  bool group = m_config.output == OutputMode::group;
  std::string head;
  if (group) {
    // -q: the jobs' output is the data and still prints, without prun's headers.
    if (m_config.github) {
      head = (m_config.quiet ? "" : "::group::" + neutralise_workflow_commands(header) + "\n") +
             github_stop_commands(m_github_token);
    } else if (!m_config.quiet) {
      head = "==> " + header + "\n";
    }
    if (!m_config.keep_order) write_block(head, *r->capture);
  } else if (retry && !m_config.quiet) {
    m_err->write("prun: " + (m_config.github ? neutralise_workflow_commands(header) : header) + "\n");
  }

  if (retry) {
    Job job = std::move(r->job);
    job.attempt += 1;
    if (m_config.retry_other_slot) job.avoid_slot = r->slot;
    if (group && m_config.keep_order) hold(job.number, std::move(head), std::move(r->capture), false);
    queue.push_front(std::move(job));
    return;
  }
  ++m_done;
  if (o.status == Status::passed || (o.status == Status::flaky && !m_config.fail_on_flaky)) {
    ++result.passed;
    if (o.status == Status::flaky) ++result.flaky;
  } else {
    if (o.status == Status::flaky) ++result.flaky;
    ++result.failed;
    ++m_failures;
  }
  m_on_end(r->job, r->command, o, r->capture->bytes(), r->capture->combined_tail());
  if (group && m_config.keep_order) hold(r->job.number, std::move(head), std::move(r->capture), true);
  if (failed || o.status == Status::error || o.status == Status::flaky) check_halt(kind);
}

int Runner::free_slot_for(const Job& job, int slots) const {
  auto is_free = [&](int s) { return !m_slots[static_cast<std::size_t>(s)]; };
  if (job.fixed_slot >= 0) return is_free(job.fixed_slot % slots) ? job.fixed_slot % slots : -1;
  bool avoid = job.avoid_slot >= 0 && slots > 1;
  for (int s = 0; s < slots; ++s) {
    if (is_free(s) && !(avoid && s == job.avoid_slot)) return s;
  }
  return -1;
}

BatchResult Runner::skip_all(std::deque<Job> queue, const std::string& message) {
  BatchResult result;
  for (auto& job : queue) {
    Outcome o;
    o.status = Status::skipped;
    o.exit_code = std::nullopt;
    o.message = message;
    std::string command = command_text(job, 0);
    m_on_end(job, command, o, 0, {});
    if (m_config.keep_order) hold(job.number, {}, nullptr, true);
    ++result.skipped;
  }
  return result;
}

void Runner::print_progress(bool final) {
  if (!m_config.progress) return;
  auto now = Clock::now();
  if (!final && now - m_last_progress < m_config.progress_interval) return;
  if (m_config.progress_lines && (final || m_last_progress == SteadyTime{})) {
    m_last_progress = now;  // in a log: the first line after one interval, none at the end
    return;
  }
  m_last_progress = now;
  std::size_t running = 0;
  for (auto& r : m_slots) running += r ? 1 : 0;
  std::string line = "prun: " + std::to_string(m_done) + " done, " + std::to_string(running) + " running, " +
                     std::to_string(m_queued) + (m_more_input ? "+" : "") + " queued";
  std::size_t total = m_done + running + m_queued;
  if (m_config.progress_bar && !m_more_input && total > 0) {
    constexpr std::size_t k_width = 20;
    std::size_t filled = m_done * k_width / total;
    line += " [" + std::string(filled, '#') + std::string(k_width - filled, '.') + "] " +
            std::to_string(m_done * 100 / total) + "%";
  }
  if (m_done > 0 && !m_more_input) {
    auto elapsed = std::chrono::duration_cast<milliseconds>(now - m_started);
    auto eta = elapsed * static_cast<long long>(m_queued + running) / static_cast<long long>(m_done);
    line += ", ETA " + format_duration(std::chrono::duration_cast<milliseconds>(eta));
  }
  if (m_config.progress_lines) {
    line += "\n";
  } else {
    line = final ? "\r\x1b[K" : "\r" + line + "\x1b[K";
  }
  if (!m_err->pending()) m_err->write(line);
}

std::size_t Runner::skip_rest(std::deque<Job>& queue, JobInput* input, const std::string& message) {
  std::size_t skipped = skip_all(std::move(queue), message).skipped;
  queue.clear();
  int pipe_reads = 0;
  while (input && input->ready() && (input->regular_file() || pipe_reads++ < k_skip_pipe_reads)) {
    input->read_some(queue);
    skipped += skip_all(std::move(queue), message).skipped;
    queue.clear();
  }
  return skipped;
}

BatchResult Runner::run_batch(std::deque<Job> queue, int slots, const JobSettings& settings, BatchKind kind,
                              JobInput* input) {
  BatchResult result;
  if (slots < 1) slots = 1;
  if (kind == BatchKind::normal && (cancelled() || m_stop_dispatch)) {
    result.skipped = skip_rest(queue, input, cancelled() ? "not started: cancelled" : "not started: --halt");
    return result;
  }
  if (kind == BatchKind::always && m_hard_cancel) {
    result.skipped = skip_rest(queue, input, "not started: killed");
    return result;
  }
  m_slots.clear();
  m_slots.resize(static_cast<std::size_t>(slots));
  build_slot_env(slots, settings);
  std::vector<pollfd> fds;
  std::vector<Running*> owners;

  while (true) {
    bool may_dispatch = kind == BatchKind::always ? !m_hard_cancel : !(cancelled() || m_stop_dispatch);
    // A reader that does not keep up: no new jobs, and (for the live modes) no more reading
    // of the jobs' pipes, so they block on a full pipe while timers, signals and reaping go on.
    bool backlogged = output_backlogged();
    bool read_jobs = !backlogged || m_config.output == OutputMode::group;
    SteadyTime wake = Clock::now() + milliseconds(1000);
    while (may_dispatch && !backlogged && !queue.empty() && may_start_now(Clock::now(), wake)) {
      auto pick = queue.begin();
      int slot = free_slot_for(*pick, slots);
      // A retry waiting for another slot lets the next job take the free one.
      if (slot < 0 && pick->avoid_slot >= 0 && std::next(pick) != queue.end()) {
        ++pick;
        slot = free_slot_for(*pick, slots);
      }
      if (slot < 0) break;
      Job job = std::move(*pick);
      queue.erase(pick);
      int attempt = job.attempt;
      try {
        start_job(std::move(job), slot, attempt, settings, kind);
      } catch (const std::system_error& e) {
        throw Error(ExitCode::tool_failed, std::string("cannot start a job: ") + e.what());
      }
    }
    m_queued = queue.size();
    m_more_input = input && !input->done();
    bool any_running = std::any_of(m_slots.begin(), m_slots.end(), [](const auto& r) { return r != nullptr; });
    if (!any_running && (!may_dispatch || (queue.empty() && !m_more_input))) break;

    fds.clear();
    owners.clear();
    fds.push_back({m_signals->watch.fd(), POLLIN, 0});
    owners.push_back(nullptr);
    bool want_input = may_dispatch && m_more_input && queue.size() < k_read_ahead;
    fds.push_back({want_input ? input->fd() : -1, POLLIN, 0});
    owners.push_back(nullptr);
    fds.push_back({m_out->poll_fd(), POLLOUT, 0});
    owners.push_back(nullptr);
    fds.push_back({m_err == m_out ? -1 : m_err->poll_fd(), POLLOUT, 0});
    owners.push_back(nullptr);
    auto now = Clock::now();
    auto next = queue.empty() ? now + milliseconds(1000) : std::max(now, wake);
    for (auto& r : m_slots) {
      if (!r) continue;
      apply_relative_timeout(*r);
      // A job that has ended is read on: what its pipes still hold is bounded by their size.
      bool read = read_jobs || r->wait_status.has_value();
      fds.push_back({read ? r->out.get() : -1, POLLIN, 0});  // a negative fd is ignored by poll
      owners.push_back(r.get());
      fds.push_back({read ? r->err.get() : -1, POLLIN, 0});
      owners.push_back(r.get());
      if (!r->wait_status && r->deadline && !r->timed_out) next = std::min(next, *r->deadline);
      if (r->killing) next = std::min(next, r->next_kill);
      if (r->wait_status) next = std::min(next, now + k_group_check);
      if (r->drain_deadline) next = std::min(next, *r->drain_deadline);
    }
    if (cancelled()) {
      next = std::min(next, m_cancel_started + m_config.cancel_grace / 2);
      next = std::min(next, m_cancel_started + m_config.cancel_grace);
    }
    if (m_config.progress) next = std::min(next, now + m_config.progress_interval);
    auto wait = std::chrono::ceil<milliseconds>(next - now).count();
    if (wait < 0) wait = 0;
    int rc = ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (rc < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    if (rc > 0) {
      if (fds[0].revents != 0) {
        for (int sig : m_signals->watch.read()) {
          if (sig != SIGCHLD) on_signal(sig);
        }
      }
      if (fds[1].revents != 0) input->read_some(queue);
      if (fds[2].revents != 0) m_out->on_writable();
      if (fds[3].revents != 0) m_err->on_writable();
      for (std::size_t i = 4; i + 1 < fds.size(); i += 2) {
        if (fds[i].revents != 0 || fds[i + 1].revents != 0) {
          read_pipes(*owners[i], fds[i].revents, fds[i + 1].revents);
        }
      }
    }
    reap();
    now = Clock::now();
    for (auto& r : m_slots) {
      if (!r) continue;
      if (!r->wait_status && r->deadline && !r->timed_out && now >= *r->deadline) {
        r->timed_out = true;
        if (!r->killing) begin_kill(*r, now);
      }
      if (r->killing && now >= r->next_kill) advance_kill(*r, now);
      if (cancelled() && !r->hard_killed) {
        SteadyTime hard = m_cancel_started + (r->kind == BatchKind::normal ? m_config.cancel_grace / 2
                                                                            : m_config.cancel_grace);
        if (now >= hard) {
          send_kill(*r, SIGKILL, now);
          r->hard_killed = true;
        }
      }
    }
    for (auto& r : m_slots) {
      if (r && try_finish(*r, now)) finish(std::move(r), result, queue, settings, kind);
    }
    print_progress(false);
  }
  print_progress(true);
  m_more_input = false;
  if (!queue.empty() || (input && !input->done())) {
    result.skipped += skip_rest(queue, input, cancelled() ? "not started: cancelled" : "not started: --halt");
  }
  m_slots.clear();
  return result;
}

// --delay, --memfree, --load: whether the next job may start now; if not, wake is when to
// look again. While a limit on the machine's headroom is set, jobs start at least 100 ms
// apart, so that what the last one started shows in the figures.
bool Runner::may_start_now(SteadyTime now, SteadyTime& wake) {
  bool gated = m_config.headroom.memfree > 0 || m_config.headroom.max_load;
  auto gap = std::max(m_config.delay, gated ? k_headroom_gap : milliseconds(0));
  if (m_last_start != SteadyTime{} && now < m_last_start + gap) {
    wake = std::min(wake, m_last_start + gap);
    return false;
  }
  if (!gated) return true;
  std::string lack = lack_of_headroom(m_config.headroom);
  if (lack.empty()) {
    m_waiting_noted = false;
    return true;
  }
  if (!m_waiting_noted && !m_config.quiet) m_err->write("prun: waiting to start jobs: " + lack + "\n");
  m_waiting_noted = true;
  wake = std::min(wake, now + k_headroom_gap * 5);
  return false;
}

// What the job runs (for a --no-shell job, its argv quoted as a shell would read it back).
std::string Runner::command_text(const Job& job, int slot) const {
  if (job.has_template && !m_config.no_shell_words.empty()) {
    return quoted_argv(expand_argv(m_config.no_shell_words, job.args, job.number, slot));
  }
  if (job.has_template) {
    return expand_template(m_config.command_template, job.args, job.number, slot, m_config.context_replace);
  }
  return job.numbers ? expand_numbers(job.command, job.number, slot) : job.command;
}

void Runner::apply_relative_timeout(Running& r) const {
  auto median = m_passed_median.median();
  if (!r.timeout_percent || !median || r.timed_out || r.wait_status) return;
  auto limit = milliseconds(std::llround(*median * *r.timeout_percent * 10));  // s × % → ms
  r.timeout = limit;
  r.deadline = r.start + limit;
}

void Runner::write_block(const std::string& head, JobCapture& capture) {
  m_out->write(head);
  bool open_line = capture.replay(*m_out);
  std::string tail_text;
  if (open_line) tail_text = "\n";
  if (m_config.github) tail_text += github_resume_commands(m_github_token) + (m_config.quiet ? "" : "::endgroup::\n");
  if (!tail_text.empty()) m_out->write(tail_text);
}

void Runner::hold(std::size_t number, std::string head, std::unique_ptr<JobCapture> capture, bool last) {
  auto& held = m_held[number];
  if (capture) held.blocks.emplace_back(std::move(head), std::move(capture));
  held.last = held.last || last;
  // Everything before the next number in order has been printed: print on while the next
  // one has ended.
  for (auto it = m_held.begin(); it != m_held.end() && it->second.last && it->first <= m_next_in_order;) {
    for (auto& [block_head, block_capture] : it->second.blocks) write_block(block_head, *block_capture);
    m_next_in_order = it->first + 1;
    it = m_held.erase(it);
  }
}

bool Runner::output_backlogged() const {
  std::size_t queued = m_out->backlog() + (m_err == m_out ? 0 : m_err->backlog());
  return queued > OutputSink::k_backlog_limit;
}

void Runner::flush_output() {
  // -k: what waits for a job that never ended (it was never read from the input) goes now.
  for (auto& [number, held] : m_held) {
    for (auto& [block_head, block_capture] : held.blocks) write_block(block_head, *block_capture);
  }
  m_held.clear();
  while (m_out->pending() || m_err->pending()) {
    int wait = -1;
    if (cancelled()) {
      auto left = std::chrono::ceil<milliseconds>(m_cancel_started + m_config.cancel_grace - Clock::now());
      if (left.count() <= 0) break;
      wait = static_cast<int>(left.count());
    }
    pollfd fds[3] = {{m_out->poll_fd(), POLLOUT, 0},
                     {m_err == m_out ? -1 : m_err->poll_fd(), POLLOUT, 0},
                     {m_signals->watch.fd(), POLLIN, 0}};
    int rc = ::poll(fds, 3, wait);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    bool stop = false;
    if (fds[2].revents != 0) {
      for (int sig : m_signals->watch.read()) {
        if (sig == SIGCHLD) continue;
        on_signal(sig);
        stop = true;
      }
    }
    if (stop) break;
    if (fds[0].revents != 0) m_out->on_writable();
    if (fds[1].revents != 0) m_err->on_writable();
  }
  m_out->drop();
  m_err->drop();
}

void Runner::sweep() {
  for (int round = 0; round < 100; ++round) {
    reap();
    std::vector<pid_t> children = children_of_self();
    if (children.empty()) return;
    for (pid_t pid : children) kill_process_and_group(pid);
    std::this_thread::sleep_for(milliseconds(10));
  }
}

}  // namespace ciutils::prun
