#include "archive_reader.h"

#include "entry_path.h"
#include "safe_tree.h"
#include "signals.h"
#include "zip_directory.h"
#include "zip_listing.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

struct ReadState {
  DownloadStream& in;
  std::exception_ptr error;
};

la_ssize_t read_callback(archive* a, void* context, const void** buffer) {
  auto* state = static_cast<ReadState*>(context);
  try {
    auto chunk = state->in.read();
    *buffer = chunk.data();
    return static_cast<la_ssize_t>(chunk.size());
  } catch (...) {
    state->error = std::current_exception();
    archive_set_error(a, EIO, "download failed");
    return -1;
  }
}

[[noreturn]] void refuse(std::string_view name, const std::string& why) {
  throw IntegrityError("entry '" + std::string(name) + "': " + why);
}

timespec entry_mtime(archive_entry* entry) {
  if (!archive_entry_mtime_is_set(entry)) return {0, UTIME_NOW};
  return {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
}

// What became of a zip entry, for what its central directory entry says at the end.
struct ZipWritten {
  std::string path;          // where the entry was written as a regular file ("" when it was not)
  std::size_t manifest = 0;  // its index in the manifest
  timespec mtime{};
  std::string refusal;  // a filtered-out entry: why it would be refused as a symlink
};

class Extractor {
public:
  Extractor(DownloadStream& in, const std::filesystem::path& root, const Budgets& budgets, int strip,
            const EntryFilter& filter, bool want_hashes, std::string source_name)
      : m_state{in, nullptr},
        m_tree(root),
        m_budgets(budgets),
        m_strip(strip),
        m_filter(filter),
        m_want_hashes(want_hashes),
        m_source_name(std::move(source_name)) {}

  ExtractResult run() {
    m_archive.reset(archive_read_new());
    archive* a = m_archive.get();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_zip_streamable(a);
    m_state.in.keep_zip_tail(k_zip_tail);
    if (archive_read_open(a, &m_state, nullptr, read_callback, nullptr) != ARCHIVE_OK) fail("open");
    for (;;) {
      throw_if_interrupted();
      archive_entry* entry = nullptr;
      int r = archive_read_next_header(a, &entry);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) fail("read");
      one_entry(entry);
    }
    if (m_state.in.bytes() == 0) throw IntegrityError(m_source_name + ": the download is empty");
    m_state.in.drain();
    if (m_zip) check_zip_directory();
    m_tree.finish();
    return std::move(m_result);
  }

private:
  [[noreturn]] void fail(std::string_view) {
    if (m_state.error) std::rethrow_exception(m_state.error);
    std::string detail = archive_error_string(m_archive.get()) ? archive_error_string(m_archive.get()) : "unknown error";
    if (m_state.in.bytes() == 0) throw IntegrityError(m_source_name + ": the download is empty");
    if (detail.find("nrecognized archive format") != std::string::npos)
      throw IntegrityError(m_source_name + ": not a tar or zip archive (" + detail + "; content starts with '" +
                           m_state.in.preview() + "')");
    std::string where = m_current.empty() ? "" : " (at entry '" + m_current + "')";
    throw IntegrityError(m_source_name + ": damaged archive: " + detail + where);
  }

  void count_bytes(std::uint64_t n, std::string_view name) {
    m_result.unpacked_bytes += n;
    if (m_result.unpacked_bytes > m_budgets.max_bytes)
      refuse(name, "unpacked size exceeds --max-bytes " + std::to_string(m_budgets.max_bytes));
    // The ratio is judged against the whole download when its size is known, so the
    // verdict does not depend on the order of the entries; else against what has arrived
    // so far, but never less than k_ratio_floor.
    std::uint64_t downloaded = m_state.in.bytes();
    auto total = m_state.in.expected_size();
    std::uint64_t judged = total ? std::max(*total, downloaded) : std::max(downloaded, k_ratio_floor);
    if (m_result.unpacked_bytes > k_ratio_floor &&
        static_cast<double>(m_result.unpacked_bytes) > m_budgets.max_ratio * static_cast<double>(judged))
      refuse(name, "compression ratio exceeds --max-ratio " + format_ratio() + " (" +
                       std::to_string(m_result.unpacked_bytes) + " bytes unpacked from a download of " +
                       std::to_string(judged) + " bytes)");
  }

  std::string format_ratio() const {
    char text[32];
    std::snprintf(text, sizeof text, "%g", m_budgets.max_ratio);
    return text;
  }

  void check_zip_directory() {
    ZipDirectory directory;
    try {
      directory = parse_zip_directory(m_state.in.tail(), m_state.in.bytes());
    } catch (const IntegrityError& e) {
      throw IntegrityError(m_source_name + ": damaged archive: " + e.what());
    }
    if (!directory.complete)
      throw IntegrityError(m_source_name + ": zip central directory is larger than " +
                           std::to_string(k_zip_tail >> 20) + " MiB; fetch cannot check it");
    try {
      check_zip_listing(m_zip_local, directory);
    } catch (const IntegrityError& e) {
      throw IntegrityError(m_source_name + ": " + e.what());
    }
    for (std::size_t i = 0; i < directory.entries.size(); ++i) {
      const ZipCentralEntry& entry = directory.entries[i];
      if (!entry.unix_mode) continue;
      if ((*entry.unix_mode & 0170000) == 0120000) {
        zip_symlink(entry.name, m_zip_written[i]);
        continue;
      }
      if ((*entry.unix_mode & 0170000) != 0100000 || m_zip_written[i].path.empty()) continue;
      auto it = m_files.find(m_zip_written[i].path);
      if (it == m_files.end()) continue;
      unsigned mode = *entry.unix_mode & 0777 & ~m_budgets.mode_mask;
      m_tree.set_file_mode(entry_parts(m_zip_written[i].path), mode, entry.name);
      m_result.entries[it->second].mode = mode;
    }
  }

  // A zip symlink is known only from the central directory's Unix mode, after its target
  // was written as the content of a regular file: that file becomes the symlink now, under
  // the rules tar's symlinks follow. Nothing is written after it, so no later entry can go
  // through it.
  void zip_symlink(const std::string& name, const ZipWritten& written) {
    if (!written.refusal.empty()) throw IntegrityError(written.refusal);  // filtered out, unsafe all the same
    if (written.path.empty()) return;                                     // not extracted
    auto it = m_files.find(written.path);
    if (it == m_files.end() || it->second != written.manifest) return;  // replaced by a later entry
    if (m_budgets.no_symlinks) refuse(name, "symlinks are refused (--no-symlinks)");
    PathParts parts = entry_parts(written.path);
    std::string target = m_tree.read_head(parts, k_max_symlink_target, name);
    check_zip_symlink_target(parts, target, name);
    m_tree.make_symlink(parts, target, written.mtime, name);
    ManifestEntry& record = m_result.entries[written.manifest];
    record = ManifestEntry{written.path, "symlink", 0, 0777, "", target};
    m_files.erase(it);
  }

  static void check_zip_symlink_target(const PathParts& parts, const std::string& target, const std::string& name) {
    if (target.size() > k_max_symlink_target)
      refuse(name, "symlink target is longer than " + std::to_string(k_max_symlink_target) + " bytes");
    if (target.find('\0') != std::string::npos) refuse(name, "symlink target holds a NUL byte");
    check_symlink_target(parts, target, name);
  }

  struct DataBlock {
    const char* data;
    std::size_t size;
    std::uint64_t offset;
  };

  // The current entry's next block of data; nullopt at its end.
  std::optional<DataBlock> next_block() {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(m_archive.get(), &block, &size, &offset);
    if (r == ARCHIVE_EOF) return std::nullopt;
    if (r < ARCHIVE_WARN) fail("data");
    return DataBlock{static_cast<const char*>(block), size, static_cast<std::uint64_t>(std::max<la_int64_t>(0, offset))};
  }

  // A zip entry that is filtered out may still be a symlink (the central directory tells):
  // why its content would be refused as a symlink target, "" when it would not.
  std::string zip_symlink_refusal(const PathParts& parts, const std::string& name) {
    std::string head;
    while (head.size() <= k_max_symlink_target) {
      auto block = next_block();
      if (!block) break;
      head.append(block->data, std::min(block->size, k_max_symlink_target + 1 - head.size()));
    }
    try {
      check_zip_symlink_target(parts, head, name);
    } catch (const IntegrityError& e) {
      return e.what();
    }
    return "";
  }

  // Finds the raw local header libarchive has just read, for check_zip_directory().
  void record_zip_local(archive_entry* entry, const std::string& name) {
    std::string_view window = m_state.in.tail();
    std::uint64_t base = m_state.in.bytes() - window.size();
    auto consumed = static_cast<std::uint64_t>(archive_filter_bytes(m_archive.get(), 0));
    bool symlink = archive_entry_filetype(entry) == AE_IFLNK;
    auto local = find_zip_local_header(window, base, consumed, symlink);
    if (!local) throw IntegrityError(m_source_name + ": damaged archive: no zip local header for entry '" + name + "'");
    std::string raw = local->name;
    std::replace(raw.begin(), raw.end(), '\\', '/');
    if (name != local->name && name != raw && name != raw + "/")
      throw IntegrityError(m_source_name + ": damaged archive: zip local header names '" + local->name +
                           "', the entry read is '" + name + "'");
    if (symlink) local->size = std::strlen(archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "");
    if (archive_entry_filetype(entry) == AE_IFDIR) local->size = 0;
    m_zip_local.push_back(std::move(*local));
    m_zip_written.emplace_back();
  }

  void one_entry(archive_entry* entry) {
    const char* raw_name = archive_entry_pathname(entry);
    if (!raw_name) refuse("?", "name is not valid in this locale");
    std::string name = raw_name;
    m_current = name;
    if (m_result.entry_count == 0 && (archive_format(m_archive.get()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
      m_zip = true;
    }
    if (m_zip) record_zip_local(entry, name);
    if (++m_result.entry_count > m_budgets.max_entries)
      refuse(name, "archive has more than --max-entries " + std::to_string(m_budgets.max_entries) + " entries");
    if (archive_entry_filetype(entry) == AE_IFDIR && names_root(name)) {
      archive_read_data_skip(m_archive.get());
      return;
    }
    PathParts parts = entry_parts(name);
    auto stripped = strip_parts(parts, m_strip);
    if (!stripped) {
      archive_read_data_skip(m_archive.get());
      return;
    }
    std::string path = join_parts(*stripped);
    if (!m_filter.empty() && !m_filter.selects(*stripped)) {
      refuse_if_unsafe(entry, *stripped, name);  // filters never make an unsafe entry acceptable
      if (m_zip && archive_entry_filetype(entry) == AE_IFREG)
        m_zip_written.back().refusal = zip_symlink_refusal(*stripped, name);
      archive_read_data_skip(m_archive.get());
      return;
    }
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      PathParts target_parts;
      try {
        target_parts = entry_parts(hardlink);
      } catch (const IntegrityError&) {
        refuse(name, "hardlink target '" + std::string(hardlink) + "' points outside the destination");
      }
      auto target = strip_parts(target_parts, m_strip);
      if (!target) refuse(name, "hardlink target '" + std::string(hardlink) + "' is stripped away");
      m_tree.make_hardlink(*stripped, *target, name);
      auto it = m_files.find(join_parts(*target));
      ManifestEntry record{path, "file", 0, 0, "", ""};
      if (it != m_files.end()) {
        const ManifestEntry& file = m_result.entries[it->second];
        record.size = file.size;
        record.mode = file.mode;
        record.sha256 = file.sha256;
      }
      m_files[path] = m_result.entries.size();
      m_result.entries.push_back(std::move(record));
      archive_read_data_skip(m_archive.get());
      return;
    }
    switch (archive_entry_filetype(entry)) {
      case AE_IFREG:
        write_file(entry, *stripped, path, name);
        break;
      case AE_IFDIR:
        m_tree.make_directory(*stripped, archive_entry_perm(entry) & ~m_budgets.mode_mask, entry_mtime(entry), name);
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        if (!target) refuse(name, "symlink without a target");
        if (m_budgets.no_symlinks) refuse(name, "symlinks are refused (--no-symlinks)");
        m_tree.make_symlink(*stripped, target, entry_mtime(entry), name);
        m_result.entries.push_back({path, "symlink", 0, 0777, "", target});
        break;
      }
      default:
        refuse(name, "device files, fifos and sockets are not allowed");
    }
  }

  // The checks an entry that is not extracted still has to pass.
  void refuse_if_unsafe(archive_entry* entry, const PathParts& parts, const std::string& name) {
    if (const char* hardlink = archive_entry_hardlink(entry)) {
      try {
        entry_parts(hardlink);
      } catch (const IntegrityError&) {
        refuse(name, "hardlink target '" + std::string(hardlink) + "' points outside the destination");
      }
      return;
    }
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      if (!target) refuse(name, "symlink without a target");
      check_symlink_target(parts, target, name);
    } else if (type != AE_IFREG && type != AE_IFDIR) {
      refuse(name, "device files, fifos and sockets are not allowed");
    }
  }

  void write_file(archive_entry* entry, const PathParts& parts, const std::string& path, const std::string& name) {
    if (archive_entry_size_is_set(entry)) {
      auto declared = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
      if (m_result.unpacked_bytes + declared > m_budgets.max_bytes)
        refuse(name, "unpacked size exceeds --max-bytes " + std::to_string(m_budgets.max_bytes));
    }
    UniqueFd fd = m_tree.create_file(parts, name);
    Sha256 hash;
    std::uint64_t position = 0;
    static const std::vector<char> k_zeros(64 * 1024, 0);
    for (;;) {
      throw_if_interrupted();
      auto data = next_block();
      if (!data) break;
      const char* block = data->data;
      std::size_t size = data->size;
      std::uint64_t at = data->offset;
      if (at > position) {  // a hole in a sparse file
        count_bytes(at - position, name);
        if (m_want_hashes)
          for (std::uint64_t left = at - position; left > 0;) {
            auto n = std::min<std::uint64_t>(left, k_zeros.size());
            hash.update(k_zeros.data(), n);
            left -= n;
          }
        if (lseek(fd.get(), static_cast<off_t>(at), SEEK_SET) < 0) refuse(name, "seek failed");
        position = at;
      }
      count_bytes(size, name);
      write_all(fd.get(), block, size, "entry '" + name + "'");
      if (m_want_hashes) hash.update(block, size);
      position += size;
    }
    if (archive_entry_size_is_set(entry)) {
      auto declared = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
      if (declared > position) {
        count_bytes(declared - position, name);
        if (ftruncate(fd.get(), static_cast<off_t>(declared)) != 0) refuse(name, "truncate failed");
        if (m_want_hashes)
          for (std::uint64_t left = declared - position; left > 0;) {
            auto n = std::min<std::uint64_t>(left, k_zeros.size());
            hash.update(k_zeros.data(), n);
            left -= n;
          }
        position = declared;
      }
    }
    unsigned mode = archive_entry_perm(entry) & 0777 & ~m_budgets.mode_mask;
    SafeTree::finish_file(fd.get(), mode, entry_mtime(entry), name);
    ManifestEntry record{path, "file", position, mode, m_want_hashes ? hash.hex_digest() : "", ""};
    if (m_zip) {
      m_zip_local.back().size = position;
      m_zip_written.back() = ZipWritten{path, m_result.entries.size(), entry_mtime(entry), ""};
    }
    m_files[path] = m_result.entries.size();
    m_result.entries.push_back(std::move(record));
  }

  ReadState m_state;
  SafeTree m_tree;
  const Budgets& m_budgets;
  int m_strip;
  const EntryFilter& m_filter;
  bool m_want_hashes;
  std::string m_source_name;
  ArchivePtr m_archive;
  ExtractResult m_result;
  std::string m_current;
  std::map<std::string, std::size_t> m_files;  // regular files by path: index in m_result.entries
  bool m_zip = false;
  std::vector<ZipLocalEntry> m_zip_local;  // every local header, in stream order
  std::vector<ZipWritten> m_zip_written;  // one per local header
  static constexpr std::size_t k_max_symlink_target = 4095;
  static constexpr std::size_t k_zip_tail = 32 << 20;  // the largest central directory fetch checks
};

}  // namespace

ExtractResult extract_archive(DownloadStream& in, const std::filesystem::path& root, const Budgets& budgets,
                              int strip_components, const EntryFilter& filter, bool want_hashes,
                              const std::string& source_name) {
  Extractor extractor(in, root, budgets, strip_components, filter, want_hashes, source_name);
  return extractor.run();
}

}  // namespace ciutils::fetch
