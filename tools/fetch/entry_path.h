// The rules that keep archive entries inside the destination: pure functions on names,
// so they are tested without any archive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

using PathParts = std::vector<std::string>;

// Whether a name denotes the destination itself ("./", "."): tar -C DIR -czf x . starts
// with such a directory entry, which is skipped rather than refused.
bool names_root(std::string_view name);

// An entry name split into components. "./" prefixes, "." components and repeated or
// trailing slashes are dropped. Throws IntegrityError "entry '<name>': <why>" for an
// empty name, an absolute path or a ".." component.
PathParts entry_parts(std::string_view name);

// The parts without their first n components; nullopt when nothing is left (the entry is
// skipped, as tar --strip-components does).
std::optional<PathParts> strip_parts(const PathParts& parts, int n);

std::string join_parts(const PathParts& parts);

// --include / --exclude: shell globs (fnmatch, '*' also matches '/') on an entry's path
// after --strip-components. A pattern matches a path when it matches the path itself or one
// of its leading directories, so "suite/data" selects everything below it.
struct EntryFilter {
  std::vector<std::string> include;  // when not empty, only matching entries are extracted
  std::vector<std::string> exclude;  // matching entries are skipped
  bool empty() const { return include.empty() && exclude.empty(); }
  bool selects(const PathParts& parts) const;
};

// A symlink at `link` (its parts) may point at `target` only when the target is relative
// and stays inside the destination: ".." is allowed only as a leading run no longer than
// the link's depth, and nowhere after a normal component (so that no chain of links can
// climb out). Throws IntegrityError "entry '<name>': …".
void check_symlink_target(const PathParts& link, std::string_view target, std::string_view name);

}  // namespace ciutils::fetch
