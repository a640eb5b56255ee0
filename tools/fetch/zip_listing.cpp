#include "zip_listing.h"

#include <ciutils/error.h>

namespace ciutils::fetch {

namespace {

std::uint64_t le(std::string_view data, std::size_t at, int bytes) { return zip_le(data, at, bytes); }

[[noreturn]] void disagree(std::size_t index, const std::string& name, const std::string& why) {
  throw IntegrityError("zip central directory: entry " + std::to_string(index + 1) + " ('" + name + "') " + why);
}

constexpr std::size_t k_local_fixed = 30;

// A data descriptor: crc, then 32- or 64-bit sizes, each form with or without its signature.
bool is_descriptor_length(std::uint64_t n) { return n == 12 || n == 16 || n == 20 || n == 24; }

}  // namespace

std::optional<ZipLocalEntry> find_zip_local_header(std::string_view window, std::uint64_t base,
                                                   std::uint64_t header_end, bool includes_data) {
  if (header_end < base + k_local_fixed || header_end > base + window.size()) return std::nullopt;
  std::size_t end = header_end - base;
  // Name and extra field are at most 64 KiB each, a stored symlink target at most 64 KiB more.
  std::size_t lowest = end > k_local_fixed + 3 * 65535 ? end - k_local_fixed - 3 * 65535 : 0;
  for (std::size_t at = end - k_local_fixed + 1; at-- > lowest;) {
    if (window[at] != 'P' || le(window, at, 4) != 0x04034b50) continue;
    std::size_t name_length = le(window, at + 26, 2);
    std::size_t extra_length = le(window, at + 28, 2);
    std::size_t data_start = at + k_local_fixed + name_length + extra_length;
    std::size_t consumed = data_start + (includes_data ? le(window, at + 18, 4) : 0);
    if (consumed != end) continue;
    ZipLocalEntry entry;
    entry.offset = base + at;
    entry.data_start = base + data_start;
    entry.flags = static_cast<unsigned>(le(window, at + 6, 2));
    entry.name = std::string(window.substr(at + k_local_fixed, name_length));
    return entry;
  }
  return std::nullopt;
}

void check_zip_listing(const std::vector<ZipLocalEntry>& local, const ZipDirectory& directory) {
  if (local.size() != directory.entries.size())
    throw IntegrityError("zip central directory: lists " + std::to_string(directory.entries.size()) +
                         " entries, the archive holds " + std::to_string(local.size()));
  if (!local.empty() && local.front().offset != 0)
    throw IntegrityError("zip central directory: the archive does not start with its first entry");
  for (std::size_t i = 0; i < local.size(); ++i) {
    const ZipLocalEntry& l = local[i];
    const ZipCentralEntry& c = directory.entries[i];
    if (c.name != l.name) disagree(i, c.name, "is '" + l.name + "' in the archive's local header");
    if (c.local_offset != l.offset)
      disagree(i, c.name, "is at offset " + std::to_string(c.local_offset) + " in the directory, at " +
                              std::to_string(l.offset) + " in the archive");
    if (l.size && *l.size != c.uncompressed_size)
      disagree(i, c.name, "has " + std::to_string(c.uncompressed_size) + " bytes in the directory, " +
                              std::to_string(*l.size) + " in the archive");
    if (c.method == 0 && c.compressed_size != c.uncompressed_size)
      disagree(i, c.name, "is stored with two different sizes");
    std::uint64_t next = i + 1 < local.size() ? local[i + 1].offset : directory.offset;
    std::uint64_t data_end = l.data_start + c.compressed_size;
    bool fits = next == data_end || ((l.flags & 8) != 0 && next > data_end && is_descriptor_length(next - data_end));
    if (data_end < l.data_start || !fits)
      disagree(i, c.name, "has " + std::to_string(c.compressed_size) +
                              " compressed bytes in the directory, which do not end where the next entry starts");
  }
}

}  // namespace ciutils::fetch
