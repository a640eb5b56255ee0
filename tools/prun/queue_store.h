// A prun run spread over machines, held in Redis: the run's jobs, the queue of those not
// yet taken, leases held by workers, first-completion-wins results and a duplicates stream.
// Every state change is one Lua script; every key of a run shares one hash tag.
#pragma once

#include "ciutils/redis.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ciutils::prun {

// Queue and run id: 1..200 characters of [A-Za-z0-9._:@/+=-]. UsageError naming flag.
void validate_queue_name(std::string_view name, std::string_view flag);

// The keys of one run: "<ns>:{prunq:<queue>/<run-id>}:<suffix>".
class QueueKeys {
public:
  QueueKeys(const KeySpace& space, const std::string& queue, const std::string& run_id);
  const std::vector<std::string>& all() const { return m_keys; }
  const std::string& results() const { return m_keys[8]; }
  const std::string& duplicates() const { return m_keys[9]; }
  const std::string& pushes() const { return m_keys[14]; }
  const std::string& queue() const { return m_queue; }
  const std::string& run_id() const { return m_run_id; }

private:
  std::string m_queue;
  std::string m_run_id;
  std::vector<std::string> m_keys;
};

struct PushedJob {
  std::string line;       // the job line (or template item); a plan job's command
  double estimate_s = 1;  // from --timings, else the mean of the known ones, else 1 s
  bool timed = false;     // estimate_s is the job's own duration from --timings
  int step = -1;          // a plan job: its step (0-based), else -1
  std::string name;       // a plan job's name and classname (its step's name)
  std::string classname;
  int slot = -1;          // a plan list step's command: its slot
};

// different: a plain push of another list; sealed: an --append to a sealed run; open: a
// plain push to a run that --append opened.
enum class PushOutcome { loaded, already_loaded, different, sealed, open };
struct PushResult {
  PushOutcome outcome;
  long long total;  // the jobs of the run in Redis
};
// Loads the run (sealed: no job can be added) unless it exists; with append, adds the list
// to the run (creating it open) unless that list was added before. digest names the list
// (in input order).
PushResult push_run(Redis& redis, const QueueKeys& keys, const std::string& digest,
                    const std::vector<PushedJob>& jobs, std::chrono::milliseconds ttl, const std::string& pusher,
                    bool append, const std::string& plan_text);

struct SealResult {
  bool sealed_now;  // false: it was sealed already
  long long total;
};
// Closes an open run to new lists; nullopt: no such run.
std::optional<SealResult> seal_run(Redis& redis, const QueueKeys& keys);

struct Worker {
  std::string id;    // host:pid:random
  std::string host;
  std::chrono::milliseconds lease{30000};
  int max_crashes = 2;
};

struct LeaseResult {
  bool run_exists = true;
  std::vector<std::pair<std::string, PushedJob>> jobs;  // id, job
  long long queued = 0, leased = 0, done = 0, total = 0;
  long long next_expiry_ms = -1;  // Redis time of the nearest lease expiry, -1 for none
  long long now_ms = 0;
  std::vector<std::string> quarantined;  // job lines quarantined by this call
  std::string last_result_id;            // the newest entry of the results stream, "0-0" for none
  bool sealed = true;                    // no list can be added to the run any more
  std::string last_push_id;              // the newest entry of the pushes stream, "0-0" for none
  bool step_done = false;                // the asked-for step has every job recorded
};
// Returns expired leases to the queue (or quarantines a job whose workers were lost
// max_crashes times), then leases up to free (plus a read-ahead that shrinks as the queue
// drains, at most max_ahead) jobs; of a plan, only jobs of `step` (-1: not a plan), and
// queued counts that step's jobs.
LeaseResult lease_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker, int free, int max_ahead, int step);

// A plan run's plan file text, empty for a run of job lines.
std::string read_plan_text(Redis& redis, const QueueKeys& keys);

// Renews this worker's leases; returns the ids whose lease it has lost (nullopt: no run).
std::optional<std::vector<std::string>> renew_leases(Redis& redis, const QueueKeys& keys, const Worker& worker,
                                                     const std::vector<std::string>& ids);

struct Completion {
  std::string id;
  std::string status;
  std::string record;  // one JSON line
};
// Records completions, first completion wins; returns for each whether it was recorded
// (false: a duplicate, kept in the duplicates stream). nullopt: the run no longer exists.
std::optional<std::vector<bool>> complete_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker,
                                               const std::vector<Completion>& completions);

// Puts jobs this worker leased but did not run back at the head of the queue.
void release_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker, const std::vector<std::string>& ids);

struct RunStatus {
  long long total = 0, queued = 0, leased = 0, done = 0, duplicates = 0;
  long long created_ms = 0, expires_ms = 0, now_ms = 0;
  double estimate_s = 0, done_estimate_s = 0;  // the run's expected seconds, and those done
  std::vector<std::pair<std::string, long long>> counts;  // status (and "quarantined") → jobs
  struct Holder {
    std::string worker, host;
    long long jobs = 0;
  };
  std::vector<Holder> leased_by;
  long long count(std::string_view status) const;
  bool sealed = true;
  bool finished() const { return sealed && done >= total; }
};
std::optional<RunStatus> read_status(Redis& redis, const QueueKeys& keys);

// Blocks until a record lands after after_result or a list is pushed (or the run sealed)
// after after_push, or for `block` at most. The connection's command timeout must exceed block.
void wait_for_change(Redis& redis, const QueueKeys& keys, const std::string& after_result,
                     const std::string& after_push, std::chrono::milliseconds block);

// The records of the results stream after `after` (a stream id, "0" for all), at most
// count; the last id read is stored back into after.
std::vector<std::string> read_results(Redis& redis, const std::string& stream, std::string& after, long long count);

}  // namespace ciutils::prun
