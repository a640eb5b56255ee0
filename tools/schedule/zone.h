// An IANA time zone read from its compiled TZif file (RFC 8536), as zic writes them to
// /usr/share/zoneinfo. schedule reads the files itself instead of through the date library's
// OS database, which only ever looks in /usr/share/zoneinfo: the release tarball carries its
// own copy (share/zoneinfo) for hosts without tzdata, and TZDIR points anywhere else.
#pragma once

#include <date/tz.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::schedule {

class Zone {
public:
  // Parses TZif data (version 1 to 4); nullopt when it is not TZif or is truncated.
  static std::optional<Zone> parse(std::string name, std::string_view tzif);

  const std::string& name() const { return m_name; }

  // The offset, abbreviation and bounds in force at an instant.
  date::sys_info get_info(date::sys_seconds t) const;
  // What a wall-clock time is: unique, in a gap (nonexistent: first is the period before it,
  // second the one after) or in a fold (ambiguous: first is the earlier period).
  date::local_info get_info(date::local_seconds t) const;
  date::local_seconds to_local(date::sys_seconds t) const;

private:
  struct Type {
    std::int32_t offset;  // seconds east of UTC
    bool dst;
    std::string abbrev;
  };
  std::size_t period_at(std::int64_t t) const;  // index into m_starts
  date::sys_info info_of(std::size_t period) const;

  std::string m_name;
  std::vector<Type> m_types;
  // Period i starts at m_starts[i] (period 0 at the beginning of time) in type m_kinds[i].
  std::vector<std::int64_t> m_starts;
  std::vector<std::uint8_t> m_kinds;
};

// The directories searched for zone files, in order: $TZDIR when set, share/zoneinfo beside
// the executable's bin/ directory (a release tarball's copy), /usr/share/zoneinfo.
std::vector<std::string> zone_directories();

// Reads zone `name` ("Europe/Berlin") from the first directory that has it; nullopt when
// none has it or the name is not a zone name (absolute, "..", odd characters).
std::optional<Zone> load_zone(std::string_view name, const std::vector<std::string>& directories);

}  // namespace ciutils::schedule
