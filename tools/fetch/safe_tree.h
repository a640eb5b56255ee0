// Writes archive entries below a root directory without ever following a symlink:
// every path is walked component by component with O_NOFOLLOW from the root's fd.
#pragma once

#include "entry_path.h"

#include <ciutils/fd.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

namespace ciutils::fetch {

class SafeTree {
public:
  explicit SafeTree(const std::filesystem::path& root);

  // A new regular file (replacing a non-directory of the same name), open for writing.
  UniqueFd create_file(const PathParts& parts, std::string_view name);
  // Sets a written file's mode (permission bits only: no setuid/setgid/sticky) and mtime.
  static void finish_file(int fd, unsigned mode, timespec mtime, std::string_view name);
  void make_directory(const PathParts& parts, unsigned mode, timespec mtime, std::string_view name);
  void make_symlink(const PathParts& parts, const std::string& target, timespec mtime, std::string_view name);
  // Changes an already written regular file's permission bits (symlinks are left alone).
  void set_file_mode(const PathParts& parts, unsigned mode, std::string_view name);
  void make_hardlink(const PathParts& parts, const PathParts& target, std::string_view name);
  // The first max_bytes + 1 bytes of a written regular file (never through a symlink).
  std::string read_head(const PathParts& parts, std::size_t max_bytes, std::string_view name);
  // Applies the directories' modes and mtimes, deepest first, once everything is written.
  void finish();

private:
  // The directory that holds parts.back(), created as needed (mode 0755). The descriptor
  // stays owned by the tree and is valid until the next call.
  int open_parent(const PathParts& parts, bool create, std::string_view name);
  void clear_slot(int dir, const std::string& leaf, std::string_view name);

  struct DirectoryMeta {
    PathParts parts;
    unsigned mode;
    timespec mtime;
  };
  std::filesystem::path m_root_path;
  UniqueFd m_root;
  std::vector<DirectoryMeta> m_directories;
  // The last parent walked to: consecutive entries usually share it. Safe to reuse since
  // a directory once created is never replaced (clear_slot refuses to).
  PathParts m_last_parent;
  UniqueFd m_last_parent_fd;
};

}  // namespace ciutils::fetch
