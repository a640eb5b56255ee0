// Several input sources made into the jobs' argument lists, as GNU parallel combines
// them: the cross product (the first source varying slowest), a source given with :::+
// paired with the one before it (the shorter one ends the pairs), or with --link every
// source paired (shorter ones wrapping around to the longest).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ciutils::prun {

struct SourceValues {
  std::vector<std::string> values;
  bool linked = false;  // paired with the source before it
};

std::vector<std::vector<std::string>> combine_sources(const std::vector<SourceValues>& sources, bool link_all);

// -N n: items in runs of n (the last one shorter); n = 0: one empty run per item.
std::vector<std::vector<std::string>> group_items(std::vector<std::string> items, std::size_t per_run);

// -X: items cut into at most `slots` runs of about equal size, each run also ending
// before its shell-quoted items pass max_bytes.
std::vector<std::vector<std::string>> spread_items(std::vector<std::string> items, std::size_t slots,
                                                   std::size_t max_bytes);

}  // namespace ciutils::prun
