// Text from tests and terminals made safe to show anywhere (report's JUnit, HTML and
// summaries; notify's alerts): valid UTF-8, no ANSI escapes, control characters visible.
#pragma once

#include <string>
#include <string_view>

namespace ciutils {

// Valid UTF-8 with every character allowed in XML 1.0: invalid bytes and encoded
// surrogates become U+FFFD, ANSI escape sequences (CSI, OSC, two-byte) are removed,
// other C0 controls except TAB, LF and CR become "\xNN", U+FFFE and U+FFFF become
// "\uFFFE" / "\uFFFF".
std::string clean_text(std::string_view text);

}  // namespace ciutils
