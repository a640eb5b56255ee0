#include "ciutils/ca_bundle.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace ciutils {

const std::vector<std::string> k_system_ca_bundles{
    "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Alpine, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL, CentOS
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
    "/etc/ssl/ca-bundle.pem",                             // openSUSE, SLES
    "/etc/ssl/cert.pem",                                  // Alpine, macOS-like layouts
};

std::optional<std::string> ca_bundle(const std::vector<std::string>& system_bundles) {
  if (auto file = env_value("SSL_CERT_FILE")) return file;
  if (auto file = env_value("CURL_CA_BUNDLE")) return file;
  for (const auto& path : system_bundles) {
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return std::nullopt;
}

void require_ca_certificates(std::string_view url, const std::vector<std::string>& system_bundles) {
  std::string scheme(url.substr(0, std::min<std::size_t>(url.size(), 8)));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "https://") return;
  if (ca_bundle(system_bundles) || env_value("SSL_CERT_DIR")) return;
  std::string looked;
  for (const auto& path : system_bundles) looked += (looked.empty() ? "" : ", ") + path;
  throw UsageError("no CA certificates to check https servers with (none of " + looked +
                   " exists): install the ca-certificates package, or set SSL_CERT_FILE to a PEM bundle");
}

}  // namespace ciutils
