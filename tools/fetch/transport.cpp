#include "transport.h"

#include <curl/curl.h>

#include <memory>

namespace ciutils::fetch {

namespace {

struct UrlFree {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

// "scheme://host:port" of a URL (default ports filled in), or "" when it does not parse.
std::string origin(const std::string& text) {
  std::unique_ptr<CURLU, UrlFree> url(curl_url());
  if (!url || curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return "";
  std::string out;
  for (CURLUPart part : {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT}) {
    char* value = nullptr;
    if (curl_url_get(url.get(), part, &value, CURLU_DEFAULT_PORT) != CURLUE_OK) return "";
    out += value;
    out += '|';
    curl_free(value);
  }
  return out;
}

}  // namespace

void apply_transport(CURL* easy, const NetOptions& net) {
  curl_easy_setopt(easy, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
  if (!net.cacert.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, net.cacert.c_str());
  if (!net.client_cert.empty()) curl_easy_setopt(easy, CURLOPT_SSLCERT, net.client_cert.c_str());
  if (!net.client_key.empty()) curl_easy_setopt(easy, CURLOPT_SSLKEY, net.client_key.c_str());
  if (!net.proxy.empty()) curl_easy_setopt(easy, CURLOPT_PROXY, net.proxy.c_str());
  if (net.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

bool same_origin(const std::string& a, const std::string& b) {
  std::string left = origin(a);
  return !left.empty() && left == origin(b);
}

}  // namespace ciutils::fetch
