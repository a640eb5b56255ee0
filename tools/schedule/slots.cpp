#include "slots.h"

#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>

namespace ciutils::schedule {

std::optional<GapPolicy> gap_policy_from(std::string_view text) {
  if (text == "next") return GapPolicy::next;
  if (text == "skip") return GapPolicy::skip;
  return std::nullopt;
}

std::optional<FoldPolicy> fold_policy_from(std::string_view text) {
  if (text == "first") return FoldPolicy::first;
  if (text == "last") return FoldPolicy::last;
  if (text == "both") return FoldPolicy::both;
  return std::nullopt;
}

std::string_view to_string(GapPolicy policy) { return policy == GapPolicy::next ? "next" : "skip"; }

std::string_view to_string(FoldPolicy policy) {
  switch (policy) {
    case FoldPolicy::first: return "first";
    case FoldPolicy::last: return "last";
    case FoldPolicy::both: return "both";
  }
  return "first";
}

const Zone* find_zone(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::optional<Zone>, std::less<>> loaded;  // never erased: pointers stay valid
  std::lock_guard lock(mutex);
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(std::string(name), load_zone(name, zone_directories())).first;
  return it->second ? &*it->second : nullptr;
}

std::vector<SysSeconds> instants_of(const Timing& timing, date::local_seconds local) {
  if (!timing.zone) return {SysSeconds(local.time_since_epoch())};
  auto info = timing.zone->get_info(local);
  switch (info.result) {
    case date::local_info::unique:
      return {SysSeconds(local.time_since_epoch()) - info.first.offset};
    case date::local_info::nonexistent:
      if (timing.gap == GapPolicy::skip) return {};
      return {info.second.begin};
    case date::local_info::ambiguous: {
      auto first = SysSeconds(local.time_since_epoch()) - info.first.offset;
      auto second = SysSeconds(local.time_since_epoch()) - info.second.offset;
      if (timing.fold == FoldPolicy::first) return {first};
      if (timing.fold == FoldPolicy::last) return {second};
      return {first, second};
    }
  }
  return {};
}

namespace {

constexpr auto k_max_shift = std::chrono::hours(4);  // more than any DST or zone change

bool offset_changes(const Zone* zone, SysSeconds from, SysSeconds to) {
  return zone->get_info(from).offset != zone->get_info(to).offset;
}

}  // namespace

std::optional<SysSeconds> next_slot(const Timing& timing, SysSeconds after) {
  if (timing.cron.every) {
    auto d = timing.cron.every->count();
    auto t = after.time_since_epoch().count();
    auto q = t >= 0 ? t / d : (t - d + 1) / d;  // floor
    return SysSeconds(std::chrono::seconds((q + 1) * d));
  }
  if (!timing.zone) {
    auto local = next_local(timing.cron, date::local_seconds(after.time_since_epoch()));
    if (!local) return std::nullopt;
    return SysSeconds(local->time_since_epoch());
  }
  // Mapping wall-clock candidates to instants is monotone for first/last except across a
  // transition, so the scan starts earlier only when one lies just behind `after`.
  auto start = timing.zone->to_local(after);
  bool near_transition = offset_changes(timing.zone, after - k_max_shift, after + k_max_shift);
  if (near_transition && timing.fold != FoldPolicy::first) start -= k_max_shift;
  std::optional<SysSeconds> best;
  auto candidate = start;
  for (int guard = 0; guard < 200000; ++guard) {
    auto next = next_local(timing.cron, candidate);
    if (!next) return best;
    candidate = *next;
    if (best && candidate > timing.zone->to_local(*best) + k_max_shift) return best;
    for (auto inst : instants_of(timing, candidate)) {
      if (inst > after && (!best || inst < *best)) best = inst;
    }
    // Only "both" can map a later wall-clock time to an earlier instant (inside a fold).
    if (best && (timing.fold != FoldPolicy::both || !near_transition)) return best;
  }
  return best;
}

std::vector<SysSeconds> latest_slots(const Timing& timing, SysSeconds after, SysSeconds upto, std::size_t n) {
  if (n == 0 || upto <= after) return {};
  std::chrono::seconds window(60);
  while (true) {
    auto from = upto - window;
    if (from < after) from = after;
    std::deque<SysSeconds> found;
    auto t = from;
    while (auto s = next_slot(timing, t)) {
      if (*s > upto) break;
      found.push_back(*s);
      if (found.size() > n) found.pop_front();
      t = *s;
    }
    if (found.size() >= n || from == after) return {found.begin(), found.end()};
    if (window > std::chrono::hours(24 * 366 * 10)) return {found.begin(), found.end()};
    window *= 8;
  }
}

}  // namespace ciutils::schedule
