// The order jobs run in: longest-known first from a previous results file, and the
// deterministic split of a job list across CI nodes (longest processing time first).
#pragma once

#include "job.h"
#include "options.h"

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace ciutils::prun {

// Job name → duration in seconds, from a results file (JSON Lines). The last record of
// a name wins; records without a name or a numeric duration_s are skipped.
using Timings = std::unordered_map<std::string, double>;
Timings read_timings(const std::filesystem::path& path);

// Job name → (status, command) of its last record in a results file, names in the order
// they first appear: what --resume, --resume-failed and --retry-failed work from. A file
// that does not exist is an empty history.
struct History {
  struct Last {
    std::string status;
    std::string command;
  };
  std::unordered_map<std::string, Last> last;
  std::vector<std::string> names;
};
History read_history(const std::filesystem::path& path, const std::string& flag);

// Unknown jobs first (in input order), then known ones longest first (ties in input order).
void order_by_timings(std::vector<Job>& jobs, const Timings& timings);

// Keeps the jobs of shard.index (1-based) of shard.total: jobs sorted by known duration
// (unknown ones count as the mean of the known, or 1 s), ties broken by name, each given
// to the least-loaded shard (lowest index on ties). Input order is kept within a shard.
std::vector<Job> select_shard(const std::vector<Job>& jobs, const Timings& timings, Shard shard);

}  // namespace ciutils::prun
