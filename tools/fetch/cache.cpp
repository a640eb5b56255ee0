#include "cache.h"

#include "ciutils/sha256.h"

#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace fs = std::filesystem;

namespace {

fs::path url_entry(const fs::path& dir, const std::string& url) { return dir / "urls" / (sha256_hex(url) + ".json"); }
fs::path tree_entry(const fs::path& dir, const std::string& key) { return dir / "trees" / (sha256_hex(key) + ".json"); }

void write_atomically(const fs::path& path, const std::string& content) {
  std::string temp = (path.parent_path() / ".tmp-XXXXXX").string();
  int fd = mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) throw UsageError("--cache: cannot write in '" + path.parent_path().string() + "': " + std::strerror(errno));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    throw UsageError("--cache: cannot write '" + path.string() + "'");
  }
}

}  // namespace

Cache::Cache(fs::path dir, bool shared) : m_dir(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(m_dir / "objects", ec);
  if (!ec) fs::create_directories(m_dir / "urls", ec);
  if (!ec) fs::create_directories(m_dir / "trees", ec);
  if (ec) throw UsageError("--cache: cannot create '" + m_dir.string() + "': " + ec.message());
  if (shared) return;
  for (const fs::path& dir : {m_dir, m_dir / "objects", m_dir / "urls", m_dir / "trees"}) {
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw UsageError("--cache: '" + dir.string() + "' is not a directory");
    if (st.st_uid != geteuid())
      throw UsageError("--cache: '" + dir.string() + "' belongs to uid " + std::to_string(st.st_uid) +
                       ", not to you (uid " + std::to_string(geteuid()) +
                       "): use a cache of your own, or --cache-shared if the team shares it on purpose");
    if ((st.st_mode & 022) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      throw UsageError("--cache: '" + dir.string() + "' is writable by group or others (mode " + mode +
                       "): run chmod go-w '" + dir.string() + "', or pass --cache-shared if the team shares it on purpose");
    }
  }
}

std::optional<fs::path> Cache::object(const std::string& sha256) const {
  fs::path path = m_dir / "objects" / sha256;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  return std::nullopt;
}

std::optional<CachedUrl> Cache::lookup(const std::string& url) const {
  std::ifstream in(url_entry(m_dir, url));
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto value = parse_json(text.str(), "cache entry");
    const auto& obj = as_object(value, "cache entry");
    CachedUrl entry;
    entry.sha256 = get_string(obj, "sha256", "cache entry");
    entry.etag = find_string(obj, "etag", "cache entry").value_or("");
    entry.last_modified = find_string(obj, "last_modified", "cache entry").value_or("");
    if (!is_sha256_hex(entry.sha256)) return std::nullopt;
    return entry;
  } catch (const Error&) {
    return std::nullopt;  // a damaged entry is a miss
  }
}

void Cache::remember(const std::string& url, const CachedUrl& entry) const {
  boost::json::object obj;
  obj["sha256"] = entry.sha256;
  if (!entry.etag.empty()) obj["etag"] = entry.etag;
  if (!entry.last_modified.empty()) obj["last_modified"] = entry.last_modified;
  write_atomically(url_entry(m_dir, url), to_json(obj) + "\n");
}

std::optional<std::string> Cache::tree_record(const std::string& key) const {
  std::ifstream in(tree_entry(m_dir, key), std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return std::nullopt;
  return text.str();
}

void Cache::store_tree_record(const std::string& key, const std::string& text) const {
  write_atomically(tree_entry(m_dir, key), text);
}

bool Cache::object_intact(const std::string& sha256) const {
  UniqueFd fd(::open((m_dir / "objects" / sha256).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<std::size_t>(n));
  }
  return hash.hex_digest() == sha256;
}

void Cache::forget_object(const std::string& sha256) const { ::unlink((m_dir / "objects" / sha256).c_str()); }

Cache::Writer::Writer(const fs::path& objects) : m_objects(objects) {
  std::string temp = (objects / ".tmp-XXXXXX").string();
  m_fd = UniqueFd(mkostemp(temp.data(), O_CLOEXEC));
  if (!m_fd.valid()) throw UsageError("--cache: cannot write in '" + objects.string() + "': " + std::strerror(errno));
  m_temp = temp;
}

Cache::Writer::~Writer() {
  if (!m_committed) ::unlink(m_temp.c_str());
}

void Cache::Writer::restart() {
  if (ftruncate(m_fd.get(), 0) != 0 || lseek(m_fd.get(), 0, SEEK_SET) != 0)
    throw Error(ExitCode::tool_failed, "--cache: cannot truncate '" + m_temp.string() + "'");
}

void Cache::Writer::commit(const std::string& sha256) {
  fsync(m_fd.get());
  if (std::rename(m_temp.c_str(), (m_objects / sha256).c_str()) != 0)
    throw Error(ExitCode::tool_failed, "--cache: cannot store object " + sha256 + ": " + std::strerror(errno));
  m_committed = true;
}

}  // namespace ciutils::fetch
