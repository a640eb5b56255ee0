#include "pack.h"

#include "signals.h"

#include <ciutils/error.h>
#include <ciutils/fd.h>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ciutils::fetch {

namespace fs = std::filesystem;

namespace {

struct WriteArchiveFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// libarchive is C: exceptions must not cross it. The write callback parks the sink's
// exception here and reports a failure; pack_directory rethrows it.
struct SinkState {
  const PackSink* sink;
  std::exception_ptr error;
};

la_ssize_t write_to_sink(archive*, void* context, const void* data, std::size_t size) {
  auto* state = static_cast<SinkState*>(context);
  if (state->error) return -1;  // libarchive flushes again when freed: the sink has failed already
  try {
    (*state->sink)(std::span<const char>(static_cast<const char*>(data), size));
    return static_cast<la_ssize_t>(size);
  } catch (...) {
    state->error = std::current_exception();
    return -1;
  }
}

[[noreturn]] void pack_failed(archive* a, const SinkState& state, const std::string& what) {
  if (state.error) std::rethrow_exception(state.error);
  const char* why = archive_error_string(a);
  throw Error(ExitCode::tool_failed, "packing " + what + ": " + (why ? why : "unknown error"));
}

[[noreturn]] void unreadable(const fs::path& path, int error) {
  throw UsageError("PATH: cannot read '" + path.string() + "': " + std::strerror(error));
}

}  // namespace

void pack_directory(const fs::path& dir, const PackSink& sink) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    paths.push_back(it->path());
  if (ec) throw UsageError("PATH: cannot read '" + dir.string() + "': " + ec.message());
  std::sort(paths.begin(), paths.end());

  SinkState state{&sink, nullptr};
  std::unique_ptr<archive, WriteArchiveFree> out(archive_write_new());
  archive* a = out.get();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  // "gzip:!timestamp": no time in the gzip header, so a retry packs identical bytes.
  if (archive_write_set_filter_option(a, "gzip", "timestamp", nullptr) != ARCHIVE_OK) pack_failed(a, state, "options");
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open2(a, &state, nullptr, write_to_sink, nullptr, nullptr) != ARCHIVE_OK)
    pack_failed(a, state, dir.string());

  std::vector<char> buffer(256 * 1024);
  for (const auto& path : paths) {
    throw_if_interrupted();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed since the listing
      unreadable(path, errno);
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    std::string name = path.lexically_relative(dir).string();
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_copy_stat(entry.get(), &st);
    archive_entry_unset_atime(entry.get());
    archive_entry_unset_ctime(entry.get());
    archive_entry_unset_birthtime(entry.get());
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_perm(entry.get(), st.st_mode & 0777);
    UniqueFd in;
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> target(static_cast<std::size_t>(st.st_size) + 1);
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) unreadable(path, errno);
      archive_entry_set_symlink(entry.get(), std::string(target.data(), static_cast<std::size_t>(n)).c_str());
      archive_entry_set_size(entry.get(), 0);
    } else if (S_ISREG(st.st_mode)) {
      in = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!in.valid()) unreadable(path, errno);
    }
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) pack_failed(a, state, name);
    if (!in.valid()) continue;
    // The header promised st_size bytes: a file that shrinks is padded with zeros, one that
    // grows is cut (libarchive refuses more than the header's size).
    std::uint64_t left = static_cast<std::uint64_t>(st.st_size);
    while (left > 0) {
      throw_if_interrupted();
      ssize_t n = ::read(in.get(), buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), left)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) unreadable(path, errno);
      if (n == 0) {
        std::fill(buffer.begin(), buffer.end(), '\0');
        n = static_cast<ssize_t>(std::min<std::uint64_t>(buffer.size(), left));
      }
      if (archive_write_data(a, buffer.data(), static_cast<std::size_t>(n)) < 0) pack_failed(a, state, name);
      left -= static_cast<std::uint64_t>(n);
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) pack_failed(a, state, dir.string());
}

}  // namespace ciutils::fetch
