#include "tree_walk.h"

#include "ciutils/sha256.h"

#include <ciutils/error.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace fs = std::filesystem;

namespace {

constexpr int k_dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::int64_t nanoseconds(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

TreeEntry entry_of(const struct stat& st, std::string path) {
  TreeEntry e;
  e.path = std::move(path);
  e.mode = st.st_mode;
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.mtime_ns = nanoseconds(st.st_mtim);
  e.ctime_ns = nanoseconds(st.st_ctim);
  e.inode = st.st_ino;
  return e;
}

[[noreturn]] void fail(const std::string& what, int err) {
  throw Error(ExitCode::tool_failed, what + ": " + std::strerror(err));
}

void walk(int dir_fd, const std::string& prefix, std::vector<TreeEntry>& out) {
  std::vector<std::string> names;
  {
    int fd = dup(dir_fd);
    DIR* dir = fd < 0 ? nullptr : fdopendir(fd);
    if (!dir) {
      if (fd >= 0) ::close(fd);
      fail("cannot read '" + prefix + "'", errno);
    }
    while (dirent* entry = readdir(dir)) {
      std::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    closedir(dir);
  }
  for (const auto& name : names) {
    struct stat st {};
    std::string path = prefix.empty() ? name : prefix + "/" + name;
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) fail("cannot stat '" + path + "'", errno);
    TreeEntry e = entry_of(st, path);
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) fail("cannot read symlink '" + path + "'", errno);
      target.resize(static_cast<std::size_t>(n));
      e.target = std::move(target);
    }
    out.push_back(std::move(e));
    if (S_ISDIR(st.st_mode)) {
      UniqueFd child(openat(dir_fd, name.c_str(), k_dir_flags));
      if (!child.valid()) fail("cannot open '" + path + "'", errno);
      walk(child.get(), path, out);
    }
  }
}

// The ctime the filesystem gives a file created now in dir (the file is removed again).
std::int64_t stamp_ctime(const fs::path& dir, const std::string& name) {
  std::string pattern = (dir / ("." + name + ".fetch-stamp-XXXXXX")).string();
  UniqueFd fd(mkostemp(pattern.data(), O_CLOEXEC));
  if (!fd.valid()) fail("cannot create a stamp file in '" + dir.string() + "'", errno);
  struct stat st {};
  int err = fstat(fd.get(), &st) == 0 ? 0 : errno;
  ::unlink(pattern.c_str());
  if (err != 0) fail("cannot stat '" + pattern + "'", err);
  return nanoseconds(st.st_ctim);
}

std::optional<std::string> hash_file(int root_fd, const std::string& path) {
  UniqueFd fd(openat(root_fd, path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return std::nullopt;
  Sha256 hash;
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<std::size_t>(n));
  }
  return hash.hex_digest();
}

fs::path parent_of(const fs::path& destination) {
  fs::path parent = destination.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

std::vector<TreeEntry> walk_tree(int dir_fd) {
  std::vector<TreeEntry> out;
  walk(dir_fd, "", out);
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

std::string tree_key(const fs::path& destination) {
  std::error_code ec;
  fs::path parent = fs::canonical(parent_of(destination), ec);
  if (ec) parent = fs::absolute(parent_of(destination), ec).lexically_normal();
  return (parent / destination.filename()).string();
}

TreeSnapshot::TreeSnapshot(const fs::path& staging, const fs::path& destination)
    : m_destination(destination), m_root(open(staging.c_str(), k_dir_flags)) {
  if (!m_root.valid()) fail("cannot open '" + staging.string() + "'", errno);
  m_stamp_ctime_ns = stamp_ctime(parent_of(destination), destination.filename().string());
  m_entries = walk_tree(m_root.get());
}

std::optional<TreeRecord> TreeSnapshot::record(const std::string& sha256, int strip_components,
                                               const ExtractResult& manifest) const {
  struct stat published {};
  struct stat root {};
  if (lstat(m_destination.c_str(), &published) != 0 || fstat(m_root.get(), &root) != 0) return std::nullopt;
  if (published.st_dev != root.st_dev || published.st_ino != root.st_ino) return std::nullopt;
  TreeRecord r;
  r.destination = tree_key(m_destination);
  r.sha256 = sha256;
  r.strip_components = strip_components;
  r.stamp_ctime_ns = m_stamp_ctime_ns;
  r.device = root.st_dev;
  r.root = entry_of(root, "");
  r.entries = m_entries;
  r.manifest = manifest;
  return r;
}

std::optional<ExtractResult> check_tree(const TreeRecord& record, const fs::path& destination, std::string& why) {
  UniqueFd root(open(destination.c_str(), k_dir_flags));
  struct stat st {};
  if (!root.valid() || fstat(root.get(), &st) != 0) {
    why = "cannot open '" + destination.string() + "': " + std::strerror(errno);
    return std::nullopt;
  }
  if (st.st_dev != record.device) {
    why = "the destination is on another filesystem";
    return std::nullopt;
  }
  std::vector<TreeEntry> now;
  try {
    now = walk_tree(root.get());
  } catch (const Error& e) {
    why = e.what();
    return std::nullopt;
  }
  auto difference = tree_difference(record, entry_of(st, ""), now,
                                    [&](const std::string& path) { return hash_file(root.get(), path); });
  if (difference) {
    why = *difference;
    return std::nullopt;
  }
  // The walk went through the directory open as root: make sure it is still the one named.
  struct stat named {};
  if (lstat(destination.c_str(), &named) != 0 || named.st_ino != st.st_ino || named.st_dev != st.st_dev) {
    why = "the destination was replaced during the check";
    return std::nullopt;
  }
  return record.manifest;
}

}  // namespace ciutils::fetch
