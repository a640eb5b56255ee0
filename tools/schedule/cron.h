// Cron expressions: parsing (5 fields or 6 with seconds first, @macros, @every, Jenkins H)
// and the next matching wall-clock time. Pure: no clock, no time zone, no I/O.
#pragma once

#include <date/date.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ciutils::schedule {

// A cron syntax error; the message names the field ("field 2 (hour): value 24 out of range 0-23").
class CronError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct CronSpec {
  std::string text;
  std::uint64_t seconds = 0;   // bits 0-59
  std::uint64_t minutes = 0;   // bits 0-59
  std::uint32_t hours = 0;     // bits 0-23
  std::uint32_t days = 0;      // bits 1-31
  std::uint16_t months = 0;    // bits 1-12
  std::uint8_t weekdays = 0;   // bits 0-6, Sunday = 0
  bool days_star = false;      // day-of-month field starts with '*' or '?' (Vixie cron's rule)
  bool weekdays_star = false;  // day-of-week field starts with '*' or '?'
  // "@every D": fires at every multiple of D since the Unix epoch, in UTC.
  std::optional<std::chrono::seconds> every;
  // What a macro stood for ("H * * * *" for a hashed @hourly); empty for other specs.
  std::string expanded;
};

// Parses text. `name` seeds the H hash (the schedule's name: stable across hosts and runs).
// With hash_macros, @hourly/@daily/@weekly/@monthly/@yearly (and @annually, @midnight) are
// hashed as Jenkins does: @hourly = "H * * * *", @daily = "H H * * *", @weekly =
// "H H * * H", @monthly = "H H H * *", @yearly = "H H H H *", @midnight = "H H(0-2) * * *".
// A spec that never fires ("0 0 30 2 *") is an error. Throws CronError.
CronSpec parse_cron(std::string_view text, std::string_view name, bool hash_macros = false);

// The hash behind H for one field: FNV-1a (32 bit) over the bytes of name, a NUL byte and
// the field's name ("second", "minute", "hour", "day-of-month", "month", "day-of-week").
std::uint32_t field_hash(std::string_view name, std::string_view field);

// Whether the day matches the month, day-of-month and day-of-week fields. When neither
// day field starts with '*', a day matches if EITHER matches (Vixie cron's OR rule).
bool day_matches(const CronSpec& spec, date::sys_days day);

// The first wall-clock time strictly after `after` that matches; nullopt when none within
// eight years (e.g. "0 0 30 2 *"). Not for @every specs.
std::optional<date::local_seconds> next_local(const CronSpec& spec, date::local_seconds after);

}  // namespace ciutils::schedule
