// What prun runs (a job), how (its settings) and what came of it (an outcome).
#pragma once

#include "ciutils/process.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::prun {

struct Job {
  std::string name;        // the record's name: the command, the template item or the plan's name
  std::string classname;   // the plan step's name, or empty
  std::string command;     // run with /bin/sh -c
  std::size_t number = 0;  // 1-based, unique within the run (PRUN_JOB, {#})
  int fixed_slot = -1;     // a slot the job must run on (plan list steps), or -1
  std::vector<std::string> args;  // template mode: the job's arguments ({}, {1}, …), filled at dispatch
  bool has_template = false;
  bool numbers = false;    // plan commands: {#} and {%} filled at dispatch
  int attempt = 1;         // 1 on the first try, +1 per retry
  int avoid_slot = -1;     // --retry-other-slot: the slot the last attempt failed on
  std::string queue_id;    // prun queue work: the job's id in its run, or empty
};

// How the jobs of one batch run.
struct JobSettings {
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<double> timeout_percent;  // --timeout N%: of the median duration of passed jobs
  int retries = 0;
  std::vector<std::string> env;  // "K=V", after the run's own
};

enum class Status { passed, failed, error, timeout, skipped, flaky };
const char* status_name(Status status);

struct Outcome {
  Status status = Status::skipped;
  std::optional<int> exit_code = 0;  // none for a job that never ran
  std::optional<int> signal;
  bool timed_out = false;
  bool leaked = false;  // processes outlived the job and were killed
  std::chrono::system_clock::time_point started_at{};
  double duration_s = 0;
  int attempts = 0;
  int slot = -1;
  std::string message;
  std::string stdout_tail;
  std::string stderr_tail;
  std::string log;  // path of the job's log file, or empty
};

}  // namespace ciutils::prun
