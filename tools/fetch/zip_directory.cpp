#include "zip_directory.h"

#include <ciutils/error.h>

namespace ciutils::fetch {

namespace {

[[noreturn]] void damaged(const std::string& why) { throw IntegrityError("zip central directory: " + why); }

std::uint64_t le(std::string_view data, std::size_t at, int bytes) { return zip_le(data, at, bytes); }

constexpr std::uint32_t k_eocd = 0x06054b50;
constexpr std::uint32_t k_zip64_locator = 0x07064b50;
constexpr std::uint32_t k_zip64_eocd = 0x06064b50;
constexpr std::uint32_t k_central = 0x02014b50;
constexpr std::uint64_t k_zip64_mark = 0xffffffff;

// The zip64 extended information extra field (0x0001) holds, in this order, whichever of
// the uncompressed size, compressed size and local header offset are 0xffffffff above.
void apply_zip64_extra(std::string_view extra, ZipCentralEntry& entry, std::uint64_t number) {
  for (std::size_t at = 0; at + 4 <= extra.size();) {
    std::size_t id = le(extra, at, 2);
    std::size_t length = le(extra, at + 2, 2);
    if (at + 4 + length > extra.size()) break;
    if (id == 1) {
      std::size_t field = at + 4;
      for (std::uint64_t* value : {&entry.uncompressed_size, &entry.compressed_size, &entry.local_offset}) {
        if (*value != k_zip64_mark) continue;
        if (field + 8 > at + 4 + length) damaged("entry " + std::to_string(number) + " has a short zip64 field");
        *value = le(extra, field, 8);
        field += 8;
      }
      return;
    }
    at += 4 + length;
  }
  if (entry.uncompressed_size == k_zip64_mark || entry.compressed_size == k_zip64_mark ||
      entry.local_offset == k_zip64_mark)
    damaged("entry " + std::to_string(number) + " lacks its zip64 field");
}

}  // namespace

std::uint64_t zip_le(std::string_view data, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
  return value;
}

ZipDirectory parse_zip_directory(std::string_view tail, std::uint64_t total) {
  if (tail.size() < 22) damaged("end record missing");
  std::size_t lowest = tail.size() > 22 + 65535 ? tail.size() - 22 - 65535 : 0;
  std::size_t at = std::string_view::npos;
  for (std::size_t p = tail.size() - 22 + 1; p-- > lowest;) {
    if (le(tail, p, 4) == k_eocd && p + 22 + le(tail, p + 20, 2) == tail.size()) {
      at = p;
      break;
    }
  }
  if (at == std::string_view::npos) damaged("end record missing");
  std::uint64_t base = total - tail.size();  // stream offset of tail[0]
  std::uint64_t count = le(tail, at + 10, 2);
  std::uint64_t size = le(tail, at + 12, 4);
  std::uint64_t offset = le(tail, at + 16, 4);
  std::uint64_t directory_end = base + at;
  if (count == 0xffff || size == 0xffffffff || offset == 0xffffffff) {
    if (at < 20 || le(tail, at - 20, 4) != k_zip64_locator) damaged("zip64 locator missing");
    std::uint64_t record = le(tail, at - 20 + 8, 8);
    if (record < base || record - base + 56 > tail.size() || le(tail, record - base, 4) != k_zip64_eocd)
      damaged("zip64 end record missing");
    std::size_t r = record - base;
    count = le(tail, r + 32, 8);
    size = le(tail, r + 40, 8);
    offset = le(tail, r + 48, 8);
    directory_end = record;
  }
  if (offset + size != directory_end) damaged("offsets do not match the archive's length");
  ZipDirectory directory;
  directory.entry_count = count;
  directory.offset = offset;
  if (offset < base) return directory;  // too large to retain: only the end record is checked
  std::size_t p = offset - base;
  std::size_t end = p + size;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (p + 46 > end || le(tail, p, 4) != k_central) damaged("entry " + std::to_string(i + 1) + " is damaged");
    std::size_t name_length = le(tail, p + 28, 2);
    std::size_t extra_length = le(tail, p + 30, 2);
    std::size_t comment_length = le(tail, p + 32, 2);
    if (p + 46 + name_length + extra_length + comment_length > end) damaged("entry " + std::to_string(i + 1) + " is damaged");
    ZipCentralEntry entry;
    entry.name = std::string(tail.substr(p + 46, name_length));
    if ((le(tail, p + 4, 2) >> 8) == 3) entry.unix_mode = static_cast<unsigned>(le(tail, p + 38, 4) >> 16);
    entry.method = static_cast<unsigned>(le(tail, p + 10, 2));
    entry.compressed_size = le(tail, p + 20, 4);
    entry.uncompressed_size = le(tail, p + 24, 4);
    entry.local_offset = le(tail, p + 42, 4);
    apply_zip64_extra(tail.substr(p + 46 + name_length, extra_length), entry, i + 1);
    // A local header can only come before the directory (found by fuzz/zip_directory).
    if (entry.local_offset >= offset) damaged("entry " + std::to_string(i + 1) + " points past the directory");
    directory.entries.push_back(std::move(entry));
    p += 46 + name_length + extra_length + comment_length;
  }
  if (p != end) damaged("size does not match its entries");
  directory.complete = true;
  return directory;
}

}  // namespace ciutils::fetch
