#include "safe_tree.h"

#include <ciutils/error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace {

[[noreturn]] void refuse(std::string_view name, const std::string& why) {
  throw IntegrityError("entry '" + std::string(name) + "': " + why);
}

[[noreturn]] void fail_io(std::string_view name, const std::string& what, int err) {
  // ENOSPC and EDQUOT are the disk-full cases: a refusal, nothing is published.
  std::string message = "entry '" + std::string(name) + "': " + what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) throw IntegrityError(message);
  throw Error(ExitCode::tool_failed, message);
}

constexpr int k_dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

}  // namespace

SafeTree::SafeTree(const std::filesystem::path& root)
    : m_root_path(root), m_root(open(root.c_str(), k_dir_flags)) {
  if (!m_root.valid())
    throw Error(ExitCode::tool_failed, "cannot open '" + root.string() + "': " + std::strerror(errno));
}

int SafeTree::open_parent(const PathParts& parts, bool create, std::string_view name) {
  if (m_last_parent_fd.valid() && m_last_parent.size() + 1 == parts.size() &&
      std::equal(m_last_parent.begin(), m_last_parent.end(), parts.begin()))
    return m_last_parent_fd.get();
  if (parts.size() == 1) {
    m_last_parent.clear();
    m_last_parent_fd = UniqueFd(dup(m_root.get()));
    if (!m_last_parent_fd.valid()) fail_io(name, "dup", errno);
    return m_last_parent_fd.get();
  }
  m_last_parent_fd.reset();
  UniqueFd dir;
  int at = m_root.get();
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& part = parts[i];
    int fd = openat(at, part.c_str(), k_dir_flags);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(at, part.c_str(), 0755) != 0 && errno != EEXIST) fail_io(name, "mkdir " + part, errno);
      fd = openat(at, part.c_str(), k_dir_flags);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        refuse(name, "path goes through '" + join_parts(PathParts(parts.begin(), parts.begin() + i + 1)) +
                         "', which is a symlink or not a directory");
      if (errno == ENOENT) refuse(name, "'" + join_parts(PathParts(parts.begin(), parts.begin() + i + 1)) + "' does not exist");
      fail_io(name, "open " + part, errno);
    }
    dir = UniqueFd(fd);
    at = fd;
  }
  m_last_parent.assign(parts.begin(), parts.end() - 1);
  m_last_parent_fd = std::move(dir);
  return m_last_parent_fd.get();
}

void SafeTree::clear_slot(int dir, const std::string& leaf, std::string_view name) {
  struct stat st {};
  if (fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) refuse(name, "replaces a directory");
  if (unlinkat(dir, leaf.c_str(), 0) != 0) fail_io(name, "unlink", errno);
}

UniqueFd SafeTree::create_file(const PathParts& parts, std::string_view name) {
  int dir = open_parent(parts, true, name);
  constexpr int k_flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  // O_EXCL never follows a symlink; an existing entry is cleared only when there is one.
  UniqueFd fd(openat(dir, parts.back().c_str(), k_flags, 0600));
  if (!fd.valid() && errno == EEXIST) {
    clear_slot(dir, parts.back(), name);
    fd = UniqueFd(openat(dir, parts.back().c_str(), k_flags, 0600));
  }
  if (!fd.valid()) fail_io(name, "create", errno);
  return fd;
}

void SafeTree::finish_file(int fd, unsigned mode, timespec mtime, std::string_view name) {
  if (fchmod(fd, mode & 0777) != 0) fail_io(name, "chmod", errno);
  timespec times[2] = {{0, UTIME_OMIT}, mtime};
  if (futimens(fd, times) != 0) fail_io(name, "set mtime", errno);
}

void SafeTree::make_directory(const PathParts& parts, unsigned mode, timespec mtime, std::string_view name) {
  int dir = open_parent(parts, true, name);
  if (mkdirat(dir, parts.back().c_str(), 0700) != 0) {
    if (errno != EEXIST) fail_io(name, "mkdir", errno);
    struct stat st {};
    if (fstatat(dir, parts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
      refuse(name, "a directory replaces a file or symlink");
  }
  m_directories.push_back({parts, mode & 0777, mtime});
}

void SafeTree::make_symlink(const PathParts& parts, const std::string& target, timespec mtime, std::string_view name) {
  check_symlink_target(parts, target, name);
  int dir = open_parent(parts, true, name);
  clear_slot(dir, parts.back(), name);
  if (symlinkat(target.c_str(), dir, parts.back().c_str()) != 0) fail_io(name, "symlink", errno);
  timespec times[2] = {{0, UTIME_OMIT}, mtime};
  utimensat(dir, parts.back().c_str(), times, AT_SYMLINK_NOFOLLOW);
}

std::string SafeTree::read_head(const PathParts& parts, std::size_t max_bytes, std::string_view name) {
  int dir = open_parent(parts, false, name);
  UniqueFd fd(openat(dir, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) fail_io(name, "open", errno);
  std::string text(max_bytes + 1, '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    ssize_t n = read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io(name, "read", errno);
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  return text;
}

void SafeTree::make_hardlink(const PathParts& parts, const PathParts& target, std::string_view name) {
  if (parts == target) refuse(name, "hardlink to itself");
  UniqueFd target_dir(dup(open_parent(target, false, name)));
  if (!target_dir.valid()) fail_io(name, "dup", errno);
  struct stat st {};
  if (fstatat(target_dir.get(), target.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    refuse(name, "hardlink target '" + join_parts(target) + "' is not an earlier entry");
  if (!S_ISREG(st.st_mode)) refuse(name, "hardlink target '" + join_parts(target) + "' is not a regular file");
  int dir = open_parent(parts, true, name);
  clear_slot(dir, parts.back(), name);
  if (linkat(target_dir.get(), target.back().c_str(), dir, parts.back().c_str(), 0) != 0)
    fail_io(name, "link", errno);
}

void SafeTree::set_file_mode(const PathParts& parts, unsigned mode, std::string_view name) {
  int dir = open_parent(parts, false, name);
  UniqueFd fd(openat(dir, parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat st {};
  if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if (fchmod(fd.get(), mode & 0777) != 0) fail_io(name, "chmod", errno);
}

void SafeTree::finish() {
  std::stable_sort(m_directories.begin(), m_directories.end(),
                   [](const DirectoryMeta& a, const DirectoryMeta& b) { return a.parts.size() > b.parts.size(); });
  for (const auto& meta : m_directories) {
    std::string name = join_parts(meta.parts);
    int parent = open_parent(meta.parts, false, name);
    UniqueFd fd(openat(parent, meta.parts.back().c_str(), k_dir_flags));
    if (!fd.valid()) continue;  // replaced later in the archive by an allowed entry
    timespec times[2] = {{0, UTIME_OMIT}, meta.mtime};
    futimens(fd.get(), times);
    fchmod(fd.get(), meta.mode | 0700);
  }
}

}  // namespace ciutils::fetch
