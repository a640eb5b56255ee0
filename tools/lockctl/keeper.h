// `acquire --keep-alive`: a detached background renewer for pipelines whose acquire
// and release are separate steps. It ends when the lease ends (released, forced,
// expired), when --max-hold passes (releasing the lease), or when the --watch-pid
// process dies (the lease then expires within one TTL).
#pragma once

#include "lock_store.h"

#include <sys/types.h>

#include <optional>

namespace ciutils::lockctl {

// Forks the keeper (double fork, own session, stdio on /dev/null, other fds closed) and
// returns its pid in the caller.
pid_t start_keeper(const RedisUrl& url, const Grant& grant, std::optional<milliseconds> max_hold,
                   std::optional<pid_t> watch_pid);

}  // namespace ciutils::lockctl
