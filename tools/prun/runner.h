// The event loop: one poll() over every running job's pipes, the signal self-pipe and
// the nearest timer; a pool of slots pulling jobs from a queue; timeouts and
// cancellation through the kill sequence; escaped processes found as a subreaper.
#pragma once

#include "job.h"
#include "job_input.h"
#include "options.h"
#include "output.h"
#include "output_sink.h"
#include "record.h"
#include "running_median.h"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::prun {

using SteadyTime = std::chrono::steady_clock::time_point;

struct RunnerConfig {
  OutputMode output = OutputMode::group;
  bool timestamps = false;
  bool github = false;  // GITHUB_ACTIONS=true
  bool merge_stderr = false;  // one pipe for both streams (2>&1)
  bool keep_order = false;    // -k: --group output in job-number order
  KillSequence kill_sequence = default_kill_sequence();
  HaltPolicy halt;
  bool fail_on_flaky = false;
  bool retry_other_slot = false;
  RunInfo run;
  std::string log_dir;
  std::size_t tail_bytes = 4096;
  std::vector<std::string> env;  // --env (K=V)
  std::vector<SlotEnv> slot_env;
  std::string command_template;  // template mode: the joined words
  bool context_replace = false;  // -X
  std::vector<std::string> no_shell_words;  // --no-shell: the template's words, run as argv
  std::optional<std::string> tagstring;  // --tagstring: the --tag prefix, with replacement strings
  std::chrono::milliseconds delay{0};  // --delay: between job starts
  HeadroomLimits headroom;             // --memfree, --load
  std::chrono::milliseconds cancel_grace{7000};
  bool progress = false;
  bool progress_lines = false;  // whole lines, not one line redrawn: stderr is not a terminal
  bool progress_bar = false;    // --bar
  std::chrono::milliseconds progress_interval{250};
  bool quiet = false;
  bool verbose = false;  // a line on stderr as each job starts
};

// What the loop tells its caller as each job ends (final attempt only).
using JobEndCallback = std::function<void(const Job&, const std::string& command, const Outcome&,
                                          std::size_t output_bytes, const std::string& combined_tail)>;

enum class BatchKind {
  normal,   // stops dispatching on cancellation or --halt
  always,   // setup/teardown/cleanup: runs after a cancellation too, within --cancel-grace
};

struct BatchResult {
  std::size_t passed = 0, failed = 0, flaky = 0, skipped = 0;
  bool ok() const { return failed == 0; }
};

class Runner {
public:
  Runner(RunnerConfig config, JobEndCallback on_end);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs the queue on `slots` slots with the given settings; with input, the queue is
  // refilled from it as it runs low (a bounded read-ahead). Jobs not started because of a
  // cancellation or --halt are reported as skipped: the queue's, and the input's that can
  // be read without waiting for a producer.
  BatchResult run_batch(std::deque<Job> queue, int slots, const JobSettings& settings, BatchKind kind,
                        JobInput* input = nullptr);

  // Reports every job of the queue as skipped (a step after a failed one).
  BatchResult skip_all(std::deque<Job> queue, const std::string& message);

  bool cancelled() const { return m_cancel_signal != 0; }
  int cancel_signal() const { return m_cancel_signal; }
  bool halted() const { return m_halted; }

  // Kills whatever is left: children of ours that outlived their jobs (subreaped
  // escapees whose job could not be told), then reaps until none is left.
  void sweep();

  // prun's own stdout and stderr (one sink when both reach the same pipe or file).
  OutputSink& out() { return *m_out; }
  OutputSink& err() { return *m_err; }
  // Writes what is still queued for stdout and stderr; gives up when a signal arrives
  // (it then counts as a cancellation) or, after a cancellation, when --cancel-grace ends.
  void flush_output();

private:
  struct Running;
  void start_job(Job job, int slot, int attempt, const JobSettings& settings, BatchKind kind);
  void reap();
  void read_pipes(Running& r, short revents_out, short revents_err);
  void on_signal(int sig);
  void begin_kill(Running& r, SteadyTime now);
  void advance_kill(Running& r, SteadyTime now);
  std::size_t kill_escapees(Running& r);
  bool try_finish(Running& r, SteadyTime now);
  void finish(std::unique_ptr<Running> r, BatchResult& result, std::deque<Job>& queue,
              const JobSettings& settings, BatchKind kind);
  void check_halt(BatchKind kind);
  int free_slot_for(const Job& job, int slots) const;
  void build_slot_env(int slots, const JobSettings& settings);
  bool output_backlogged() const;
  void write_block(const std::string& head, JobCapture& capture);
  // -k: keeps a job's output block until every job numbered before it has been printed;
  // last: the job has ended for good (no retry follows).
  void hold(std::size_t number, std::string head, std::unique_ptr<JobCapture> capture, bool last);
  void send_kill(Running& r, int sig, SteadyTime now);
  void print_progress(bool final);
  bool may_start_now(SteadyTime now, SteadyTime& wake);
  std::string command_text(const Job& job, int slot) const;
  void apply_relative_timeout(Running& r) const;
  std::size_t skip_rest(std::deque<Job>& queue, JobInput* input, const std::string& message);

  RunnerConfig m_config;
  JobEndCallback m_on_end;
  struct Signals;
  std::unique_ptr<Signals> m_signals;
  std::vector<std::unique_ptr<Running>> m_slots;
  std::vector<std::vector<std::string>> m_slot_env;
  int m_cancel_signal = 0;
  bool m_hard_cancel = false;
  SteadyTime m_cancel_started{};
  bool m_halted = false;
  bool m_stop_dispatch = false;
  std::size_t m_failures = 0;
  std::size_t m_done = 0;
  std::size_t m_queued = 0;
  bool m_more_input = false;  // the queue is still being read: no total, no ETA
  SteadyTime m_started{};
  SteadyTime m_last_start{};
  bool m_waiting_noted = false;  // --memfree/--load: the note on stderr for this wait is out
  RunningMedian m_passed_median;  // seconds, of the jobs that passed (--timeout N%)
  SteadyTime m_last_progress{};
  std::string m_github_token;
  struct Held {
    std::vector<std::pair<std::string, std::unique_ptr<JobCapture>>> blocks;
    bool last = false;
  };
  std::map<std::size_t, Held> m_held;  // -k: output waiting for the jobs before it
  std::size_t m_next_in_order = 1;
  std::unique_ptr<OutputSink> m_out_own;
  std::unique_ptr<OutputSink> m_err_own;
  OutputSink* m_out = nullptr;
  OutputSink* m_err = nullptr;
};

}  // namespace ciutils::prun
