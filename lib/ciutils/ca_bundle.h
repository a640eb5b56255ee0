// The CA certificates TLS peers are checked against. libcurl looks only where the system it
// was built on keeps them (Debian: /etc/ssl/certs/ca-certificates.crt); the release tarball
// runs on other systems too, so ciutils looks for the bundle itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

// Where the common Linux distributions keep their CA bundle, in the order they are tried:
// Debian/Ubuntu/Alpine/Arch, Fedora/RHEL, openSUSE, and the rest.
extern const std::vector<std::string> k_system_ca_bundles;

// $SSL_CERT_FILE, else $CURL_CA_BUNDLE, else the first of system_bundles that exists;
// nullopt when none is set and none exists.
std::optional<std::string> ca_bundle(const std::vector<std::string>& system_bundles = k_system_ca_bundles);

// For an https:// URL, throws UsageError when there is no CA bundle (ca_bundle()) and no
// $SSL_CERT_DIR, naming the places looked at and how to provide one.
void require_ca_certificates(std::string_view url,
                             const std::vector<std::string>& system_bundles = k_system_ca_bundles);

}  // namespace ciutils
