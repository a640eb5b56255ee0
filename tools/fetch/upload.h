// One HTTP request with a body for `fetch put` (PUT, POST or DELETE), over libcurl: the
// body comes from a read function (a known length, or chunked when the length is unknown),
// and the status decides success.
#pragma once

#include "fetch_options.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ciutils::fetch {

// Fills buffer with up to size bytes of the body and returns how many; 0 at the end. May
// throw: the request is aborted and the exception propagates out of send_upload.
using BodyReader = std::function<std::size_t(char* buffer, std::size_t size)>;

struct UploadRequest {
  std::string method = "PUT";  // PUT, POST or DELETE
  std::string url;             // the http(s) URL sent to
  std::string what;            // names the request in messages, e.g. "PUT s3://b/k part 2"
  std::vector<std::string> headers;
  std::string aws_sigv4;  // CURLOPT_AWS_SIGV4 provider
  std::string userpwd;
  BodyReader body;                      // none: an empty body
  std::optional<std::uint64_t> length;  // nullopt with a body: Transfer-Encoding: chunked
  bool interruptible = true;            // false: runs to the end despite SIGINT (cleanup requests)
  std::optional<std::chrono::milliseconds> timeout;
};

struct UploadResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // the first 64 KiB
  std::optional<std::string> header(std::string_view name) const;
};

// One attempt. Throws TransferError "<what>: <curl error>" or "<what>: HTTP <status>"
// (retryable for transport errors and 408/425/429/5xx, with Retry-After), the body
// reader's exception, or the interruption error.
UploadResponse send_upload(const UploadRequest& request, const NetOptions& net);

// A BodyReader over bytes in memory (which must outlive it).
BodyReader memory_body(std::span<const char> data);

}  // namespace ciutils::fetch
