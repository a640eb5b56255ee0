// `prun queue push|work|wait|results|status`: one run's jobs in Redis, drained by
// workers on many machines.
#pragma once

#include "options.h"

#include <string>
#include <vector>

namespace ciutils::prun {

// args: the words after "queue". Returns the exit code.
int run_queue(const std::vector<std::string>& args);

// --fallback shard:K/N (UsageError naming --fallback otherwise).
Shard parse_fallback(std::string_view text);

}  // namespace ciutils::prun
