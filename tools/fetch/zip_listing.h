// A zip read as a stream is unpacked from its local headers, while `unzip -l` and every
// reviewer see its central directory. The two listings are compared entry by entry, in
// order, so that no entry can be extracted that the directory does not show as it is.
#pragma once

#include "zip_directory.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

// One local header, as found in the raw bytes of the stream.
struct ZipLocalEntry {
  std::uint64_t offset = 0;      // of its signature
  std::uint64_t data_start = 0;  // just after its name and extra field
  unsigned flags = 0;            // general purpose bits (8: sizes in a data descriptor)
  std::string name;              // raw bytes
  std::optional<std::uint64_t> size;  // bytes unpacked, when they were read
};

// The local header whose name and extra field end at `header_end` (plus its own compressed
// size when `includes_data`: a stored symlink target is read with its header), searched
// backwards in `window`, which holds the stream's bytes from offset `base`. nullopt when the
// bytes there are not such a header.
std::optional<ZipLocalEntry> find_zip_local_header(std::string_view window, std::uint64_t base,
                                                   std::uint64_t header_end, bool includes_data);

// Throws IntegrityError "zip central directory: …" unless the directory lists exactly the
// local headers, in the same order: same count, offsets, names and sizes, each entry's data
// (and data descriptor) ending where the next local header or the directory starts.
void check_zip_listing(const std::vector<ZipLocalEntry>& local, const ZipDirectory& directory);

}  // namespace ciutils::fetch
