// The filesystem side of tree records: walking a tree with lstat(2) semantics, the
// timestamp stamp for the racy-file rule, and checking a destination against its record.
#pragma once

#include "tree_record.h"

#include <ciutils/fd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::fetch {

// Every entry below the directory open as dir_fd, never following a symlink, sorted by
// path. Throws Error when something cannot be read.
std::vector<TreeEntry> walk_tree(int dir_fd);

// The record's key: the destination's absolute path with its parent's symlinks resolved
// (the last component is not followed: it is what the publish renames).
std::string tree_key(const std::filesystem::path& destination);

// A staging tree's facts, taken after extraction and before the publish; record() ties
// them to the destination once the staging directory has been renamed there.
class TreeSnapshot {
public:
  // Throws Error when the tree cannot be read.
  TreeSnapshot(const std::filesystem::path& staging, const std::filesystem::path& destination);
  // The record, or nullopt when destination is no longer the snapshot's directory
  // (another process published after this one).
  std::optional<TreeRecord> record(const std::string& sha256, int strip_components,
                                   const ExtractResult& manifest) const;

private:
  std::filesystem::path m_destination;
  UniqueFd m_root;
  std::int64_t m_stamp_ctime_ns = 0;
  std::vector<TreeEntry> m_entries;
};

// The recorded manifest when destination still holds exactly the tree of the record;
// otherwise nullopt, with why set to the first difference found.
std::optional<ExtractResult> check_tree(const TreeRecord& record, const std::filesystem::path& destination,
                                        std::string& why);

}  // namespace ciutils::fetch
