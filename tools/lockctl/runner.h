// `lockctl run`: a command under a lease, in its own process group, with the lease
// renewed from another connection and the group stopped when the lease is lost.
#pragma once

#include "lock_store.h"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::lockctl {

// Exit codes of `run` besides the child's own (docs/lockctl.md).
constexpr int k_exit_lease_lost = 74;  // the lease was lost; the command was stopped
constexpr int k_exit_max_hold = 124;   // --max-hold passed; the command was stopped

struct RunOptions {
  std::vector<std::string> argv;
  std::optional<milliseconds> max_hold;
  milliseconds kill_grace{10000};
  bool quiet = false;
};

// LOCKCTL_RESOURCE, LOCKCTL_RESOURCES, LOCKCTL_TOKEN, LOCKCTL_FENCE, LOCKCTL_FENCES, and
// the granted resources' properties (LOCKCTL_PROP_<NAME>, LOCKCTL_RESOURCE<i>_PROP_<NAME>).
std::vector<std::string> lease_environment(const Grant& grant);

// Runs the command and releases the lease at the end; returns the exit code.
// `signals` watches INT, TERM, HUP and CHLD.
int run_under_lease(Redis& redis, const Grant& grant, const RunOptions& options, SignalWatch& signals,
                    std::ostream& err);

// --min-replicas: waits until grant.min_replicas replicas have the grant (at most 1s, or
// TTL/3); when fewer do, releases it and throws ServiceError.
void confirm_grant(Redis& redis, const Grant& grant);

// Releases, retrying once when the connection had dropped. Returns the script's status.
std::string release_lease(Redis& redis, const std::string& prefix, const std::string& token,
                          const std::string& resource);

}  // namespace ciutils::lockctl
