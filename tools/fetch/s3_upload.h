// Uploads to s3://bucket/key: one PutObject when the body fits (and is at most 5 GiB),
// else a multipart upload (CreateMultipartUpload, UploadPart per part, each signed with
// its own payload hash and retried on its own, CompleteMultipartUpload), aborted on any
// failure so that neither a half-written object nor orphan parts remain.
#pragma once

#include "download.h"
#include "fetch_options.h"
#include "multipart.h"
#include "upload.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
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

// Streams bytes to S3: feed() them in order, then finish(). Up to `parallel` parts go up
// at once, each on its own thread with its own retries, so at most parallel + 1 parts are
// held in memory. The first part that fails for good stops the others and is the error.
// A writer destroyed without finish() (an exception) aborts its upload; call abort()
// first to learn whether that worked.
class S3StreamWriter {
public:
  S3StreamWriter(S3Target target, std::uint64_t part_size, int parallel);
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
  void start_part(int number, std::span<const char> part);
  void upload_part(int number, std::span<const char> part);
  // Waits for the oldest part in flight; rethrows the first failure of any part.
  void wait_oldest();
  void create();

  S3Target m_target;
  PartSplitter m_splitter;
  std::string m_upload_id;
  int m_parallel;
  std::deque<std::future<void>> m_in_flight;
  std::mutex m_mutex;  // guards m_parts and m_first_error
  std::vector<CompletedPart> m_parts;
  std::exception_ptr m_first_error;
  std::atomic<bool> m_failed{false};  // a part failed for good: the others stop retrying
  bool m_finished = false;
};

}  // namespace ciutils::fetch
