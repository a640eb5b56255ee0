// work: the worker loop. Takes tasks, runs CMD once per task (task JSON on stdin, TASK_*
// in the environment), heartbeats while it runs, acks on exit 0, retries with backoff,
// dead-letters after --max-attempts, hands tasks back on SIGTERM after --grace.
#pragma once

#include "keys.h"
#include "tasks.h"

#include "ciutils/redis.h"

#include <chrono>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace ciutils::schedule {

struct WorkerOptions {
  std::string queue;
  std::vector<std::string> command;
  int jobs = 1;
  int max_attempts = 3;
  std::chrono::milliseconds visibility{std::chrono::minutes(5)};
  std::chrono::milliseconds timeout{0};  // 0: none
  std::chrono::milliseconds grace{std::chrono::seconds(30)};
  std::chrono::milliseconds kill_grace{std::chrono::seconds(5)};
  std::chrono::milliseconds retry_delay{std::chrono::seconds(10)};
  std::chrono::milliseconds retry_max_delay{std::chrono::minutes(10)};
  std::set<int> infra_exit_codes;
  bool exit_when_empty = false;
  long long max_tasks = 0;  // 0: no limit
  std::string consumer;
  int min_replicas = 0;  // replicas to WAIT for after recording a run; 0: no WAIT
  bool quiet = false;
  bool verbose = false;
};

// Backoff before attempt `attempt + 1`: retry_delay × 2^(attempt-1), at most retry_max_delay.
std::chrono::milliseconds backoff(const WorkerOptions& options, int attempt);

// "TASK_PAYLOAD_<FIELD>" environment entries for a payload: field names upper-cased with
// every other character than A-Z and 0-9 turned into '_'; strings as they are, other
// values as compact JSON.
std::vector<std::string> payload_environment(const boost::json::object& payload);

// Runs until SIGTERM/SIGINT (returns 143/130), --max-tasks, or an empty queue with
// exit_when_empty (returns 0).
int run_worker(const WorkerOptions& options, const KeySpace& space, const RedisUrl& url, std::ostream& log);

}  // namespace ciutils::schedule
