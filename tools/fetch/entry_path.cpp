#include "entry_path.h"

#include <fnmatch.h>

#include <ciutils/error.h>

namespace ciutils::fetch {

namespace {

[[noreturn]] void refuse(std::string_view name, std::string_view why) {
  throw IntegrityError("entry '" + std::string(name) + "': " + std::string(why));
}

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    std::string_view part = text.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    start = slash + 1;
  }
  return out;
}

}  // namespace

bool names_root(std::string_view name) {
  return !name.empty() && name.front() != '/' && split(name).empty();
}

PathParts entry_parts(std::string_view name) {
  if (name.empty()) refuse(name, "empty name");
  if (name.front() == '/') refuse(name, "absolute path");
  if (name.size() > 4096) refuse(name.substr(0, 64), "name too long");
  PathParts parts;
  for (std::string_view part : split(name)) {
    if (part == "..") refuse(name, "path escapes the destination ('..')");
    if (part.size() > 255) refuse(name, "path component too long");
    parts.emplace_back(part);
  }
  if (parts.empty()) refuse(name, "empty path");
  return parts;
}

std::optional<PathParts> strip_parts(const PathParts& parts, int n) {
  if (n <= 0) return parts;
  if (parts.size() <= static_cast<std::size_t>(n)) return std::nullopt;
  return PathParts(parts.begin() + n, parts.end());
}

namespace {

bool matches_any(const std::vector<std::string>& patterns, const PathParts& parts) {
  std::string path;
  for (const auto& part : parts) {
    path += path.empty() ? part : "/" + part;
    for (const auto& pattern : patterns)
      if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

bool EntryFilter::selects(const PathParts& parts) const {
  if (!include.empty() && !matches_any(include, parts)) return false;
  return !matches_any(exclude, parts);
}

std::string join_parts(const PathParts& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

void check_symlink_target(const PathParts& link, std::string_view target, std::string_view name) {
  std::string quoted = "symlink target '" + std::string(target) + "'";
  if (target.empty()) refuse(name, "empty symlink target");
  if (target.front() == '/') refuse(name, quoted + " is absolute");
  std::size_t depth = link.empty() ? 0 : link.size() - 1;  // directories above the link
  std::size_t climbs = 0;
  bool descended = false;
  for (std::string_view part : split(target)) {
    if (part == "..") {
      if (descended) refuse(name, quoted + " uses '..' after a directory name");
      if (++climbs > depth) refuse(name, quoted + " points outside the destination");
    } else {
      descended = true;
    }
  }
}

}  // namespace ciutils::fetch
