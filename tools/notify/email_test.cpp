#include "email.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

namespace ciutils::notify {
namespace {

TEST(HeaderValue, StripsControlCharacters) {
  EXPECT_EQ(header_value("a\r\nBcc: x@y\tz"), "a  Bcc: x@y z");
}

TEST(HeaderValue, EncodesNonAscii) {
  EXPECT_EQ(header_value("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
  auto long_subject = header_value(std::string(40, 'a') + "é" + std::string(40, 'b'));
  EXPECT_NE(long_subject.find("?=\r\n =?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(long_subject.find('\n', 0) - 1, long_subject.find('\r'));
}

TEST(Base64, Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

TEST(Address, RejectsInjection) {
  EXPECT_EQ(checked_address("a@b.c", "to"), "a@b.c");
  EXPECT_THROW(checked_address("a@b.c\r\nRCPT TO:<x@y>", "to"), UsageError);
  EXPECT_THROW(checked_address("a@b.c>", "to"), UsageError);
  EXPECT_THROW(checked_address("nobody", "to"), UsageError);
}

TEST(BuildEmail, ExactHeaders) {
  Destination d;
  d.name = "mail";
  d.url = "smtp://127.0.0.1:25";
  d.params = {{"from", "ci@example.com"}, {"to", "a@example.com,b@example.com"}};
  Alert a;
  a.event = Event::trigger;
  a.key = "web/pay";
  a.title = "pay\r\nBcc: evil@example.com";
  auto m = build_email(d, a, "Mon, 23 Nov 2026 10:00:00 +0000", "BOUNDARY", "id@ciutils");
  EXPECT_EQ(m.from, "ci@example.com");
  EXPECT_EQ(m.to, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  auto headers = m.data.substr(0, m.data.find("\r\n\r\n"));
  EXPECT_EQ(headers,
            "From: ci@example.com\r\n"
            "To: a@example.com, b@example.com\r\n"
            "Subject: [FAILED] pay  Bcc: evil@example.com\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            "Message-ID: <id@ciutils>\r\n"
            "X-Ciutils-Key: web/pay\r\n"
            "X-Ciutils-Event: trigger\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"BOUNDARY\"");
  EXPECT_NE(m.data.find("--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(m.data.find("--BOUNDARY\r\nContent-Type: text/html; charset=utf-8\r\n"), std::string::npos);
  EXPECT_EQ(m.data.substr(m.data.size() - 14), "--BOUNDARY--\r\n");
}

}  // namespace
}  // namespace ciutils::notify
