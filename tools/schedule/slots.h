// Slots: the UTC instants a schedule fires at, from its cron spec in its time zone,
// with the daylight-saving rules for wall-clock times that do not exist or exist twice.
#pragma once

#include "cron.h"
#include "zone.h"

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace ciutils::schedule {

using SysSeconds = date::sys_seconds;

// A wall-clock time in the spring-forward gap: run at the first valid instant after
// the gap (the transition), or skip it.
enum class GapPolicy { next, skip };
// A wall-clock time in the fall-back fold: run at its first occurrence, its last, or both.
enum class FoldPolicy { first, last, both };

std::optional<GapPolicy> gap_policy_from(std::string_view text);    // "next" | "skip"
std::optional<FoldPolicy> fold_policy_from(std::string_view text);  // "first" | "last" | "both"
std::string_view to_string(GapPolicy policy);
std::string_view to_string(FoldPolicy policy);

struct Timing {
  CronSpec cron;
  const Zone* zone = nullptr;  // nullptr: UTC
  GapPolicy gap = GapPolicy::next;
  FoldPolicy fold = FoldPolicy::first;
};

// The first slot strictly after `after`; nullopt when the spec never fires.
std::optional<SysSeconds> next_slot(const Timing& timing, SysSeconds after);

// The last (up to) n slots s with after < s <= upto, oldest first.
std::vector<SysSeconds> latest_slots(const Timing& timing, SysSeconds after, SysSeconds upto, std::size_t n);

// The UTC instants a wall-clock time maps to under the policies (0, 1 or 2 of them).
std::vector<SysSeconds> instants_of(const Timing& timing, date::local_seconds local);

// Looks up an IANA zone ("Europe/Berlin", "UTC") in zone_directories(), once per name and
// process; nullptr when unknown.
const Zone* find_zone(std::string_view name);

}  // namespace ciutils::schedule
