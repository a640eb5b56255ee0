// `fetch put PATH URL`: a file as is, or a directory packed as tar.gz on the fly, uploaded
// with PUT (http/https: chunked while packing; S3: signed with SigV4 and the payload's
// SHA-256, multipart when the body is larger than a part).
#pragma once

#include "download.h"
#include "fetch_options.h"

#include <cstdint>
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

}  // namespace ciutils::fetch
