#include "upload.h"

#include "byte_source.h"
#include "s3.h"
#include "transport.h"
#include "signals.h"

#include <ciutils/ca_bundle.h>
#include <ciutils/http.h>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>
#include <memory>

namespace ciutils::fetch {

namespace {

constexpr std::size_t k_max_response_body = 64 * 1024;

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Transfer {
  const UploadRequest* request;
  std::exception_ptr body_error;
  UploadResponse response;
};

// libcurl is C: the reader's exception is parked here and the transfer aborted.
std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* context) {
  auto* transfer = static_cast<Transfer*>(context);
  try {
    if (!transfer->request->body) return 0;
    return transfer->request->body(buffer, size * count);
  } catch (...) {
    transfer->body_error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return pending_signal() != 0 ? 1 : 0; }

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
  auto* response = &static_cast<Transfer*>(context)->response;
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (after 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    response->headers.emplace_back(name, trim(line.substr(colon + 1)));
  }
  return size * count;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* context) {
  auto* response = &static_cast<Transfer*>(context)->response;
  std::size_t room = k_max_response_body - std::min(k_max_response_body, response->body.size());
  response->body.append(data, std::min(room, size * count));
  return size * count;
}

}  // namespace

std::optional<std::string> UploadResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return std::nullopt;
}

BodyReader memory_body(std::span<const char> data) {
  return [data, offset = std::size_t{0}](char* buffer, std::size_t size) mutable {
    std::size_t n = std::min(size, data.size() - offset);
    std::memcpy(buffer, data.data() + offset, n);
    offset += n;
    return n;
  };
}

UploadResponse send_upload(const UploadRequest& r, const NetOptions& net) {
  curl_global();
  CurlHandle easy = make_curl_handle();
  CURL* h = easy.get();
  Transfer transfer{&r, nullptr, {}};
  std::vector<std::string> headers = r.headers;
  headers.emplace_back("Expect:");
  bool custom = !net.headers.empty() && r.aws_sigv4.empty();
  if (custom) headers.insert(headers.end(), net.headers.begin(), net.headers.end());
  std::unique_ptr<curl_slist, SlistFree> list;
  for (const auto& header : headers) list.reset(curl_slist_append(list.release(), header.c_str()));
  char error[CURL_ERROR_SIZE] = {};
  if (net.cacert.empty() && !net.insecure) require_ca_certificates(r.url);
  curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  apply_transport(h, net);
  if (custom) curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // --header values stay with this host
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (r.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  } else if (r.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  if (r.method == "PUT" || r.method == "POST") {
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
    std::optional<std::uint64_t> length = r.body ? r.length : std::optional<std::uint64_t>(0);
    if (length) {
      if (r.method == "PUT") curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(*length));
      else curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(*length));
    } else {
      list.reset(curl_slist_append(list.release(), "Transfer-Encoding: chunked"));
    }
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (r.interruptible) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  }
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(net.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(net.stall_timeout.count() / 1000)));
  if (r.timeout) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, std::max(1L, static_cast<long>(r.timeout->count())));
  if (!r.aws_sigv4.empty()) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, r.aws_sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);      // S3 keys are sent exactly as given
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // and redirects not followed (credentials)
  }
  if (!r.userpwd.empty()) curl_easy_setopt(h, CURLOPT_USERPWD, r.userpwd.c_str());

  CURLcode code = curl_easy_perform(h);
  if (transfer.body_error) std::rethrow_exception(transfer.body_error);
  if (r.interruptible) throw_if_interrupted();
  if (code != CURLE_OK)
    throw TransferError(r.what + ": " + (error[0] ? std::string(error) : curl_easy_strerror(code)), true);
  UploadResponse response = std::move(transfer.response);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status < 200 || response.status >= 300) {
    std::optional<std::chrono::milliseconds> retry_after;
    if (auto value = response.header("retry-after"))
      retry_after = parse_retry_after(*value, std::chrono::system_clock::now());
    if (!r.aws_sigv4.empty() && response.status >= 300 && response.status < 400)
      throw TransferError(r.what + ": " + s3_redirect_text(response.status, response.header("x-amz-bucket-region")),
                          false);
    throw TransferError(r.what + ": HTTP " + std::to_string(response.status), retryable_status(response.status),
                        response.status, retry_after);
  }
  return response;
}

}  // namespace ciutils::fetch
