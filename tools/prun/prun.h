// prun: run commands in parallel with timeouts, steps, cleanup, retries and per-slot
// isolation, writing one result record per job.
#pragma once

#include "job.h"
#include "options.h"

#include <boost/json/object.hpp>

#include <functional>

namespace ciutils::prun {

int run(int argc, char** argv);

// What a caller sees of a run besides its output: each job's record as it ends (its final
// attempt; cancelled: prun itself is being cancelled).
struct RunHooks {
  std::function<void(const Job&, const boost::json::object& record, bool cancelled)> on_record;
};
// Runs parsed options as `prun` does; returns the exit code.
int execute(Options options, RunHooks hooks = {});

}  // namespace ciutils::prun
