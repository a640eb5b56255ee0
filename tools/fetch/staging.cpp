#include "staging.h"

#include <ciutils/error.h>
#include <ciutils/fd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or "" when
// there is no such process.
std::string start_time(const std::string& pid) {
  std::FILE* f = std::fopen(("/proc/" + pid + "/stat").c_str(), "re");
  if (!f) return "";
  char buffer[1024];
  std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
  std::fclose(f);
  std::string_view stat(buffer, n);
  auto paren = stat.rfind(')');
  if (paren == std::string_view::npos) return "";
  std::size_t at = paren + 2;  // field 3 starts here
  for (int field = 3; field < 22 && at < stat.size(); ++field) {
    at = stat.find(' ', at);
    if (at == std::string_view::npos) return "";
    ++at;
  }
  return std::string(stat.substr(at, stat.find(' ', at) - at));
}

std::string staging_tag() {
  std::string pid = std::to_string(getpid());
  return pid + "." + start_time(pid);
}

// Removes the contents of the directory open as fd (consumed).
bool remove_contents(int fd) {
  DIR* dir = fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return false;
  }
  bool ok = true;
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (unlinkat(dirfd(dir), entry->d_name, 0) == 0) continue;
    if (errno != EISDIR && errno != EPERM) {
      ok = false;
      continue;
    }
    int child = openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
      fchmodat(dirfd(dir), entry->d_name, 0700, 0);
      child = openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (child < 0) {
      ok = false;
      continue;
    }
    fchmod(child, 0700);
    ok = remove_contents(child) && ok;
    if (unlinkat(dirfd(dir), entry->d_name, AT_REMOVEDIR) != 0) ok = false;
  }
  closedir(dir);
  return ok;
}

}  // namespace

bool remove_tree(const fs::path& path) noexcept {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return unlink(path.c_str()) == 0;
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    chmod(path.c_str(), 0700);
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return false;
  fchmod(fd, 0700);
  bool ok = remove_contents(fd);
  return rmdir(path.c_str()) == 0 && ok;
}

void check_destination(const fs::path& destination, bool replace) {
  struct stat st {};
  if (lstat(destination.c_str(), &st) == 0 && !replace)
    throw UsageError("-o: '" + destination.string() + "' already exists (use --replace)");
}

std::vector<std::string> remove_stale_staging(const fs::path& destination) {
  std::vector<std::string> removed;
  fs::path parent = destination.parent_path();
  if (parent.empty()) parent = ".";
  DIR* dir = opendir(parent.c_str());
  if (!dir) return removed;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(dir)) {
    // .NAME.fetch-PID.START-XXXXXX
    std::string_view name = entry->d_name;
    auto mark = name.rfind(".fetch-");
    if (name.empty() || name[0] != '.' || mark == std::string_view::npos || mark == 0) continue;
    std::string_view tag = name.substr(mark + 7);
    auto dot = tag.find('.');
    auto dash = tag.rfind('-');
    if (dot == std::string_view::npos || dash == std::string_view::npos || dash < dot || tag.size() - dash != 7) continue;
    std::string pid(tag.substr(0, dot));
    std::string started(tag.substr(dot + 1, dash - dot - 1));
    if (pid.empty() || started.empty() || pid.find_first_not_of("0123456789") != std::string::npos ||
        started.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (start_time(pid) != started) stale.emplace_back(name);
  }
  closedir(dir);
  for (const auto& name : stale)
    if (remove_tree(parent / name)) removed.push_back("stale staging '" + (parent / name).string() + "' of a fetch that is gone");
  return removed;
}

Staging::Staging(const fs::path& destination, Kind kind) : m_destination(destination), m_kind(kind) {
  fs::path parent = destination.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw UsageError("-o: cannot create '" + parent.string() + "': " + ec.message());
  std::string pattern =
      (parent / ("." + destination.filename().string() + ".fetch-" + staging_tag() + "-XXXXXX")).string();
  if (kind == Kind::directory) {
    if (!mkdtemp(pattern.data()))
      throw UsageError("-o: cannot create a staging directory in '" + parent.string() + "': " + errno_text(errno));
    mode_t mask = umask(0);
    umask(mask);
    chmod(pattern.c_str(), 0777 & ~mask);  // the published directory gets the usual mode
  } else {
    int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0)
      throw UsageError("-o: cannot create a staging file in '" + parent.string() + "': " + errno_text(errno));
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    ::close(fd);
  }
  m_path = pattern;
}

Staging::~Staging() {
  if (!m_published) remove_tree(m_path);
}

void Staging::reset() {
  if (m_kind == Kind::directory) {
    int fd = open(m_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !remove_contents(fd))
      throw Error(ExitCode::tool_failed, "cannot empty staging directory '" + m_path.string() + "'");
  } else if (truncate(m_path.c_str(), 0) != 0) {
    throw Error(ExitCode::tool_failed, "cannot truncate '" + m_path.string() + "': " + errno_text(errno));
  }
}

void Staging::publish(bool replace) {
  if (m_kind == Kind::file) {
    // Files: rename(2) replaces atomically; without --replace refuse an existing target.
    if (!replace) {
      if (renameat2(AT_FDCWD, m_path.c_str(), AT_FDCWD, m_destination.c_str(), RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST) throw UsageError("-o: '" + m_destination.string() + "' already exists (use --replace)");
        throw Error(ExitCode::tool_failed, "cannot publish '" + m_destination.string() + "': " + errno_text(errno));
      }
    } else {
      struct stat st {};
      if (lstat(m_destination.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (renameat2(AT_FDCWD, m_path.c_str(), AT_FDCWD, m_destination.c_str(), RENAME_EXCHANGE) != 0)
          throw Error(ExitCode::tool_failed, "cannot publish '" + m_destination.string() + "': " + errno_text(errno));
        m_published = true;
        remove_tree(m_path);
        return;
      }
      if (std::rename(m_path.c_str(), m_destination.c_str()) != 0)
        throw Error(ExitCode::tool_failed, "cannot publish '" + m_destination.string() + "': " + errno_text(errno));
    }
    m_published = true;
    return;
  }
  if (renameat2(AT_FDCWD, m_path.c_str(), AT_FDCWD, m_destination.c_str(), RENAME_NOREPLACE) == 0) {
    m_published = true;
    return;
  }
  if (errno != EEXIST)
    throw Error(ExitCode::tool_failed, "cannot publish '" + m_destination.string() + "': " + errno_text(errno));
  if (!replace) throw UsageError("-o: '" + m_destination.string() + "' already exists (use --replace)");
  if (renameat2(AT_FDCWD, m_path.c_str(), AT_FDCWD, m_destination.c_str(), RENAME_EXCHANGE) != 0)
    throw Error(ExitCode::tool_failed, "cannot replace '" + m_destination.string() + "': " + errno_text(errno));
  m_published = true;
  remove_tree(m_path);  // the old tree, now at the staging name
}

}  // namespace ciutils::fetch
