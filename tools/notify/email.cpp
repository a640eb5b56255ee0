#include "email.h"

#include <ciutils/cli.h>
#include <ciutils/ca_bundle.h>
#include <ciutils/error.h>
#include <ciutils/html_escape.h>
#include <ciutils/http.h>

#include <curl/curl.h>

#include <cstring>
#include <memory>

namespace ciutils::notify {

namespace {

// base64 wrapped at 76 columns with CRLF, as MIME bodies require.
std::string base64_body(std::string_view data) {
  auto encoded = base64(data);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

std::string status_line(const Alert& alert) {
  switch (alert.event) {
    case Event::trigger: return "FAILED";
    case Event::remind: return "STILL FAILING";
    case Event::recover: return "RECOVERED";
    case Event::message: return "";
  }
  return "";
}

std::string text_part(const Alert& alert) {
  std::string t = alert.title + "\n\n";
  if (!alert.message.empty()) t += alert.message + "\n\n";
  if (!alert.failed.empty() && alert.event != Event::recover) {
    t += "Failed tests: " + std::to_string(alert.failed.size());
    if (alert.total) t += " of " + std::to_string(alert.total);
    t += "\n" + failed_summary(alert, 100000, "- ") + "\n\n";
  }
  if (!alert.key.empty()) t += "Key: " + alert.key + "\n";
  if (!alert.source.empty()) t += "Source: " + alert.source + "\n";
  if (!alert.time.empty()) t += "Time: " + alert.time + "\n";
  for (const auto& l : alert.links) t += (l.text.empty() ? "Link" : l.text) + ": " + l.href + "\n";
  return t;
}

std::string html_part(const Alert& alert) {
  std::string colour = alert.event == Event::recover ? "#2EB67D"
                       : alert.event == Event::message ? "#439FE0"
                                                       : "#E01E5A";
  std::string h = "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n";
  h += "<h2 style=\"border-left:6px solid " + colour + ";padding-left:8px\">" + html_escape(alert.title) + "</h2>\n";
  if (!alert.message.empty()) h += "<pre>" + html_escape(alert.message) + "</pre>\n";
  if (!alert.failed.empty() && alert.event != Event::recover) {
    h += "<h3>Failed tests: " + std::to_string(alert.failed.size());
    if (alert.total) h += " of " + std::to_string(alert.total);
    h += "</h3>\n<ul>\n";
    std::size_t shown = 0;
    for (const auto& f : alert.failed) {
      if (++shown > 500) {
        h += "<li>… and " + std::to_string(alert.failed.size() - 500) + " more</li>\n";
        break;
      }
      h += "<li><b>" + html_escape(f.name) + "</b>";
      if (f.status != "failed") h += " (" + html_escape(f.status) + ")";
      if (!f.message.empty()) h += ": " + html_escape(truncate_utf8(f.message, 1000));
      h += "</li>\n";
    }
    h += "</ul>\n";
  }
  h += "<p style=\"color:#666\">";
  if (!alert.key.empty()) h += "Key: <code>" + html_escape(alert.key) + "</code><br>\n";
  if (!alert.source.empty()) h += "Source: " + html_escape(alert.source) + "<br>\n";
  if (!alert.time.empty()) h += "Time: " + html_escape(alert.time) + "<br>\n";
  for (const auto& l : alert.links)
    h += "<a href=\"" + html_escape(l.href) + "\">" + html_escape(l.text.empty() ? l.href : l.text) + "</a><br>\n";
  h += "</p>\n</body></html>\n";
  return h;
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* userdata) {
  auto* up = static_cast<Upload*>(userdata);
  std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

}  // namespace

std::string base64(std::string_view data) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += k_alphabet[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? k_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string header_value(std::string_view text) {
  std::string clean;
  bool ascii = true;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) clean += ' ';
    else clean += c;
    if (u >= 0x80) ascii = false;
  }
  if (ascii) return clean;
  // RFC 2047: encoded-words of at most 75 characters, never splitting a UTF-8 sequence.
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    std::size_t end = std::min(clean.size(), i + 45);
    while (end < clean.size() && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
    out += (out.empty() ? "" : "\r\n ") + ("=?UTF-8?B?" + base64(clean.substr(i, end - i)) + "?=");
    i = end;
  }
  return out;
}

std::string checked_address(std::string_view address, std::string_view where) {
  bool ok = address.find('@') != std::string_view::npos && !address.empty();
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') ok = false;
  }
  if (!ok) throw UsageError(std::string(where) + ": '" + header_value(address) + "' is not an email address");
  return std::string(address);
}

EmailMessage build_email(const Destination& dest, const Alert& alert, std::string_view date,
                         std::string_view boundary, std::string_view message_id) {
  EmailMessage m;
  m.url = dest.url;
  m.from = checked_address(dest.param("from"), dest.name + ": from");
  std::string to_list = dest.param("to");
  std::size_t start = 0;
  while (start <= to_list.size()) {
    auto comma = to_list.find(',', start);
    if (comma == std::string::npos) comma = to_list.size();
    if (comma > start) m.to.push_back(checked_address(to_list.substr(start, comma - start), dest.name + ": to"));
    start = comma + 1;
  }
  std::string to_header;
  for (const auto& t : m.to) to_header += (to_header.empty() ? "" : ", ") + t;
  std::string status = status_line(alert);
  std::string subject = status.empty() ? alert.title : "[" + status + "] " + alert.title;

  std::string d;
  d += "From: " + m.from + "\r\n";
  d += "To: " + to_header + "\r\n";
  d += "Subject: " + header_value(truncate_utf8(subject, 200)) + "\r\n";
  d += "Date: " + header_value(date) + "\r\n";
  d += "Message-ID: <" + header_value(message_id) + ">\r\n";
  if (!alert.key.empty()) d += "X-Ciutils-Key: " + header_value(alert.key) + "\r\n";
  d += "X-Ciutils-Event: " + std::string(event_name(alert.event)) + "\r\n";
  d += "MIME-Version: 1.0\r\n";
  d += "Content-Type: multipart/alternative; boundary=\"" + std::string(boundary) + "\"\r\n";
  d += "\r\n";
  d += "--" + std::string(boundary) + "\r\n";
  d += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  d += base64_body(text_part(alert));
  d += "--" + std::string(boundary) + "\r\n";
  d += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  d += base64_body(html_part(alert));
  d += "--" + std::string(boundary) + "--\r\n";
  m.data = std::move(d);
  return m;
}

void send_email(const EmailMessage& email, const Destination& dest) {
  curl_global();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw ServiceError(redact_url(email.url) + ": cannot create a curl handle");
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, email.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // STARTTLS is required for smtp:// (never "try"); smtps:// is TLS from the first byte.
  curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  auto timeout = static_cast<long>(dest.timeout.count());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout, 10000L));
  std::string cafile = dest.param("cafile");
  if (cafile.empty()) cafile = env_value("CURL_CA_BUNDLE").value_or("");
  if (cafile.empty()) cafile = ca_bundle().value_or("");
  if (!cafile.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, cafile.c_str());
  if (!dest.user.empty()) curl_easy_setopt(h, CURLOPT_USERNAME, dest.user.c_str());
  if (!dest.password.empty()) curl_easy_setopt(h, CURLOPT_PASSWORD, dest.password.c_str());
  std::string from = "<" + email.from + ">";
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  std::unique_ptr<curl_slist, SlistFree> rcpt;
  for (const auto& to : email.to) {
    std::string r = "<" + to + ">";
    curl_slist* next = curl_slist_append(rcpt.get(), r.c_str());
    if (!next) throw ServiceError("out of memory");
    rcpt.release();
    rcpt.reset(next);
  }
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  Upload up{email.data};
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_USE_SSL_FAILED) why = "the server does not offer STARTTLS (TLS is required): " + why;
    bool permanent = rc == CURLE_USE_SSL_FAILED || rc == CURLE_LOGIN_DENIED ||
                     rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
    throw SmtpError("SMTP " + redact_url(email.url) + ": " + why, permanent);
  }
}

}  // namespace ciutils::notify
