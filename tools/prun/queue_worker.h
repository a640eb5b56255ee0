// The Redis side of `prun queue work`: a thread that leases jobs and writes their lines
// into a pipe that prun's own runner reads as its job input (so they run exactly as local
// prun runs them), and records each finished job; a second thread, on its own connection,
// renews the leases of the jobs this worker holds.
#pragma once

#include "job.h"
#include "job_input.h"
#include "queue_store.h"

#include "ciutils/fd.h"

#include <boost/json/object.hpp>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ciutils::prun {

class QueueFeed {
public:
  // How long a worker with nothing to run waits: for the run to be pushed, and (with
  // keep_waiting) for more jobs of an open run once it is drained.
  struct Waiting {
    bool keep_waiting = false;  // --no-exit-when-drained: an open run is not drained
    bool for_push = false;      // false: a missing run is an error at once
    std::optional<std::chrono::milliseconds> limit;  // --wait: for the push, and idle on an open run
  };
  // slots: the worker's -j; its read-ahead of leased jobs is at most that many more.
  QueueFeed(RedisUrl url, QueueKeys keys, Worker worker, int slots, Waiting waiting);
  ~QueueFeed();
  QueueFeed(const QueueFeed&) = delete;
  QueueFeed& operator=(const QueueFeed&) = delete;

  // The path prun reads its job lines from (the pipe's read end).
  std::string input_path() const;
  // A plan run: the plan's text (read by start), else empty.
  const std::string& plan_text() const { return m_plan_text; }
  // A plan run: the input of step `step`'s jobs, leased onto `slots` slots; it ends once
  // every job of the step is recorded in the run (by whichever worker).
  JobInput* step_input(std::size_t step, int slots);
  // Waits for the run to exist (UsageError when it does not in time) and starts both threads.
  void start();
  // Called by the runner as each job ends: its record goes to the run's results stream.
  // A job prun did not start, or stopped because prun itself was cancelled, goes back to
  // the queue for another worker.
  void on_record(const Job& job, const boost::json::object& record, bool cancelled);

  struct Summary {
    std::size_t recorded = 0, duplicates = 0, released = 0;
    std::vector<std::string> notes;  // quarantines, lost leases: one line each
    std::string error;               // why the worker stopped talking to Redis, or empty
  };
  // Records what is left, puts back what was leased and not run, and stops the threads.
  Summary finish();

private:
  void lease_loop();
  void renew_loop();
  void lease_step(Redis& redis, std::unique_lock<std::mutex>& lock);
  void flush(Redis& redis, std::unique_lock<std::mutex>& lock);
  void close_input();
  void write_pending();
  void open_pipe();

  struct Connections;
  QueueKeys m_keys;
  RedisUrl m_url;
  Worker m_worker;
  int m_slots;
  Waiting m_waiting;
  std::optional<std::chrono::steady_clock::time_point> m_idle_since;
  std::unique_ptr<Connections> m_connections;
  UniqueFd m_read;
  UniqueFd m_write;
  std::string m_unwritten;  // job lines the pipe had no room for yet
  std::string m_plan_text;
  int m_step = -1;           // a plan run: the step being leased from, -1 between steps
  bool m_step_begun = false; // a step asked for, not yet looked at by the leasing thread
  std::vector<std::unique_ptr<JobInput>> m_step_inputs;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  bool m_input_closed = false;
  std::vector<std::string> m_ids_by_number;  // job number - 1 → queue id
  std::set<std::string> m_in_flight;         // leased by this worker, not yet recorded or released
  std::vector<Completion> m_completions;
  std::vector<std::string> m_releases;
  std::set<std::string> m_lost_noted;
  std::map<std::string, std::string> m_lines;  // queue id → job line
  LeaseResult m_last;
  bool m_have_last = false;
  Summary m_summary;
  std::thread m_leaser;
  std::thread m_renewer;
};

}  // namespace ciutils::prun
