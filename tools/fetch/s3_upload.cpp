#include "s3_upload.h"

#include "byte_source.h"
#include "s3.h"
#include "ciutils/sha256.h"

#include <ciutils/error.h>
#include <ciutils/http.h>

#include <algorithm>
#include <memory>
#include <thread>

namespace ciutils::fetch {

namespace {

const std::string k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A signed request for the object, with `query` (already in SigV4 canonical form: sorted,
// encoded, "name=value") appended to its URL.
UploadRequest s3_upload_request(const S3Target& target, const std::string& method, const std::string& query,
                                const std::string& payload_sha256, const std::string& what) {
  S3Request s3 = s3_request(target.url, payload_sha256, target.net.s3);
  UploadRequest request;
  request.method = method;
  request.url = s3.url + (query.empty() ? "" : "?" + query);
  request.what = what;
  request.headers = s3.headers;
  request.aws_sigv4 = s3.sigv4;
  request.userpwd = s3.userpwd;
  return request;
}

}  // namespace

UploadResponse s3_put_object(const S3Target& target, const std::function<BodyReader()>& body, std::uint64_t length,
                             const std::string& sha256) {
  UploadResponse response;
  with_retries(target.net, target.started, target.notice, [&](int) {
    UploadRequest request = s3_upload_request(target, "PUT", "", sha256, "PUT " + redact_url(target.url));
    request.headers.push_back("Content-Type: " + target.content_type);
    request.body = body();
    request.length = length;
    request.timeout = remaining_time(target.net, target.started);
    response = send_upload(request, target.net);
  });
  return response;
}

S3StreamWriter::S3StreamWriter(S3Target target, std::uint64_t part_size, int parallel)
    : m_target(std::move(target)),
      m_splitter(static_cast<std::size_t>(part_size),
                 [this](int number, std::span<const char> part) { start_part(number, part); }),
      m_parallel(std::max(1, parallel)) {}

S3StreamWriter::~S3StreamWriter() { abort(); }

void S3StreamWriter::feed(std::span<const char> data) { m_splitter.feed(data); }

void S3StreamWriter::create() {
  with_retries(m_target.net, m_target.started, m_target.notice, [&](int) {
    UploadRequest request = s3_upload_request(m_target, "POST", "uploads=", k_empty_sha256,
                                              "POST " + redact_url(m_target.url) + " (CreateMultipartUpload)");
    request.headers.push_back("Content-Type: " + m_target.content_type);
    request.timeout = remaining_time(m_target.net, m_target.started);
    UploadResponse response = send_upload(request, m_target.net);
    auto id = xml_element(response.body, "UploadId");
    if (!id || id->empty())
      throw TransferError(request.what + ": the answer has no UploadId", false);
    m_upload_id = *id;
  });
}

void S3StreamWriter::start_part(int number, std::span<const char> part) {
  if (number > k_max_parts)
    throw UsageError("--part-size: the upload needs more than " + std::to_string(k_max_parts) +
                     " parts; use a larger --part-size");
  if (m_upload_id.empty()) create();
  if (m_parallel == 1) {
    upload_part(number, part);
    return;
  }
  while (m_in_flight.size() >= static_cast<std::size_t>(m_parallel)) wait_oldest();
  auto bytes = std::make_shared<std::vector<char>>(part.begin(), part.end());
  m_in_flight.push_back(std::async(std::launch::async, [this, number, bytes] {
    try {
      upload_part(number, *bytes);
    } catch (...) {
      std::lock_guard lock(m_mutex);
      if (!m_first_error) m_first_error = std::current_exception();
      m_failed = true;
      throw;
    }
  }));
}

void S3StreamWriter::wait_oldest() {
  std::future<void> oldest = std::move(m_in_flight.front());
  m_in_flight.pop_front();
  try {
    oldest.get();
  } catch (...) {
    std::lock_guard lock(m_mutex);
    std::rethrow_exception(m_first_error ? m_first_error : std::current_exception());
  }
}

void S3StreamWriter::upload_part(int number, std::span<const char> part) {
  std::string sha256 = sha256_hex(std::string_view(part.data(), part.size()));
  std::string what = "PUT " + redact_url(m_target.url) + " part " + std::to_string(number);
  with_retries(m_target.net, m_target.started, m_target.notice, [&](int) {
    if (m_failed) throw TransferError(what + ": cancelled, another part failed", false);
    UploadRequest request =
        s3_upload_request(m_target, "PUT",
                          "partNumber=" + std::to_string(number) + "&uploadId=" + encode_s3_query_value(m_upload_id),
                          sha256, what);
    request.body = memory_body(part);
    request.length = part.size();
    request.timeout = remaining_time(m_target.net, m_target.started);
    UploadResponse response = send_upload(request, m_target.net);
    auto etag = response.header("etag");
    if (!etag || etag->empty()) throw TransferError(what + ": the answer has no ETag", false);
    std::lock_guard lock(m_mutex);
    m_parts.push_back({number, *etag});
  });
}

long S3StreamWriter::finish() {
  std::span<const char> rest = m_splitter.rest();
  if (m_splitter.parts() == 0) {
    std::string sha256 = sha256_hex(std::string_view(rest.data(), rest.size()));
    UploadResponse response = s3_put_object(m_target, [rest] { return memory_body(rest); }, rest.size(), sha256);
    m_finished = true;
    return response.status;
  }
  if (!rest.empty()) start_part(m_splitter.parts() + 1, rest);
  while (!m_in_flight.empty()) wait_oldest();
  std::sort(m_parts.begin(), m_parts.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  std::string xml = complete_multipart_xml(m_parts);
  std::string sha256 = sha256_hex(xml);
  long status = 0;
  with_retries(m_target.net, m_target.started, m_target.notice, [&](int) {
    UploadRequest request =
        s3_upload_request(m_target, "POST", "uploadId=" + encode_s3_query_value(m_upload_id), sha256,
                          "POST " + redact_url(m_target.url) + " (CompleteMultipartUpload)");
    request.headers.emplace_back("Content-Type: application/xml");
    request.body = memory_body(xml);
    request.length = xml.size();
    request.timeout = remaining_time(m_target.net, m_target.started);
    UploadResponse response = send_upload(request, m_target.net);
    // S3 may answer 200 and report the failure in the body.
    if (auto code = xml_element(response.body, "Code"); code && response.body.find("<Error>") != std::string::npos)
      throw TransferError(request.what + ": " + *code, code == "InternalError" || code == "SlowDown");
    status = response.status;
  });
  m_finished = true;
  return status;
}

std::string S3StreamWriter::abort() {
  m_failed = true;
  for (auto& part : m_in_flight) part.wait();  // S3 may keep a part that lands after the abort
  m_in_flight.clear();
  if (m_finished || m_upload_id.empty()) return "";
  m_finished = true;
  std::string what = "DELETE " + redact_url(m_target.url) + " (AbortMultipartUpload)";
  for (int attempt = 0;; ++attempt) {
    try {
      UploadRequest request =
          s3_upload_request(m_target, "DELETE", "uploadId=" + encode_s3_query_value(m_upload_id), k_empty_sha256, what);
      request.interruptible = false;
      request.timeout = std::chrono::seconds(30);
      send_upload(request, m_target.net);
      return "";
    } catch (const TransferError& e) {
      if (e.status() == 404) return "";  // already gone
      if (!e.retryable() || attempt >= 2) return e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(500 * (attempt + 1)));
    } catch (const std::exception& e) {
      return e.what();
    }
  }
}

}  // namespace ciutils::fetch
