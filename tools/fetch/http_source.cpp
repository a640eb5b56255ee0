#include "http_source.h"

#include "s3.h"
#include "signals.h"
#include "transport.h"

#include <ciutils/cli.h>
#include <ciutils/ca_bundle.h>
#include <ciutils/http.h>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ciutils::fetch {

namespace {

constexpr std::size_t k_high_water = 1 << 20;  // bytes buffered before the transfer pauses
constexpr std::size_t k_error_body = 512;

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool transport_retryable(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_LOGIN_DENIED:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_BAD_CONTENT_ENCODING:
      return false;
    default:
      return true;
  }
}

}  // namespace

HttpSource::HttpSource(HttpGet request) : m_request(std::move(request)) {}

HttpSource::~HttpSource() {
  if (m_multi) {
    if (m_easy) curl_multi_remove_handle(m_multi, m_easy.get());
    curl_multi_cleanup(m_multi);
  }
  m_easy.reset();
  curl_slist_free_all(m_headers);
}

std::optional<std::string> HttpSource::header(std::string_view name) const {
  for (const auto& [key, value] : m_response_headers)
    if (key == name) return value;
  return std::nullopt;
}

void HttpSource::start() {
  curl_global();
  if (!m_request.net || (m_request.net->cacert.empty() && !m_request.net->insecure)) {
    require_ca_certificates(m_request.url);
  }
  m_easy = make_curl_handle();
  CURL* easy = m_easy.get();
  curl_easy_setopt(easy, CURLOPT_URL, m_request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (m_request.aws_sigv4.empty()) {
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
  } else {
    // S3 keys are sent exactly as given ("a/../b" is a key, not a path to normalise), and
    // S3 redirects are never followed: they would carry the credentials to another host.
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
  }
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpSource::on_write);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpSource::on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, m_error);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_request.connect_timeout.count()));
  if (m_request.timeout) curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, std::max(1L, static_cast<long>(m_request.timeout->count())));
  if (m_request.net) {
    apply_transport(easy, *m_request.net);
    if (!m_request.net->headers.empty() && m_request.aws_sigv4.empty()) {
      m_manual_redirects = true;
      curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    }
  }
  set_headers(m_request.url);
  if (!m_request.aws_sigv4.empty()) curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, m_request.aws_sigv4.c_str());
  if (!m_request.userpwd.empty()) curl_easy_setopt(easy, CURLOPT_USERPWD, m_request.userpwd.c_str());
  m_multi = curl_multi_init();
  if (!m_multi) throw std::bad_alloc();
  curl_multi_add_handle(m_multi, easy);
  m_started = true;
  m_last_data = std::chrono::steady_clock::now();
}

void HttpSource::set_headers(const std::string& url) {
  std::vector<std::string> headers = m_request.headers;
  if (m_request.range_start > 0) {
    headers.push_back("Range: bytes=" + std::to_string(m_request.range_start) + "-");
    if (!m_request.if_range.empty()) headers.push_back("If-Range: " + m_request.if_range);
  }
  if (m_manual_redirects && same_origin(m_request.url, url))
    headers.insert(headers.end(), m_request.net->headers.begin(), m_request.net->headers.end());
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(m_easy.get(), CURLOPT_HTTPHEADER, list);
  curl_slist_free_all(m_headers);
  m_headers = list;
}

bool HttpSource::follow_redirect() {
  if (!m_manual_redirects || m_result != CURLE_OK || m_status < 300 || m_status >= 400 || m_status == 304) return false;
  char* location = nullptr;
  curl_easy_getinfo(m_easy.get(), CURLINFO_REDIRECT_URL, &location);
  if (!location) return false;
  std::string url = location;
  std::string what = "GET " + redact_url(m_request.display_url.empty() ? m_request.url : m_request.display_url);
  if (++m_redirects > 5) throw TransferError(what + ": Maximum (5) redirects followed", false);
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    throw TransferError(what + ": redirect to a URL that is not http or https", false);
  curl_multi_remove_handle(m_multi, m_easy.get());
  curl_easy_setopt(m_easy.get(), CURLOPT_URL, url.c_str());
  set_headers(url);
  m_done = false;
  m_first_write = true;
  m_status = 0;
  m_result = CURLE_OK;
  m_error_body.clear();
  m_response_headers.clear();
  m_error[0] = '\0';
  curl_multi_add_handle(m_multi, m_easy.get());
  return true;
}

std::size_t HttpSource::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto* source = static_cast<HttpSource*>(self);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    source->m_response_headers.clear();
    auto first = line.find(' ');
    auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    source->m_reason = second == std::string_view::npos ? "" : trim(line.substr(second + 1));
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    source->m_response_headers.emplace_back(name, trim(line.substr(colon + 1)));
  }
  return size * count;
}

std::size_t HttpSource::on_write(char* data, std::size_t size, std::size_t count, void* self) {
  return static_cast<HttpSource*>(self)->write(data, size * count);
}

std::size_t HttpSource::write(const char* data, std::size_t size) {
  if (m_first_write) {
    m_first_write = false;
    curl_easy_getinfo(m_easy.get(), CURLINFO_RESPONSE_CODE, &m_status);
    if (m_status >= 200 && m_status < 300) {
      auto length = header("content-length");
      std::uint64_t body = 0;
      bool has_body = false;
      if (length) {
        if (auto parsed = parse_u64(*length)) {
          body = *parsed;
          has_body = true;
        }
      }
      if (m_status == 206) {
        // "bytes START-END/TOTAL": continue only from exactly where we stopped.
        auto text = header("content-range").value_or("");
        auto range = parse_content_range(text);
        if (!range) {
          m_abort = "server answered the Range request with '" + text + "'";
          return 0;
        }
        m_start_offset = range->start;
        m_size = range->total;
      } else if (has_body) {
        m_size = body;
      }
      if (m_request.max_download > 0 && has_body && body > m_request.max_download) {
        m_abort = "download of " + std::to_string(body) + " bytes exceeds --max-download " +
                  std::to_string(m_request.max_download);
        m_abort_integrity = true;
        return 0;
      }
    }
  }
  if (m_status < 200 || m_status >= 300) {
    m_error_body.append(data, std::min(size, k_error_body - std::min(k_error_body, m_error_body.size())));
    return m_error_body.size() >= k_error_body ? 0 : size;
  }
  if (m_buffer.size() >= k_high_water) {
    m_paused = true;
    return CURL_WRITEFUNC_PAUSE;
  }
  if (m_request.max_download > 0 && m_received + size > m_request.max_download) {
    m_abort = "download exceeds --max-download " + std::to_string(m_request.max_download) + " bytes";
    m_abort_integrity = true;
    return 0;
  }
  m_received += size;
  m_last_data = std::chrono::steady_clock::now();
  m_buffer.insert(m_buffer.end(), data, data + size);
  return size;
}

void HttpSource::fail_transfer(int code) {
  std::string what = "GET " + redact_url(m_request.display_url.empty() ? m_request.url : m_request.display_url);
  if (m_abort && m_abort_integrity) throw IntegrityError(*m_abort);
  if (code != CURLE_OK && code != CURLE_WRITE_ERROR) {
    std::string detail = m_error[0] ? std::string(m_error) : curl_easy_strerror(static_cast<CURLcode>(code));
    throw TransferError(what + ": " + detail, transport_retryable(static_cast<CURLcode>(code)));
  }
  if (m_status >= 300 && !(m_status == 304 && m_request.allow_not_modified)) {
    std::optional<std::chrono::milliseconds> retry_after;
    if (auto value = header("retry-after")) retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
    std::string message = what + ": HTTP " + std::to_string(m_status);
    if (!m_reason.empty()) message += " " + m_reason;
    if (!m_request.aws_sigv4.empty() && m_status >= 300 && m_status < 400)
      throw TransferError(what + ": " + s3_redirect_text(m_status, header("x-amz-bucket-region")), false);
    throw TransferError(message, retryable_status(m_status), m_status, retry_after);
  }
  if (m_abort) throw TransferError(what + ": " + *m_abort, true);
  std::string detail = m_error[0] ? std::string(m_error) : curl_easy_strerror(static_cast<CURLcode>(code));
  throw TransferError(what + ": " + detail, transport_retryable(static_cast<CURLcode>(code)));
}

std::span<const char> HttpSource::read() {
  if (!m_started) start();
  m_current.clear();
  std::swap(m_current, m_buffer);
  if (m_paused) {
    m_paused = false;
    m_last_data = std::chrono::steady_clock::now();
    curl_easy_pause(m_easy.get(), CURLPAUSE_CONT);
  }
  while (m_current.empty()) {
    if (!m_buffer.empty()) {
      std::swap(m_current, m_buffer);
      break;
    }
    if (m_done && follow_redirect()) continue;
    if (m_done) {
      if (m_result != CURLE_OK || (m_status >= 300 && !(m_status == 304 && m_request.allow_not_modified)))
        fail_transfer(m_result);
      if (m_status == 0) curl_easy_getinfo(m_easy.get(), CURLINFO_RESPONSE_CODE, &m_status);
      if (m_status >= 300 && !(m_status == 304 && m_request.allow_not_modified)) fail_transfer(m_result);
      return {};
    }
    int running = 0;
    curl_multi_perform(m_multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) {
        m_done = true;
        m_result = msg->data.result;
        curl_easy_getinfo(m_easy.get(), CURLINFO_RESPONSE_CODE, &m_status);
      }
    }
    if (!m_buffer.empty() || m_done) continue;
    if (m_paused) {
      m_paused = false;
      m_last_data = std::chrono::steady_clock::now();
      curl_easy_pause(m_easy.get(), CURLPAUSE_CONT);
      continue;
    }
    curl_multi_poll(m_multi, nullptr, 0, 100, nullptr);
    throw_if_interrupted();
    if (m_cancelled)
      throw TransferError("GET " + redact_url(m_request.display_url.empty() ? m_request.url : m_request.display_url) +
                              ": cancelled",
                          false);
    if (std::chrono::steady_clock::now() - m_last_data > m_request.stall_timeout)
      throw TransferError("GET " + redact_url(m_request.display_url.empty() ? m_request.url : m_request.display_url) +
                              ": stalled: nothing received for " + format_duration(m_request.stall_timeout) +
                              " (--stall-timeout)",
                          true);
  }
  return {m_current.data(), m_current.size()};
}

}  // namespace ciutils::fetch
