// prun: run commands in parallel with timeouts, steps, cleanup, retries and per-slot
// isolation, writing one result record per job.
#pragma once

#include "job.h"
#include "job_input.h"
#include "options.h"
#include "plan.h"

#include <boost/json/object.hpp>

#include <functional>
#include <optional>

namespace ciutils::prun {

int run(int argc, char** argv);

// What a caller sees of a run besides its output: each job's record as it ends (its final
// attempt; cancelled: prun itself is being cancelled).
struct RunHooks {
  std::function<void(const Job&, const boost::json::object& record, bool cancelled)> on_record;
  // A plan given whole rather than as a file (a queue worker's); with step_input, each
  // step's jobs are read from the input it returns (given the step's slots) instead of
  // taken from the plan, and a step is asked for only while every one before it passed here.
  std::optional<Plan> plan;
  std::function<JobInput*(std::size_t step, int slots)> step_input;
};
// Runs parsed options as `prun` does; returns the exit code.
int execute(Options options, RunHooks hooks = {});

}  // namespace ciutils::prun
