// Plan files: steps run in order (one command, a list run side by side, or a job queue
// on a pool of workers), cleanup steps that always run, per-slot setup and teardown.
#pragma once

#include "job.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::prun {

struct PlanCommand {
  std::string name;
  std::string command;
};

struct PlanStep {
  enum class Kind { command, list, jobs };
  std::string name;
  Kind kind = Kind::command;
  std::vector<PlanCommand> commands;
  int workers = 0;  // jobs steps: 0 means the plan's or -j
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<int> retries;
  std::vector<std::string> env;  // K=V
};

struct Plan {
  std::string name;
  int workers = 0;  // 0: -j
  std::optional<std::chrono::milliseconds> timeout;
  int retries = 0;
  std::vector<std::string> env;
  std::vector<std::string> setup;     // per slot, in order
  std::vector<std::string> teardown;  // per slot, in order
  std::vector<PlanStep> steps;
  std::vector<PlanStep> cleanup;
};

// Parses a plan; UsageError "<file>:<line>:<column>: <what>" for syntax and meaning.
Plan parse_plan(std::string text, std::string source);
Plan read_plan(const std::string& path);

}  // namespace ciutils::prun
