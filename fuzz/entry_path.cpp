// fetch's rules for archive entry names and symlink targets. The input is split at its
// first NUL byte into an entry name and a symlink target.
// Invariants: an accepted name has no empty, ".", ".." or absolute component; an
// accepted symlink target, resolved from the link's directory, stays inside the
// destination at every step (so no chain of links can climb out).
#include "invariant.h"

#include <ciutils/error.h>
#include <entry_path.h>

#include <cstdint>
#include <string>
#include <string_view>

using namespace ciutils::fetch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  std::string_view name = input.substr(0, nul);
  PathParts parts;
  try {
    parts = entry_parts(name);
  } catch (const ciutils::IntegrityError&) {
    return 0;
  }
  FUZZ_ASSERT(!parts.empty());
  for (const auto& part : parts) {
    FUZZ_ASSERT(!part.empty() && part != "." && part != "..");
    FUZZ_ASSERT(part.find('/') == std::string::npos);
  }
  if (nul == std::string_view::npos) return 0;
  std::string_view target = input.substr(nul + 1);
  try {
    check_symlink_target(parts, target, name);
  } catch (const ciutils::IntegrityError&) {
    return 0;
  }
  FUZZ_ASSERT(!target.empty() && target.front() != '/');
  // Walk the target from the link's directory: the depth below the destination never
  // goes negative.
  long depth = static_cast<long>(parts.size()) - 1;
  std::size_t at = 0;
  while (at <= target.size()) {
    auto slash = target.find('/', at);
    auto part = target.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
    if (part == "..") {
      --depth;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    FUZZ_ASSERT(depth >= 0);
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  return 0;
}
