// `prun queue push|work|wait|results|status`: one run's jobs in Redis, drained by
// workers on many machines.
#pragma once

#include "options.h"

#include "ciutils/command.h"

#include <string>
#include <vector>

namespace ciutils::prun {

// Each verb's flags and what it does, for prun's command table.
void queue_push_options(po::options_description& desc);
void queue_work_options(po::options_description& desc);  // with prun's own running flags
void queue_wait_options(po::options_description& desc);
void queue_run_options(po::options_description& desc);  // seal, results, status: --queue and --run-id
int queue_push(Invocation& inv);
int queue_seal(Invocation& inv);
int queue_work(Invocation& inv);
int queue_wait(Invocation& inv);
int queue_results(Invocation& inv);
int queue_status(Invocation& inv);

// --fallback shard:K/N (UsageError naming --fallback otherwise).
Shard parse_fallback(std::string_view text);

}  // namespace ciutils::prun
