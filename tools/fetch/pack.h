// A directory packed as a gzip-compressed pax tar, streamed to a sink as it is produced:
// sorted names, symlinks stored (never followed), owners 0, special files skipped, no
// access/change times and no gzip timestamp, so the same tree always packs to the same bytes.
#pragma once

#include <filesystem>
#include <functional>
#include <span>

namespace ciutils::fetch {

// Receives the archive's bytes in order; may throw (the packing stops and the exception
// propagates out of pack_directory).
using PackSink = std::function<void(std::span<const char>)>;

// Packs dir into sink. Throws UsageError naming a file that cannot be read, the sink's
// exceptions, and the interruption error (signals.h) between reads.
void pack_directory(const std::filesystem::path& dir, const PackSink& sink);

}  // namespace ciutils::fetch
