#include "queue_worker.h"

#include "ciutils/error.h"
#include "ciutils/cli.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

namespace ciutils::prun {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long an idle worker waits before it asks again for jobs that others' expired
// leases may have returned to the queue.
constexpr milliseconds k_idle_poll{500};
// How long an idle worker blocks on the results stream at most (any record wakes it).
constexpr milliseconds k_idle_wait{1000};
// How often a worker started before the push looks for the run.
constexpr milliseconds k_push_poll{100};

std::string in_quotes(const std::string& line) { return "'" + line + "'"; }

}  // namespace

struct QueueFeed::Connections {
  std::optional<Redis> leaser;
  std::optional<Redis> renewer;
  std::optional<Redis> waiter;  // blocks on the results stream while this worker is idle
};

QueueFeed::QueueFeed(RedisUrl url, QueueKeys keys, Worker worker, int slots, Waiting waiting)
    : m_keys(std::move(keys)),
      m_url(std::move(url)),
      m_worker(std::move(worker)),
      m_slots(std::max(slots, 1)),
      m_waiting(waiting),
      m_connections(std::make_unique<Connections>()) {
  open_pipe();
}

void QueueFeed::open_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  m_read = UniqueFd(fds[0]);
  m_write = UniqueFd(fds[1]);
  ::fcntl(m_write.get(), F_SETFL, O_WRONLY | O_NONBLOCK);
}

JobInput* QueueFeed::step_input(std::size_t step, int slots) {
  std::lock_guard lock(m_mutex);
  if (m_step_inputs.size() > 0) open_pipe();  // the first step reads the pipe made at construction
  auto input = std::make_unique<JobInput>(input_path(), false);
  m_read.reset();  // the input holds its own descriptor
  input->decode_with([](std::string_view line, Job& job) {
    auto o = boost::json::parse(line).as_object();
    job.queue_id = o.at("id").as_string().c_str();
    job.name = o.at("name").as_string().c_str();
    job.classname = o.at("classname").as_string().c_str();
    job.command = o.at("command").as_string().c_str();
    job.numbers = true;
    if (auto slot = o.if_contains("slot")) job.fixed_slot = static_cast<int>(slot->to_number<long long>());
  });
  m_step_inputs.push_back(std::move(input));
  m_step = static_cast<int>(step);
  m_slots = std::max(slots, 1);
  m_input_closed = false;
  m_have_last = false;
  m_step_begun = true;
  m_wake.notify_all();
  return m_step_inputs.back().get();
}

QueueFeed::~QueueFeed() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_leaser.joinable()) m_leaser.join();
  if (m_renewer.joinable()) m_renewer.join();
}

std::string QueueFeed::input_path() const { return "/dev/fd/" + std::to_string(m_read.get()); }

void QueueFeed::start() {
  m_connections->leaser.emplace(Redis::connect(m_url));
  m_connections->renewer.emplace(Redis::connect(m_url));
  auto started = Clock::now();
  while (!renew_leases(*m_connections->renewer, m_keys, m_worker, {})) {
    if (!m_waiting.for_push || (m_waiting.limit && Clock::now() - started >= *m_waiting.limit)) {
      throw UsageError("queue " + m_keys.queue() + " has no run " + m_keys.run_id() +
                       (m_waiting.for_push ? " after waiting " + format_duration(*m_waiting.limit) : std::string()) +
                       " (push it first with prun queue push, or it has expired)");
    }
    std::this_thread::sleep_for(k_push_poll);
  }
  m_plan_text = read_plan_text(*m_connections->renewer, m_keys);
  // Signals are the runner's: the threads start with every signal blocked.
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  m_leaser = std::thread([this] { lease_loop(); });
  m_renewer = std::thread([this] { renew_loop(); });
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

void QueueFeed::on_record(const Job& job, const boost::json::object& record, bool cancelled) {
  std::lock_guard lock(m_mutex);
  if (m_plan_text.empty() && (job.number == 0 || job.number > m_ids_by_number.size())) return;
  if (!m_plan_text.empty() && job.queue_id.empty()) return;  // setup, teardown, cleanup: this node's own
  const std::string& id = m_plan_text.empty() ? m_ids_by_number[job.number - 1] : job.queue_id;
  std::string status = record.at("status").as_string().c_str();
  bool ran_through = status == "passed" || status == "flaky" || !cancelled;
  if (status == "skipped" || !ran_through) {
    m_releases.push_back(id);
  } else {
    m_completions.push_back({id, status, to_json(record)});
  }
  m_wake.notify_all();
}

QueueFeed::Summary QueueFeed::finish() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  if (m_leaser.joinable()) m_leaser.join();
  if (m_renewer.joinable()) m_renewer.join();
  return m_summary;
}

void QueueFeed::close_input() {
  m_write.reset();
  m_input_closed = true;
}

void QueueFeed::write_pending() {
  while (!m_unwritten.empty() && m_write.valid()) {
    ssize_t n = ::write(m_write.get(), m_unwritten.data(), m_unwritten.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // full (EAGAIN): the runner reads it as slots free up
    m_unwritten.erase(0, static_cast<std::size_t>(n));
  }
}

// Records the completions and puts back the releases gathered so far. Called with the
// lock held; drops it around the Redis calls so the runner never waits on them.
void QueueFeed::flush(Redis& redis, std::unique_lock<std::mutex>& lock) {
  if (!m_completions.empty()) {
    std::vector<Completion> batch = m_completions;
    lock.unlock();
    auto recorded = complete_jobs(redis, m_keys, m_worker, batch);
    lock.lock();
    if (!recorded) throw Error(ExitCode::unavailable, "the run " + m_keys.run_id() + " expired while it ran");
    m_completions.erase(m_completions.begin(), m_completions.begin() + static_cast<long>(batch.size()));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      m_in_flight.erase(batch[i].id);
      if ((*recorded)[i]) {
        ++m_summary.recorded;
      } else {
        ++m_summary.duplicates;
        m_summary.notes.push_back("job " + in_quotes(m_lines[batch[i].id]) +
                                  " had already been recorded by another worker: this result went to the "
                                  "duplicates stream");
      }
    }
  }
  if (!m_releases.empty()) {
    std::vector<std::string> batch = m_releases;
    lock.unlock();
    release_jobs(redis, m_keys, m_worker, batch);
    lock.lock();
    m_releases.erase(m_releases.begin(), m_releases.begin() + static_cast<long>(batch.size()));
    for (const auto& id : batch) m_in_flight.erase(id);
    m_summary.released += batch.size();
  }
}

// Leases as many jobs as there are free slots (and a read-ahead while the queue is long)
// and hands their lines to the runner; closes the runner's input once the run is drained.
void QueueFeed::lease_step(Redis& redis, std::unique_lock<std::mutex>& lock) {
  bool plan = !m_plan_text.empty();
  if (plan && m_step < 0) return;
  m_step_begun = false;
  // Jobs that ended but are not recorded yet hold no slot: their slots are leased for first.
  int free = m_slots - static_cast<int>(m_in_flight.size()) + static_cast<int>(m_completions.size());
  if (free <= 0 && m_have_last) return;
  int step = m_step;
  lock.unlock();
  LeaseResult r = lease_jobs(redis, m_keys, m_worker, free, m_slots, step);
  lock.lock();
  if (!r.run_exists) throw Error(ExitCode::unavailable, "the run " + m_keys.run_id() + " expired while it ran");
  for (const auto& line : r.quarantined) {
    m_summary.notes.push_back("quarantined job " + in_quotes(line) + ": the worker running it was lost " +
                              std::to_string(m_worker.max_crashes) + " times (--max-crashes); recorded as error");
  }
  for (auto& [id, job] : r.jobs) {
    m_in_flight.insert(id);
    if (plan) {
      boost::json::object o{{"id", id}, {"name", job.name}, {"classname", job.classname}, {"command", job.line}};
      if (job.slot >= 0) o["slot"] = job.slot;
      m_unwritten += boost::json::serialize(o);
    } else {
      m_ids_by_number.push_back(id);
      m_unwritten += job.line;
    }
    m_unwritten += '\n';
    m_lines[id] = job.name;
  }
  write_pending();
  if (plan) {
    // The step ends for this worker once the run has recorded every job of it.
    bool over = r.step_done && m_in_flight.empty() && m_unwritten.empty();
    m_last = std::move(r);
    m_have_last = true;
    if (over) {
      close_input();
      m_step = -1;
    }
    return;
  }
  bool drained = r.jobs.empty() && r.queued == 0 && r.leased == 0 && m_in_flight.empty() &&
                 (r.sealed || !m_waiting.keep_waiting);
  if (!r.jobs.empty() || r.sealed || !m_in_flight.empty()) {
    m_idle_since.reset();
  } else if (!m_idle_since) {
    m_idle_since = Clock::now();
  } else if (m_waiting.limit && Clock::now() - *m_idle_since >= *m_waiting.limit && r.queued == 0) {
    m_summary.notes.push_back("stopped waiting for more jobs of the open run " + m_keys.run_id() + " after " +
                              format_duration(*m_waiting.limit) + " with nothing to run (--wait)");
    drained = true;
  }
  m_last = std::move(r);
  m_have_last = true;
  if (drained) close_input();
}

void QueueFeed::lease_loop() {
  Redis& redis = *m_connections->leaser;
  auto last_ok = Clock::now();
  std::unique_lock lock(m_mutex);
  while (true) {
    bool stopping = m_stop;
    try {
      // A slot freed while the queue has jobs: its next job first, then the records (the
      // slot waits for one round trip, not two).
      if (!stopping && !m_input_closed && !m_completions.empty() && m_have_last && m_last.queued > 0) {
        lease_step(redis, lock);
      }
      flush(redis, lock);
      if (stopping) {
        // Leased and never handed to the runner (or never started): back to the queue.
        std::vector<std::string> left(m_in_flight.begin(), m_in_flight.end());
        lock.unlock();
        release_jobs(redis, m_keys, m_worker, left);
        lock.lock();
        m_summary.released += left.size();
        m_in_flight.clear();
        close_input();
        return;
      }
      if (!m_input_closed) lease_step(redis, lock);
      last_ok = Clock::now();
    } catch (const RedisRefusedError& e) {
      if (!lock.owns_lock()) lock.lock();  // thrown while a Redis call had it released
      if (!e.transient() || Clock::now() - last_ok > m_worker.lease || stopping) {
        m_summary.error = e.what();
        close_input();
        return;
      }
    } catch (const ServiceError& e) {
      if (!lock.owns_lock()) lock.lock();
      // Redis restarting or a network blip: the leases outlive it; giving up earlier
      // than they do would waste the work in flight.
      if (Clock::now() - last_ok > m_worker.lease || stopping) {
        m_summary.error = e.what();
        close_input();
        return;
      }
    } catch (const std::exception& e) {
      if (!lock.owns_lock()) lock.lock();
      m_summary.error = e.what();
      close_input();
      return;
    }
    bool idle = !m_input_closed && m_have_last && m_last.queued == 0 && m_in_flight.empty() &&
                m_unwritten.empty() && m_completions.empty() && m_releases.empty() && !m_stop;
    if (idle) {
      // Nothing to run and nothing running here, but others hold leases: the next record
      // (the run may be done) or the nearest expiry (a job may come back) is worth a look.
      milliseconds block = k_idle_wait;
      if (m_last.next_expiry_ms >= 0) {
        block = std::clamp(milliseconds(m_last.next_expiry_ms - m_last.now_ms + 10), milliseconds(1), k_idle_wait);
      }
      if (m_idle_since && m_waiting.limit && !m_last.sealed) {
        auto left = std::chrono::ceil<milliseconds>(*m_idle_since + *m_waiting.limit - Clock::now());
        block = std::clamp(left, milliseconds(1), block);
      }
      std::string after_result = m_last.last_result_id;
      std::string after_push = m_last.last_push_id;
      lock.unlock();
      try {
        if (!m_connections->waiter) {  // made when first needed: a worker that never idles never pays for it
          m_connections->waiter.emplace(Redis::connect(m_url));
          m_connections->waiter->set_command_timeout(k_idle_wait + milliseconds(5000));
        }
        wait_for_change(*m_connections->waiter, m_keys, after_result, after_push, block);
      } catch (const std::exception&) {
        std::this_thread::sleep_for(milliseconds(100));  // the leasing call above decides what an outage means
      }
      lock.lock();
      continue;
    }
    milliseconds wait = k_idle_poll;
    if (!m_unwritten.empty()) {
      wait = milliseconds(20);
    } else if (m_have_last && m_last.next_expiry_ms >= 0 && m_in_flight.size() < static_cast<std::size_t>(m_slots)) {
      // Another worker's lease may run out: ask again just after it does.
      wait = std::clamp(milliseconds(m_last.next_expiry_ms - m_last.now_ms + 10), milliseconds(10), k_idle_poll);
    }
    if (m_input_closed) wait = milliseconds(1000);
    m_wake.wait_for(lock, wait, [&] { return m_stop || m_step_begun || !m_completions.empty() || !m_releases.empty(); });
  }
}

void QueueFeed::renew_loop() {
  Redis& redis = *m_connections->renewer;
  std::unique_lock lock(m_mutex);
  while (true) {
    m_wake.wait_for(lock, m_worker.lease / 3, [&] { return m_stop; });
    if (m_stop) return;
    std::vector<std::string> ids(m_in_flight.begin(), m_in_flight.end());
    lock.unlock();
    std::optional<std::vector<std::string>> lost;
    try {
      lost = renew_leases(redis, m_keys, m_worker, ids);
    } catch (const std::exception&) {
      // The leasing thread decides when Redis is gone for good; renewals just try again.
    }
    lock.lock();
    if (!lost) continue;
    for (const auto& id : *lost) {
      if (!m_in_flight.count(id) || !m_lost_noted.insert(id).second) continue;
      m_summary.notes.push_back("lost the lease of job " + in_quotes(m_lines[id]) +
                                " (this worker was stopped or cut off past --lease-timeout): another worker may "
                                "run it too; the first result counts");
    }
  }
}

}  // namespace ciutils::prun
