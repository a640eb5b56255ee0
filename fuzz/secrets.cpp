// Redaction of secrets (every tool that shows URLs, replies or logs). The input is split
// at its first NUL byte into a secret and a text; the text is shown with the secret
// embedded as it is, JSON-escaped, percent-encoded and base64-encoded.
// Invariant: no redacted form still contains the secret as it is (secrets of 4 or more
// characters are redacted; shorter ones are too common to touch). A secret holding '*'
// can be re-formed by the mask itself ("*abc" around "***"), so those are left out.
#include "invariant.h"

#include <ciutils/secrets.h>

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  if (nul == std::string_view::npos) return 0;
  std::string secret(input.substr(0, nul));
  std::string_view text = input.substr(nul + 1);
  if (secret.size() < 4 || secret.find('*') != std::string::npos) return 0;
  ciutils::Secrets secrets;
  secrets.add(secret);
  std::string half(text.substr(0, text.size() / 2));
  std::string shown = secrets.redact(half + secret + std::string(text.substr(text.size() / 2)));
  FUZZ_ASSERT(shown.find(secret) == std::string::npos);
  return 0;
}
