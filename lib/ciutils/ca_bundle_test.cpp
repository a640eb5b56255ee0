#include "ciutils/ca_bundle.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace ciutils {
namespace {

class CaBundle : public ::testing::Test {
protected:
  void SetUp() override {
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    unsetenv("SSL_CERT_DIR");
  }
  void TearDown() override { SetUp(); }
};

TEST_F(CaBundle, TheFirstSystemBundleThatExists) {
  EXPECT_EQ(ca_bundle({"/nonexistent/a.pem", "/etc/hostname", "/etc/passwd"}), "/etc/hostname");
  EXPECT_EQ(ca_bundle({"/nonexistent/a.pem"}), std::nullopt);
}

TEST_F(CaBundle, SslCertFileThenCurlCaBundleWin) {
  setenv("CURL_CA_BUNDLE", "/from/curl.pem", 1);
  EXPECT_EQ(ca_bundle({"/etc/hostname"}), "/from/curl.pem");
  setenv("SSL_CERT_FILE", "/from/ssl.pem", 1);
  EXPECT_EQ(ca_bundle({"/etc/hostname"}), "/from/ssl.pem");
}

TEST_F(CaBundle, HttpsWithoutCertificatesIsAClearError) {
  const std::vector<std::string> none{"/nonexistent/a.pem", "/nonexistent/b.pem"};
  try {
    require_ca_certificates("HTTPS://example.invalid/", none);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "no CA certificates to check https servers with (none of /nonexistent/a.pem, /nonexistent/b.pem "
                 "exists): install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle");
  }
  EXPECT_NO_THROW(require_ca_certificates("http://example.invalid/", none));
  EXPECT_NO_THROW(require_ca_certificates("https://example.invalid/", {"/etc/hostname"}));
  setenv("SSL_CERT_FILE", "/some/bundle.pem", 1);
  EXPECT_NO_THROW(require_ca_certificates("https://example.invalid/", none));
  unsetenv("SSL_CERT_FILE");
  setenv("SSL_CERT_DIR", "/some/certs", 1);
  EXPECT_NO_THROW(require_ca_certificates("https://example.invalid/", none));
}

}  // namespace
}  // namespace ciutils
