// notify destinations: "slack://${SLACK_WEBHOOK}", "smtps://user:${PASS}@host/?to=…", with
// ${ENV} expansion. Invariants: a parsed destination's name and spec (what notify shows
// and spools) never carry an expanded secret, and neither does the redacted URL.
#include "invariant.h"

#include <ciutils/error.h>
#include <ciutils/secrets.h>
#include <destination.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Two environment variables hold secrets the URL may reference.
  static bool once = [] {
    setenv("FUZZ_TOKEN", "T0kenSecretValue", 1);
    setenv("FUZZ_PASS", "p@ss/w0rd?&#", 1);
    return true;
  }();
  (void)once;
  std::string_view spec(reinterpret_cast<const char*>(data), size);
  ciutils::Secrets secrets;
  ciutils::notify::Destination dest;
  try {
    dest = ciutils::notify::parse_destination(spec, "--to", secrets);
  } catch (const ciutils::UsageError&) {
    return 0;
  }
  // A secret written into the URL itself, as it is or %XX-encoded, is not an ${ENV} secret.
  const std::string decoded = ciutils::notify::percent_decode(spec);
  for (std::string_view text : {spec, std::string_view(decoded)}) {
    if (text.find("T0kenSecretValue") != std::string_view::npos ||
        text.find("p@ss/w0rd?&#") != std::string_view::npos) {
      return 0;
    }
  }
  for (const std::string& shown : {secrets.redact(dest.url), secrets.redact(dest.name), dest.spec}) {
    FUZZ_ASSERT(shown.find("T0kenSecretValue") == std::string::npos);
    FUZZ_ASSERT(shown.find("p@ss/w0rd?&#") == std::string::npos);
  }
  return 0;
}
