// A zip's central directory, checked after a streaming read: the streaming reader unpacks
// from the local headers, so the directory at the end is verified against them (a damaged
// or disagreeing directory is refused) and supplies the Unix modes (executable bits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

struct ZipCentralEntry {
  std::string name;
  std::optional<unsigned> unix_mode;  // when made on Unix
  std::uint64_t local_offset = 0;     // of its local header (zip64 extra field applied)
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  unsigned method = 0;  // 0 stored, 8 deflate, ...
};

struct ZipDirectory {
  std::uint64_t entry_count = 0;
  std::uint64_t offset = 0;  // where the central directory starts in the stream
  bool complete = false;     // the whole directory was within the retained tail
  std::vector<ZipCentralEntry> entries;
};

// The little-endian integer of `bytes` bytes at data[at] (zip's byte order).
std::uint64_t zip_le(std::string_view data, std::size_t at, int bytes);

// Parses the end of a zip stream: `tail` is its last bytes, `total` the stream's length.
// Throws IntegrityError "zip central directory: <why>".
ZipDirectory parse_zip_directory(std::string_view tail, std::uint64_t total);

}  // namespace ciutils::fetch
