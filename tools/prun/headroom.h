// Whether the machine has room for one more job: --memfree (MemAvailable of
// /proc/meminfo) and --load (processes running or waiting on I/O, from /proc/stat,
// as GNU parallel counts them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ciutils::prun {

// MemAvailable in bytes from the text of /proc/meminfo, or nullopt.
std::optional<std::uint64_t> mem_available(std::string_view meminfo);
// procs_running + procs_blocked from the text of /proc/stat, or nullopt.
std::optional<long> processes_running(std::string_view stat);

struct HeadroomLimits {
  std::uint64_t memfree = 0;         // --memfree bytes; 0: none
  std::optional<double> max_load;    // --load: start only while fewer processes run
};

// Empty when a job may start now; else why not, for a note on stderr.
std::string lack_of_headroom(const HeadroomLimits& limits);

// --load N or N% (of the CPUs); 0 counts as 0.01, as in parallel.
double parse_load(std::string_view text, unsigned cpus);

}  // namespace ciutils::prun
