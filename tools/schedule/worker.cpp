#include "worker.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/json.h"
#include "ciutils/process.h"
#include "ciutils/subreaper.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

namespace ciutils::schedule {

std::chrono::milliseconds backoff(const WorkerOptions& options, int attempt) {
  auto delay = options.retry_delay;
  for (int i = 1; i < attempt && delay < options.retry_max_delay; ++i) delay *= 2;
  return std::min(delay, options.retry_max_delay);
}

std::vector<std::string> payload_environment(const boost::json::object& payload) {
  std::vector<std::string> out;
  for (const auto& field : payload) {
    std::string name = "TASK_PAYLOAD_";
    for (char c : field.key()) {
      auto u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      name += ((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) ? u : '_';
    }
    std::string value = field.value().is_string() ? std::string(field.value().as_string()) : to_json(field.value());
    out.push_back(name + "=" + value);
  }
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

// History's `warning` of a run whose delivery was no longer the worker's when it finished.
constexpr const char* k_lost_warning =
    "this run's lease was gone when it finished (lost in a Redis failover, or taken over by another worker "
    "after --visibility): its slot may have run twice";

struct Running {
  Task task;
  Child child;
  std::unique_ptr<GroupGuard> guard;  // kills the group if the worker dies (kill -9)
  Clock::time_point start;
  SysTime started_at;
  Clock::time_point next_beat;
  std::optional<Clock::time_point> kill_at;  // SIGKILL after SIGTERM when still running
  bool timed_out = false;
  bool replaced = false;
};

std::string field_of(const Task& task, const char* key) {
  if (auto it = task.doc.find(key); it != task.doc.end() && it->value().is_string())
    return std::string(it->value().as_string());
  return {};
}

class Worker {
public:
  Worker(const WorkerOptions& options, const KeySpace& space, const RedisUrl& url, std::ostream& log)
      : m_options(options),
        m_space(space),
        m_keys(space, options.queue),
        m_redis(Redis::connect(url)),
        m_blocking(Redis::connect(url)),
        m_beat(Redis::connect(url)),
        m_log(log) {}

  int run() {
    SignalWatch signals({SIGTERM, SIGINT, SIGCHLD});
    // Descendants that leave a task's process group re-parent to us and are ended with it.
    become_subreaper();
    int stop_signal = 0;
    Clock::time_point stop_deadline{};
    long long taken = 0;
    while (true) {
      for (int sig : signals.read()) {
        if ((sig == SIGTERM || sig == SIGINT) && !stop_signal) {
          stop_signal = sig;
          stop_deadline = Clock::now() + m_options.grace;
          say("stopping: no new tasks; " + std::to_string(m_running.size()) + " running, grace " +
              format_duration(m_options.grace));
        }
      }
      reap();
      supervise();
      if (stop_signal) {
        auto code = stop_signal == SIGINT ? to_int(ExitCode::interrupted) : to_int(ExitCode::terminated);
        if (m_running.empty()) return leave(code);
        if (Clock::now() >= stop_deadline) {
          hand_back();
          return leave(code);
        }
      }
      bool limit_reached = m_options.max_tasks > 0 && taken >= m_options.max_tasks;
      if (limit_reached && m_running.empty()) return leave(0);
      if (!stop_signal && !limit_reached && static_cast<int>(m_running.size()) < m_options.jobs) {
        std::optional<Task> task;
        try {
          if (m_options.exit_when_empty) {
            task = take_now(m_redis, m_keys, m_options.consumer, m_options.visibility);
            if (!task && m_running.empty()) {
              // Done only when every task is acked or dead-lettered: a retry still waits, or
              // a lease (maybe a dead worker's) is reclaimed after --visibility.
              auto left = backlog(m_redis, m_keys);
              if (left.empty()) return leave(0);
              wait_for_backlog(left, signals.fd());
              continue;
            }
          } else {
            auto wait = m_running.empty() ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(100);
            task = take(m_redis, m_blocking, m_keys, m_options.consumer, m_options.visibility, wait);
          }
        } catch (const ServiceError& e) {
          // A refusal no retry cures (no password, no permission, a replica) ends the worker
          // once its running tasks are done; anything else may pass: retry in a second.
          auto refused = dynamic_cast<const RedisRefusedError*>(&e);
          if (refused && !refused->transient() && m_running.empty()) throw;
          say(std::string("cannot take a task, retrying in 1s: ") + e.what());
          pollfd p{signals.fd(), POLLIN, 0};
          ::poll(&p, 1, 1000);
          continue;
        }
        if (task) {
          ++taken;
          start(std::move(*task));
          continue;
        }
        if (!m_options.exit_when_empty) continue;
      }
      wait_for_event(signals.fd());
    }
  }

private:
  // Leaving with nothing held: drop our consumer from the group so consumers do not pile up.
  int leave(int code) {
    // Only when it holds no entry: deleting a consumer drops its pending entries.
    try {
      auto held = m_redis.command({"XPENDING", m_keys.tasks, std::string(k_group), "-", "+", "1", m_options.consumer});
      if (held.size() == 0)
        m_redis.command({"XGROUP", "DELCONSUMER", m_keys.tasks, std::string(k_group), m_options.consumer});
    } catch (const std::exception&) {
    }
    return code;
  }

  void say(const std::string& message) {
    if (!m_options.quiet) m_log << "schedule: " << message << std::endl;
  }

  void wait_for_backlog(const Backlog& left, int fd) {
    if (m_options.verbose && (left.leased != m_backlog.leased || left.delayed != m_backlog.delayed)) {
      say("queue " + m_options.queue + " not finished: " + std::to_string(left.leased) +
          " task(s) leased by workers, " + std::to_string(left.delayed) + " retry(ies) waiting; waiting for them");
    }
    m_backlog = left;
    auto timeout = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(1000), m_options.visibility / 4);
    if (left.delayed > 0) timeout = std::min(timeout, left.next_due);
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::max<long long>(10, timeout.count())));
  }

  void wait_for_event(int fd) {
    auto timeout = std::chrono::milliseconds(1000);
    auto now = Clock::now();
    for (const auto& r : m_running) {
      timeout = std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(r.next_beat - now));
      if (r.kill_at) timeout = std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(*r.kill_at - now));
      if (m_options.timeout.count() > 0 && !r.timed_out)
        timeout = std::min(timeout,
                           std::chrono::duration_cast<std::chrono::milliseconds>(r.start + m_options.timeout - now));
    }
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::max<long long>(1, timeout.count())));
  }

  void start(Task task) {
    auto id = task.id();
    if (task.cancelled) {
      auto finished = ack(m_redis, m_keys, Finisher::of(task, m_options.consumer));
      history(task, SysTime{}, std::chrono::system_clock::now(), "", "replaced", finished);
      replicate(task);
      say("task " + id + ": replaced by a newer run before it started");
      return;
    }
    const char* tmpdir = std::getenv("TMPDIR");
    std::string templ = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/schedule-task.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    int fd = ::mkstemp(buf.data());
    if (fd < 0) throw Error(ExitCode::tool_failed, "cannot create a temporary file in " + templ.substr(0, templ.rfind('/')));
    auto json = to_json(task.doc) + "\n";
    [[maybe_unused]] auto written = ::write(fd, json.data(), json.size());
    ::close(fd);
    std::vector<std::string> env{"TASK_ID=" + id, "TASK_QUEUE=" + m_options.queue,
                                 "TASK_ATTEMPT=" + std::to_string(task.attempt),
                                 "TASK_SCHEDULE=" + task.schedule(), "TASK_SLOT=" + field_of(task, "slot")};
    if (auto it = task.doc.find("payload"); it != task.doc.end() && it->value().is_object()) {
      auto extra = payload_environment(it->value().as_object());
      env.insert(env.end(), extra.begin(), extra.end());
    }
    SpawnOptions spawn_options;
    spawn_options.argv = m_options.command;
    spawn_options.env = environment_with(env);
    spawn_options.in = Redirect::file(buf.data());
    spawn_options.die_with_parent = true;
    Running r;
    r.started_at = std::chrono::system_clock::now();
    r.start = Clock::now();
    r.next_beat = r.start + m_options.visibility / 3;
    r.child = spawn(spawn_options);
    ::unlink(buf.data());
    if (m_options.verbose) say("task " + id + " attempt " + std::to_string(task.attempt) + ": started");
    r.task = std::move(task);
    if (r.child.exec_errno) {
      auto code = exit_code_for_exec_errno(r.child.exec_errno);
      wait_for(r.child.pid);
      finished(r, code);
      return;
    }
    r.guard = std::make_unique<GroupGuard>(r.child.pgid);
    m_running.push_back(std::move(r));
  }

  void reap() {
    for (auto it = m_running.begin(); it != m_running.end();) {
      auto status = try_wait(it->child.pid);
      if (!status) {
        ++it;
        continue;
      }
      Running r = std::move(*it);
      it = m_running.erase(it);
      end_leftovers(r, *status);
      finished(r, exit_code_from_status(*status));
    }
  }

  void supervise() {
    auto now = Clock::now();
    for (auto& r : m_running) {
      if (m_options.timeout.count() > 0 && !r.timed_out && now - r.start >= m_options.timeout) {
        r.timed_out = true;
        say("task " + r.task.id() + ": timed out after " + format_duration(m_options.timeout) + ", killing it");
        terminate(r);
      }
      if (r.kill_at && now >= *r.kill_at) {
        signal_group(r.child.pgid, SIGKILL);
        r.kill_at.reset();
      }
      if (now >= r.next_beat) {
        r.next_beat = now + m_options.visibility / 3;
        bool cancelled = false;
        bool ours = false;
        try {
          ours = heartbeat(m_beat, m_keys, m_options.consumer, r.task, m_options.visibility, cancelled);
        } catch (const ServiceError& e) {
          say(std::string("heartbeat failed: ") + e.what());
          continue;
        }
        if (!ours) say("task " + r.task.id() + ": lease lost (reclaimed by another worker, or lost in a Redis failover)");
        if (cancelled && !r.replaced) {
          r.replaced = true;
          say("task " + r.task.id() + ": replaced by a newer run, killing it");
          terminate(r);
        }
      }
    }
  }

  void terminate(Running& r) {
    signal_group(r.child.pgid, SIGTERM);
    r.kill_at = Clock::now() + m_options.kill_grace;
  }

  // After the leader's end (its wait status given) or to end it now: the rest of its
  // group and the descendants that left the group (their environment names the task).
  void end_leftovers(Running& r, std::optional<int> leader_status) {
    // The group may still hold grandchildren: end them with the leader.
    auto status = kill_group(r.child.pgid, r.child.pid, {{SIGKILL, std::chrono::seconds(2)}});
    if (!leader_status && !status) wait_for(r.child.pid);
    const std::vector<std::string> marks{"TASK_ID=" + r.task.id(), "TASK_ATTEMPT=" + std::to_string(r.task.attempt)};
    auto leftover = [&](pid_t pid) {
      for (const auto& other : m_running) {
        if (pid == other.child.pid || (other.guard && pid == other.guard->watcher())) return false;
      }
      return pid != r.guard->watcher() && (is_zombie(pid) || environ_has(pid, marks));
    };
    for (const auto& escapee : kill_children(leftover)) {
      say("task " + r.task.id() + ": killed " + escapee.name + " (pid " + std::to_string(escapee.pid) +
          "), which the command left running outside its process group");
    }
    r.guard->dismiss();
    r.guard.reset();
  }

  void hand_back() {
    for (auto& r : m_running) {
      end_leftovers(r, std::nullopt);
      try {
        if (retry(m_redis, m_keys, Finisher::of(r.task, m_options.consumer), std::chrono::milliseconds(0), false) ==
            Finished::lost) {
          say("task " + r.task.id() + ": " + k_lost_warning);
          continue;
        }
      } catch (const ServiceError& e) {
        say("task " + r.task.id() + ": could not hand it back (it is reclaimed after the visibility timeout): " + e.what());
        continue;
      }
      say("task " + r.task.id() + ": still running after the grace period; handed back to the queue");
    }
    m_running.clear();
  }

  // Records the run in its schedule's history; a run that found its delivery no longer its
  // own (`finished` lost) is recorded with a warning, and said on stderr.
  void history(const Task& task, SysTime started, SysTime ended, const std::string& exit, const std::string& status,
               Finished finished) {
    if (finished == Finished::lost) say("task " + task.id() + ": " + k_lost_warning);
    auto schedule = task.schedule();
    if (schedule.empty()) return;
    std::vector<std::pair<std::string, std::string>> fields{
        {"id", task.id()},
        {"slot", field_of(task, "slot")},
        {"enqueued", field_of(task, "enqueued_at")},
        {"started", started == SysTime{} ? "" : format_utc(started)},
        {"ended", format_utc(ended)},
        {"worker", m_options.consumer},
        {"exit", exit},
        {"attempts", std::to_string(task.attempt)},
        {"status", status}};
    if (finished == Finished::lost) fields.emplace_back("warning", k_lost_warning);
    try {
      record_history(m_redis, m_space, schedule, fields);
    } catch (const std::exception& e) {
      // The result is recorded already (acked, retried or dead-lettered): history is a log.
      say("task " + task.id() + ": could not record history: " + e.what());
    }
  }

  // A connection that died while the command ran (a Sentinel demoting the primary closes
  // its clients) is opened again, to the primary of now, for one more try: a result not
  // recorded means the task runs again. Should the first try have run before the connection
  // died, the second finds the delivery gone and the history says the slot may have run twice.
  void finished(Running& r, int code) {
    for (int attempt = 1;; ++attempt) {
      try {
        record_result(r, code);
      } catch (const std::exception& e) {
        auto lost_connection = dynamic_cast<const ServiceError*>(&e) && !dynamic_cast<const RedisRefusedError*>(&e);
        if (attempt == 1 && lost_connection) continue;
        say("task " + r.task.id() + ": could not record its result (it is reclaimed after the visibility timeout): " +
            e.what());
        return;
      }
      replicate(r.task);
      return;
    }
  }

  // --min-replicas: waits for the replicas to have the run's result and history entry (the
  // writes of m_redis so far). The run happened whatever they answer, so fewer is said, not
  // fatal: a failover before they catch up could lose the record, and the run with it.
  void replicate(const Task& task) {
    if (m_options.min_replicas <= 0) return;
    const auto wanted = m_options.min_replicas;
    try {
      auto acknowledged = m_redis.wait_replicas(wanted, k_replica_wait);
      if (acknowledged >= wanted) return;
      say("task " + task.id() + ": only " + std::to_string(acknowledged) + " of " + std::to_string(wanted) +
          (wanted == 1 ? " replica" : " replicas") + " acknowledged its result and history within " +
          format_duration(k_replica_wait) + " (--min-replicas): a failover now could lose this run's record");
    } catch (const ServiceError& e) {
      say("task " + task.id() + ": cannot tell whether the replicas have its result and history (--min-replicas): " +
          e.what());
    }
  }

  void record_result(Running& r, int code) {
    auto id = r.task.id();
    auto ended = std::chrono::system_clock::now();
    int attempt = r.task.attempt;
    const auto who = Finisher::of(r.task, m_options.consumer);
    if (r.replaced) {
      history(r.task, r.started_at, ended, std::to_string(code), "replaced", ack(m_redis, m_keys, who));
      return;
    }
    std::string reason;
    if (r.timed_out) {
      code = to_int(ExitCode::timeout);
      reason = "timed out after " + format_duration(m_options.timeout);
    } else if (code > 128 && code < 128 + 65) {
      reason = "killed by signal " + signal_name(code - 128);
    } else {
      reason = "exit status " + std::to_string(code);
    }
    if (code == 0) {
      history(r.task, r.started_at, ended, "0", "passed", ack(m_redis, m_keys, who));
      if (m_options.verbose) say("task " + id + ": done");
      return;
    }
    // A run whose delivery was lost is neither retried nor dead-lettered: the delivery that
    // replaced it (or the slot decided again) is the one that counts.
    if (m_options.infra_exit_codes.contains(code)) {
      auto delay = backoff(m_options, attempt);
      auto finished = retry(m_redis, m_keys, who, delay, false);
      history(r.task, r.started_at, ended, std::to_string(code), "error", finished);
      if (finished == Finished::lost) return;
      say("task " + id + " attempt " + std::to_string(attempt) + ": " + reason +
          " (infrastructure), retrying in " + format_duration(delay) + " without counting the attempt");
      return;
    }
    auto status = r.timed_out ? "timeout" : "failed";
    if (attempt < m_options.max_attempts) {
      auto delay = backoff(m_options, attempt);
      auto finished = retry(m_redis, m_keys, who, delay, true);
      history(r.task, r.started_at, ended, std::to_string(code), status, finished);
      if (finished == Finished::lost) return;
      say("task " + id + " attempt " + std::to_string(attempt) + ": " + reason + ", retrying in " +
          format_duration(delay));
      return;
    }
    auto dead_reason = reason + " on attempt " + std::to_string(attempt) + " of " + std::to_string(m_options.max_attempts);
    auto finished = dead_letter(m_redis, m_keys, who, dead_reason);
    history(r.task, r.started_at, ended, std::to_string(code), status, finished);
    if (finished == Finished::lost) return;
    say("task " + id + ": " + dead_reason + "; moved to the dead letters");
  }

  const WorkerOptions& m_options;
  const KeySpace& m_space;
  QueueKeys m_keys;
  Redis m_redis;
  Redis m_blocking;
  Redis m_beat;
  std::ostream& m_log;
  std::vector<Running> m_running;
  Backlog m_backlog;  // what the last wait for unfinished work saw
};

}  // namespace

int run_worker(const WorkerOptions& options, const KeySpace& space, const RedisUrl& url, std::ostream& log) {
  Worker worker(options, space, url, log);
  return worker.run();
}

}  // namespace ciutils::schedule
