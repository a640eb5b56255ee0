// HTTP over libcurl for the tools that talk to web services (fetch, notify, report):
// one request with timeouts, retries with backoff + jitter honouring Retry-After,
// and redaction of credentials in every message.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

typedef void CURL;

namespace ciutils {

// curl_global_init once per process (thread-safe); call before any easy handle.
void curl_global();

struct CurlFree {
  void operator()(CURL* handle) const;
};
using CurlHandle = std::unique_ptr<CURL, CurlFree>;
// A new easy handle with the project's defaults: TLS verified, redirects limited to
// http/https (at most 5), connect timeout, no signals, a User-Agent.
CurlHandle make_curl_handle();

struct HttpRequest {
  std::string method = "GET";
  std::string url{};
  std::vector<std::string> headers{};  // "Name: value"
  std::string body{};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // whole request
  std::string aws_sigv4{};  // CURLOPT_AWS_SIGV4 provider string, e.g. "aws:amz:us-east-1:s3"
  std::string userpwd{};    // "user:password" for AWS keys or basic auth
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::optional<std::string> header(std::string_view name) const;
};

struct RetryPolicy {
  int retries = 3;  // extra attempts after the first
  std::chrono::milliseconds base_delay{std::chrono::milliseconds(500)};
  std::chrono::milliseconds max_delay{std::chrono::seconds(30)};
};

// One attempt. Transport failures throw ServiceError "<METHOD> <redacted url>: <curl error>".
HttpResponse http_send(const HttpRequest& request);

// Retries transport failures, 429 and 5xx with exponential backoff and full jitter,
// waiting Retry-After instead when the server sent one (capped at max_delay). Returns the
// last response (the caller judges its status); throws ServiceError when the last attempt
// failed in transport. `on_retry` (optional) hears each wait before it happens.
HttpResponse http_send_with_retry(
    const HttpRequest& request, const RetryPolicy& policy,
    const std::function<void(int attempt, std::chrono::milliseconds wait, std::string_view why)>&
        on_retry = {});

// Whether a status is worth retrying (408, 425, 429, 5xx).
bool retryable_status(long status);

// Delay before retry number `attempt` (1-based): full jitter in [0, min(max, base*2^(attempt-1))].
std::chrono::milliseconds backoff_delay(int attempt, const RetryPolicy& policy);

// Retry-After as seconds ("120") or an HTTP date, relative to now; nullopt when unparsable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// A 206's Content-Range, "bytes START-END/TOTAL" or "bytes START-END/*" (RFC 9110 14.4):
// nullopt unless the unit is bytes, START <= END, and END < TOTAL when TOTAL is given.
struct ContentRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;                // inclusive
  std::optional<std::uint64_t> total;  // nullopt for "*"
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// The URL with userinfo password and secret-looking query values (token, key, signature,
// password, secret, X-Amz-Signature, X-Amz-Credential, …) replaced by "***".
std::string redact_url(std::string_view url);

}  // namespace ciutils
