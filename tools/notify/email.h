// Email alerts: a MIME multipart/alternative message (plain text + HTML) sent over SMTP with
// TLS required (STARTTLS for smtp://, implicit TLS for smtps://).
#pragma once

#include "alert.h"
#include "destination.h"

#include <ciutils/error.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::notify {

struct EmailMessage {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string from;
  std::vector<std::string> to;
  std::string data;  // the whole RFC 5322 message, CRLF line endings
};

// A header value safe to put on one line: CR, LF and other control characters become
// spaces; non-ASCII text is RFC 2047 encoded (UTF-8, base64 encoded-words).
std::string header_value(std::string_view text);

// An address from a URL parameter; anything that could break a header or the SMTP
// envelope (CR, LF, <, >, spaces, no '@') throws UsageError naming `where`.
std::string checked_address(std::string_view address, std::string_view where);

std::string base64(std::string_view data);

// Builds the message; `boundary` and `message_id` are parameters so tests are exact.
EmailMessage build_email(const Destination& dest, const Alert& alert, std::string_view date,
                         std::string_view boundary, std::string_view message_id);

// An SMTP failure; `permanent` when another attempt cannot help (no STARTTLS, login
// denied, certificate not trusted), so it is not retried at once (but still spooled).
struct SmtpError : ServiceError {
  SmtpError(const std::string& message, bool permanent) : ServiceError(message), permanent(permanent) {}
  bool permanent;
};

// Sends over SMTP with libcurl. The CA bundle is ?cafile=, else $CURL_CA_BUNDLE, else
// $SSL_CERT_FILE, else the system's. Throws ServiceError on failure; a server that does
// not offer STARTTLS is refused. Throws SmtpError.
void send_email(const EmailMessage& email, const Destination& dest);

}  // namespace ciutils::notify
