// UTC timestamps in the ISO 8601 form used by every record: 2026-11-22T10:00:00.123Z.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ciutils {

using SysTime = std::chrono::system_clock::time_point;

// digits: 0 (seconds), 3 (milliseconds) or 6 (microseconds).
std::string format_utc(SysTime t, int digits = 3);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff…]Z" (also +00:00); nullopt when malformed or outside
// the years 1700-2200.
std::optional<SysTime> parse_utc(std::string_view text);

}  // namespace ciutils
