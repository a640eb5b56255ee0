// The schedule file: a JSON document of named cron schedules with their queue, payload and
// policies, validated with file:line:column errors for syntax and meaning alike.
#pragma once

#include "slots.h"

#include <boost/json/object.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::schedule {

// What happens to slots missed while no scheduler ran (see docs/schedule.md).
enum class CatchUp { skip, latest, all };
// Whether a new run is enqueued while the previous one of the schedule is in flight.
enum class Concurrency { allow, forbid, replace };

std::string_view to_string(CatchUp policy);
std::string_view to_string(Concurrency policy);

struct Schedule {
  std::string name;
  std::string zone_name = "UTC";
  Timing timing;
  std::string queue;
  boost::json::object payload;
  CatchUp catch_up = CatchUp::latest;
  int catch_up_max = 10;
  std::chrono::seconds grace{300};
  Concurrency concurrency = Concurrency::allow;
  std::chrono::milliseconds lease{std::chrono::hours(1)};
};

// Names of schedules and queues: letters, digits, '.', '_', '-' (they end up in task ids
// and Redis keys).
bool valid_name(std::string_view name);

// Parses and validates a whole schedule file; throws UsageError "<file>:<line>:<col>: …".
std::vector<Schedule> parse_schedules(const std::string& text, const std::string& source);
std::vector<Schedule> load_schedules(const std::filesystem::path& path);

}  // namespace ciutils::schedule
