#include "input_sources.h"

#include "command_template.h"

#include <algorithm>

namespace ciutils::prun {

std::vector<std::vector<std::string>> combine_sources(const std::vector<SourceValues>& sources, bool link_all) {
  // Groups of paired sources, each a list of argument tuples.
  std::vector<std::vector<std::vector<std::string>>> groups;
  std::size_t begin = 0;
  while (begin < sources.size()) {
    std::size_t end = begin + 1;
    while (end < sources.size() && (link_all || sources[end].linked)) ++end;
    std::size_t rows = link_all ? 0 : sources[begin].values.size();
    for (std::size_t s = begin; s < end; ++s) {
      rows = link_all ? std::max(rows, sources[s].values.size()) : std::min(rows, sources[s].values.size());
    }
    std::vector<std::vector<std::string>> group;
    bool any_empty = std::any_of(sources.begin() + static_cast<std::ptrdiff_t>(begin),
                                 sources.begin() + static_cast<std::ptrdiff_t>(end),
                                 [](const SourceValues& s) { return s.values.empty(); });
    if (!any_empty) {
      for (std::size_t row = 0; row < rows; ++row) {
        std::vector<std::string> tuple;
        for (std::size_t s = begin; s < end; ++s) tuple.push_back(sources[s].values[row % sources[s].values.size()]);
        group.push_back(std::move(tuple));
      }
    }
    groups.push_back(std::move(group));
    begin = end;
  }
  std::vector<std::vector<std::string>> out{{}};
  for (const auto& group : groups) {
    std::vector<std::vector<std::string>> next;
    next.reserve(out.size() * group.size());
    for (const auto& prefix : out) {
      for (const auto& tuple : group) {
        auto args = prefix;
        args.insert(args.end(), tuple.begin(), tuple.end());
        next.push_back(std::move(args));
      }
    }
    out = std::move(next);
  }
  if (groups.empty()) out.clear();
  return out;
}

std::vector<std::vector<std::string>> group_items(std::vector<std::string> items, std::size_t per_run) {
  std::vector<std::vector<std::string>> out;
  for (auto& item : items) {
    if (out.empty() || out.back().size() >= per_run) out.emplace_back();
    if (per_run > 0) out.back().push_back(std::move(item));
  }
  return out;
}

std::vector<std::vector<std::string>> spread_items(std::vector<std::string> items, std::size_t slots,
                                                   std::size_t max_bytes) {
  std::vector<std::vector<std::string>> out;
  if (items.empty()) return out;
  slots = std::max<std::size_t>(1, slots);
  std::size_t per_run = (items.size() + slots - 1) / slots;
  std::size_t bytes = 0;
  for (auto& item : items) {
    std::size_t size = shell_quote(item).size() + 1;
    if (out.empty() || out.back().size() >= per_run || (bytes + size > max_bytes && !out.back().empty())) {
      out.emplace_back();
      bytes = 0;
    }
    bytes += size;
    out.back().push_back(std::move(item));
  }
  return out;
}

}  // namespace ciutils::prun
