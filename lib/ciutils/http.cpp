#include "ciutils/http.h"

#include "ciutils/ca_bundle.h"
#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/version.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

namespace ciutils {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// One header line at a time; a status line starts a new block (redirects, 100 Continue),
// so the response keeps the headers of the final block only.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

void set(CURL* curl, CURLoption option, long value) { curl_easy_setopt(curl, option, value); }
void set(CURL* curl, CURLoption option, const char* value) { curl_easy_setopt(curl, option, value); }

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  for (const auto& h : headers) {
    auto colon = h.find(':');
    std::string_view n = colon == std::string::npos ? std::string_view(h) : std::string_view(h).substr(0, colon);
    if (lower(trim(n)) == name) return true;
  }
  return false;
}

// Transport failures that another attempt may cure.
bool retryable_transport(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

class TransportError : public ServiceError {
public:
  TransportError(const std::string& message, CURLcode code) : ServiceError(message), m_code(code) {}
  CURLcode code() const { return m_code; }

private:
  CURLcode m_code;
};

}  // namespace

void curl_global() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) throw std::runtime_error(std::string("curl_global_init: ") + curl_easy_strerror(result));
}

void CurlFree::operator()(CURL* handle) const { curl_easy_cleanup(handle); }

CurlHandle make_curl_handle() {
  curl_global();
  CurlHandle handle(curl_easy_init());
  if (!handle) throw std::runtime_error("curl_easy_init failed");
  CURL* curl = handle.get();
  set(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  set(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(curl, CURLOPT_FOLLOWLOCATION, 1L);
  set(curl, CURLOPT_MAXREDIRS, 5L);
  set(curl, CURLOPT_NOSIGNAL, 1L);
  set(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  set(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  set(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (auto bundle = ca_bundle()) set(curl, CURLOPT_CAINFO, bundle->c_str());
  if (auto directory = env_value("SSL_CERT_DIR")) set(curl, CURLOPT_CAPATH, directory->c_str());
  set(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  const std::string agent = std::string("ciutils/") + k_version;
  set(curl, CURLOPT_USERAGENT, agent.c_str());  // curl copies option strings
  return handle;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return std::nullopt;
}

namespace {

HttpResponse send_once(const HttpRequest& request) {
  // Declared before the handle: curl may use them until the handle is cleaned up.
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};
  Slist headers;
  CurlHandle handle = make_curl_handle();
  CURL* curl = handle.get();

  require_ca_certificates(request.url);
  set(curl, CURLOPT_URL, request.url.c_str());
  set(curl, CURLOPT_ERRORBUFFER, error);
  if (request.method == "GET") {
    set(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    set(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    set(curl, CURLOPT_POST, 1L);  // not CUSTOMREQUEST: a 303 after a POST must become a GET
  } else {
    set(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(curl, CURLOPT_POSTFIELDS, request.body.c_str());
  }

  auto add_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw std::bad_alloc();
    headers.release();
    headers.reset(next);
  };
  for (const auto& h : request.headers) add_header(h);
  // No "Expect: 100-continue" round trip (a 1 s stall with servers that ignore it).
  if (!has_header(request.headers, "expect")) add_header("Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  set(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  set(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  if (!request.aws_sigv4.empty()) set(curl, CURLOPT_AWS_SIGV4, request.aws_sigv4.c_str());
  if (!request.userpwd.empty()) set(curl, CURLOPT_USERPWD, request.userpwd.c_str());

  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    std::string detail = error[0] ? std::string(error) : std::string(curl_easy_strerror(code));
    throw TransportError(request.method + " " + redact_url(request.url) + ": " + detail, code);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace

HttpResponse http_send(const HttpRequest& request) { return send_once(request); }

bool retryable_status(long status) {
  return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

std::chrono::milliseconds backoff_delay(int attempt, const RetryPolicy& policy) {
  using std::chrono::milliseconds;
  long long cap = std::max<long long>(0, policy.base_delay.count());
  const long long max = std::max<long long>(0, policy.max_delay.count());
  for (int i = 1; i < attempt && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }()};
  std::uniform_int_distribution<long long> pick(0, cap);
  return milliseconds(pick(engine));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (value.size() > 9) return std::nullopt;  // beyond any sensible wait
    return duration_cast<milliseconds>(seconds(std::stoll(std::string(value))));
  }
  const std::string text(value);
  time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  // In seconds first: a date centuries away does not fit the clock's nanoseconds (found by
  // fuzz/http_headers). Capped as the seconds form is (9 digits); callers cap it further.
  const long long delta_s = static_cast<long long>(when) - static_cast<long long>(system_clock::to_time_t(now));
  return duration_cast<milliseconds>(seconds(std::clamp(delta_s, 0LL, 999'999'999LL)));
}

namespace {

// Digits only (no sign, no space), at most 19 of them so that the value fits.
std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim(value);
  constexpr std::string_view k_unit = "bytes ";
  if (value.size() < k_unit.size() || lower(value.substr(0, k_unit.size())) != k_unit) return std::nullopt;
  value.remove_prefix(k_unit.size());
  auto dash = value.find('-');
  auto slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return std::nullopt;
  auto start = decimal(value.substr(0, dash));
  auto end = decimal(value.substr(dash + 1, slash - dash - 1));
  if (!start || !end || *start > *end) return std::nullopt;
  ContentRange range{*start, *end, std::nullopt};
  auto total = value.substr(slash + 1);
  if (total != "*") {
    range.total = decimal(total);
    if (!range.total || *end >= *range.total) return std::nullopt;
  }
  return range;
}

HttpResponse http_send_with_retry(
    const HttpRequest& request, const RetryPolicy& policy,
    const std::function<void(int attempt, std::chrono::milliseconds wait, std::string_view why)>& on_retry) {
  using std::chrono::milliseconds;
  for (int attempt = 1;; ++attempt) {
    const bool last = attempt > policy.retries;
    milliseconds wait{0};
    std::string why;
    try {
      HttpResponse response = send_once(request);
      if (last || !retryable_status(response.status)) return response;
      why = "HTTP " + std::to_string(response.status);
      auto retry_after = response.header("retry-after");
      auto parsed = retry_after ? parse_retry_after(*retry_after, std::chrono::system_clock::now())
                                : std::nullopt;
      wait = parsed ? std::min(*parsed, policy.max_delay) : backoff_delay(attempt, policy);
    } catch (const TransportError& e) {
      if (last || !retryable_transport(e.code())) throw;
      why = e.what();
      wait = backoff_delay(attempt, policy);
    }
    if (on_retry) on_retry(attempt, wait, why);
    std::this_thread::sleep_for(wait);
  }
}

namespace {

bool secret_parameter(std::string_view name) {
  const std::string key = lower(name);
  static constexpr std::array<std::string_view, 6> k_exact = {"sig", "sv", "se", "code", "auth", "pass"};
  static constexpr std::array<std::string_view, 9> k_parts = {
      "token", "key", "signature", "password", "passwd", "secret", "credential", "session", "authorization"};
  for (auto exact : k_exact) {
    if (key == exact) return exact != "sv" && exact != "se";  // SAS version/expiry are not secret
  }
  for (auto part : k_parts) {
    if (key.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string redact_query(std::string_view query) {
  std::string out;
  while (true) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && secret_parameter(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out += "***";
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  std::string_view rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    out.append(rest.substr(0, scheme + 3));
    rest.remove_prefix(scheme + 3);
    auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
      std::string_view userinfo = authority.substr(0, at);
      if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
        out.append(userinfo.substr(0, colon + 1));
        out += "***";
      } else {
        out.append(userinfo);
      }
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    rest.remove_prefix(authority.size());
  }
  auto question = rest.find('?');
  if (question == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, question + 1));
  rest.remove_prefix(question + 1);
  auto hash = rest.find('#');
  out += redact_query(rest.substr(0, hash));
  if (hash != std::string_view::npos) out.append(rest.substr(hash));
  return out;
}

}  // namespace ciutils
