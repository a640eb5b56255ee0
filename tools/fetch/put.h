// `fetch put PATH URL`: a file as is, or a directory packed as tar.gz, uploaded with PUT
// (http/https, or S3 signed with SigV4 and the payload's SHA-256).
#pragma once

#include "download.h"
#include "fetch_options.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace ciutils::fetch {

struct PutResult {
  std::string url;  // redacted
  std::string sha256;
  std::uint64_t bytes = 0;
  long status = 0;
  bool packed = false;
};

PutResult run_put(const PutOptions& options, const RetryNotice& notice);

// Packs dir into a gzip-compressed pax tar written to fd (symlinks stored, never followed).
void pack_directory(const std::filesystem::path& dir, int fd);

}  // namespace ciutils::fetch
