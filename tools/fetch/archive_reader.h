// Unpacks a tar (plain, gzip, bzip2, xz, zstd) or zip stream into a directory with
// libarchive's readers and SafeTree's writer, enforcing the budgets as the bytes arrive.
#pragma once

#include "download_stream.h"
#include "fetch_options.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ciutils::fetch {

struct ManifestEntry {
  std::string path;
  std::string type;  // file, symlink
  std::uint64_t size = 0;
  unsigned mode = 0;
  std::string sha256;  // files (with want_hashes)
  std::string target;  // symlinks
};

struct ExtractResult {
  std::vector<ManifestEntry> entries;
  std::uint64_t unpacked_bytes = 0;
  std::uint64_t entry_count = 0;
};

// Below this many unpacked bytes the ratio budget does not apply (small archives of
// text compress very well and are harmless); nor is it judged against fewer downloaded bytes.
constexpr std::uint64_t k_ratio_floor = 1 << 20;

// Reads `in` to its end (hashing every byte) and writes the entries below root.
// Throws IntegrityError naming the entry for every refusal.
ExtractResult extract_archive(DownloadStream& in, const std::filesystem::path& root, const Budgets& budgets,
                              int strip_components, const EntryFilter& filter, bool want_hashes,
                              const std::string& source_name);

}  // namespace ciutils::fetch
