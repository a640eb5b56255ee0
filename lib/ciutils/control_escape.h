// Untrusted text (an owner name, a CI job URL, a reason) shown on a terminal: control
// characters made visible, so a value cannot move the cursor, clear the screen or
// forge extra lines of output (lockctl's status and history).
#pragma once

#include <string>
#include <string_view>

namespace ciutils {

// LF, CR and TAB become "\n", "\r", "\t"; other C0 controls, DEL and the C1 range's
// UTF-8 form (U+0080..U+009F) become "\xNN" / "\u00NN"; a backslash becomes "\\".
// Other bytes pass unchanged.
std::string escape_control(std::string_view text);

}  // namespace ciutils
