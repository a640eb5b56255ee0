#include "headroom.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/fd.h"

#include <charconv>
#include <cstdio>

namespace ciutils::prun {

namespace {

// The number after `key` at the start of a line of text.
std::optional<std::uint64_t> field(std::string_view text, std::string_view key) {
  for (std::size_t at = 0; at < text.size();) {
    auto nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? nl : nl - at);
    if (line.starts_with(key)) {
      line.remove_prefix(key.size());
      auto digit = line.find_first_of("0123456789");
      if (digit == std::string_view::npos) return std::nullopt;
      std::uint64_t value = 0;
      auto [end, ec] = std::from_chars(line.data() + digit, line.data() + line.size(), value);
      if (ec != std::errc()) return std::nullopt;
      return value;
    }
    if (nl == std::string_view::npos) break;
    at = nl + 1;
  }
  return std::nullopt;
}

std::string gib(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
  return text;
}

}  // namespace

std::optional<std::uint64_t> mem_available(std::string_view meminfo) {
  auto kib = field(meminfo, "MemAvailable:");
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

std::optional<long> processes_running(std::string_view stat) {
  auto running = field(stat, "procs_running ");
  auto blocked = field(stat, "procs_blocked ");
  if (!running || !blocked) return std::nullopt;
  return static_cast<long>(*running + *blocked);
}

std::string lack_of_headroom(const HeadroomLimits& limits) {
  if (limits.memfree > 0) {
    auto available = mem_available(read_small_file("/proc/meminfo"));
    if (available && *available < limits.memfree) {
      return "memory available " + gib(*available) + " is below --memfree " + gib(limits.memfree);
    }
  }
  if (limits.max_load) {
    auto running = processes_running(read_small_file("/proc/stat"));
    // prun itself is running while it reads: it does not count.
    if (running && static_cast<double>(*running - 1) >= *limits.max_load) {
      char load[32];
      std::snprintf(load, sizeof load, "%g", *limits.max_load);
      return std::to_string(*running - 1) + " other processes running or waiting on I/O, --load " + load;
    }
  }
  return {};
}

double parse_load(std::string_view text, unsigned cpus) {
  bool percent = text.ends_with('%');
  if (percent) text.remove_suffix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 1e6) {
    throw UsageError("--load: invalid value '" + std::string(text) + (percent ? "%" : "") +
                     "' (expected a number of processes, or a percentage of the CPUs)");
  }
  if (percent) value = value * cpus / 100.0;
  return value == 0 ? 0.01 : value;
}

}  // namespace ciutils::prun
