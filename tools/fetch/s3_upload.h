// Uploads to s3://bucket/key: one PutObject when the body fits (and is at most 5 GiB),
// else a multipart upload (CreateMultipartUpload, UploadPart per part, each signed with
// its own payload hash and retried on its own, CompleteMultipartUpload), aborted on any
// failure so that neither a half-written object nor orphan parts remain.
#pragma once

#include "download.h"
#include "fetch_options.h"
#include "multipart.h"
#include "upload.h"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ciutils::fetch {

struct S3Target {
  std::string url;           // s3://bucket/key
  std::string content_type;
  NetOptions net;
  std::chrono::steady_clock::time_point started;
  RetryNotice notice;
};

// One PutObject of a body of known length and SHA-256, retried; the final response.
UploadResponse s3_put_object(const S3Target& target, const std::function<BodyReader()>& body, std::uint64_t length,
                             const std::string& sha256);

// Streams bytes to S3: feed() them in order, then finish(). Holds at most one part in
// memory. A writer destroyed without finish() (an exception) aborts its upload; call
// abort() first to learn whether that worked.
class S3StreamWriter {
public:
  S3StreamWriter(S3Target target, std::uint64_t part_size);
  ~S3StreamWriter();
  S3StreamWriter(const S3StreamWriter&) = delete;
  S3StreamWriter& operator=(const S3StreamWriter&) = delete;

  void feed(std::span<const char> data);
  // Sends what is left: a single PutObject when no part was full, else the last part and
  // CompleteMultipartUpload. Returns the final response's status.
  long finish();
  // Aborts the multipart upload if one is open; "" when that worked (or none was open),
  // else why not. Never throws and ignores signals.
  std::string abort();

  int parts_sent() const { return static_cast<int>(m_parts.size()); }

private:
  void upload_part(int number, std::span<const char> part);
  void create();

  S3Target m_target;
  PartSplitter m_splitter;
  std::string m_upload_id;
  std::vector<CompletedPart> m_parts;
  bool m_finished = false;
};

}  // namespace ciutils::fetch
