// What fetch published at a destination with --cache: the archive's hash, the options
// that shape the tree, the manifest, and lstat(2) facts of every entry, so a later run
// with the same archive can tell that the tree is untouched and skip the extraction.
// This file holds the record's data, its JSON form and the comparison (no I/O).
#pragma once

#include "archive_reader.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

// One entry of a tree as lstat(2) sees it; path relative to the root ("" for the root).
struct TreeEntry {
  std::string path;
  unsigned mode = 0;  // st_mode: type and permission bits
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t inode = 0;
  std::string target;  // symlinks

  bool operator==(const TreeEntry&) const = default;
};

struct TreeRecord {
  std::string destination;  // absolute path of the published directory
  std::string sha256;       // the archive's
  int strip_components = 0;
  std::int64_t stamp_ctime_ns = 0;  // files changed at or after this are checked by content
  std::uint64_t device = 0;
  TreeEntry root;
  std::vector<TreeEntry> entries;  // below the root, sorted by path
  ExtractResult manifest;
};

std::string tree_record_json(const TreeRecord& record);
// nullopt when the text is not a complete record of this version (a damaged record is a miss).
std::optional<TreeRecord> parse_tree_record(std::string_view text);

// The current content's SHA-256 of the regular file at a path relative to the root, or
// nullopt when it cannot be read.
using ContentHash = std::function<std::optional<std::string>(const std::string& path)>;

// Why the tree now (root and sorted entries) differs from the record, or nullopt when it is
// unchanged: the same set of paths, each with the same type, mode, size, mtime, ctime and
// inode (and symlink target); a regular file recorded with a ctime at or after the stamp
// (it may have changed again within the timestamp granularity) must also hash as in the
// manifest.
std::optional<std::string> tree_difference(const TreeRecord& record, const TreeEntry& root,
                                           const std::vector<TreeEntry>& now, const ContentHash& hash);

}  // namespace ciutils::fetch
