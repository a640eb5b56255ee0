// prun: run commands in parallel with timeouts, steps, cleanup, retries and per-slot
// isolation, writing one result record per job.
#pragma once

namespace ciutils::prun {

int run(int argc, char** argv);

}  // namespace ciutils::prun
