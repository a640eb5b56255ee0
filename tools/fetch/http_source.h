// An HTTP(S) GET driven by curl_multi from the consumer's reads: no threads, and at most
// a bounded amount of data buffered (the transfer is paused while the consumer is behind).
#pragma once

#include "byte_source.h"
#include "fetch_options.h"

#include <ciutils/http.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

typedef void CURLM;
struct curl_slist;

namespace ciutils::fetch {

struct HttpGet {
  std::string url;
  std::string display_url;  // named in messages instead of url (e.g. the s3:// form)
  std::vector<std::string> headers;
  std::string aws_sigv4;  // CURLOPT_AWS_SIGV4 provider
  std::string userpwd;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};
  std::optional<std::chrono::milliseconds> timeout;  // whole transfer (from --deadline)
  std::uint64_t range_start = 0;                     // Range: bytes=N- when > 0
  std::string if_range;                              // validator sent with Range
  std::uint64_t max_download = 0;                    // 0: unlimited
  bool allow_not_modified = false;                   // 304 is an answer, not an error
  const NetOptions* net = nullptr;                   // TLS, proxy, --header (outlives the source)
};

class HttpSource : public ByteSource {
public:
  explicit HttpSource(HttpGet request);
  ~HttpSource() override;
  std::span<const char> read() override;
  std::optional<std::uint64_t> size() const override { return m_size; }
  // Where a 206's Content-Range starts (which the caller compares with what it asked for).
  std::uint64_t start_offset() const override { return m_start_offset; }
  void cancel() override { m_cancelled = true; }

  long status() const { return m_status; }
  // Response header (name lower-case) of the final response.
  std::optional<std::string> header(std::string_view name) const;
  bool not_modified() const { return m_status == 304; }

private:
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  std::size_t write(const char* data, std::size_t size);
  void start();
  // The header list for a request to url: --header values only for the original host.
  void set_headers(const std::string& url);
  // Redirects are followed here rather than by libcurl when --header values must stay
  // with the original host; true when the transfer was restarted at the new location.
  bool follow_redirect();
  [[noreturn]] void fail_transfer(int code);

  HttpGet m_request;
  CurlHandle m_easy;
  CURLM* m_multi = nullptr;
  curl_slist* m_headers = nullptr;
  bool m_started = false;
  bool m_manual_redirects = false;
  int m_redirects = 0;
  bool m_done = false;
  bool m_paused = false;
  bool m_first_write = true;
  int m_result = 0;
  long m_status = 0;
  std::string m_reason;
  std::string m_error_body;
  std::optional<std::string> m_abort;  // why the write callback stopped the transfer
  bool m_abort_integrity = false;
  std::optional<std::uint64_t> m_size;
  std::uint64_t m_start_offset = 0;
  std::uint64_t m_received = 0;
  std::vector<std::pair<std::string, std::string>> m_response_headers;
  std::chrono::steady_clock::time_point m_last_data;  // for --stall-timeout
  std::vector<char> m_buffer;
  std::vector<char> m_current;
  char m_error[256] = {};
  std::atomic<bool> m_cancelled{false};
};

}  // namespace ciutils::fetch
