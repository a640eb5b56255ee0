// The end of a zip stream (fetch): the end-of-central-directory record, zip64 records and
// central directory entries, parsed from the bytes fetch retained.
// Invariants: a parsed directory lies inside the stream, holds the number of entries
// its record announced when complete, and every entry's local header offset lies before
// the directory.
#include "invariant.h"

#include <ciutils/error.h>
#include <zip_directory.h>

#include <cstdint>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first 4 bytes say how many bytes of the stream came before the retained tail.
  if (size < 4) return 0;
  std::uint32_t before;
  std::memcpy(&before, data, 4);
  std::string_view tail(reinterpret_cast<const char*>(data) + 4, size - 4);
  const std::uint64_t total = before + tail.size();
  ciutils::fetch::ZipDirectory dir;
  try {
    dir = ciutils::fetch::parse_zip_directory(tail, total);
  } catch (const ciutils::IntegrityError&) {
    return 0;
  }
  FUZZ_ASSERT(dir.offset <= total);
  if (dir.complete) {
    FUZZ_ASSERT(dir.entries.size() == dir.entry_count);
    for (const auto& entry : dir.entries) FUZZ_ASSERT(entry.local_offset < dir.offset);
  }
  return 0;
}
