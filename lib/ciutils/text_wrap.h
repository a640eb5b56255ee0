// Help text layout: a term and its explanation, wrapped at 80 columns with a hanging indent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ciutils {

// "  TERM      text that wraps\n            onto lines indented to `column`\n"; a term
// too long for the column gets a line of its own.
std::string wrap_entry(std::string_view term, std::string_view text, std::size_t column, std::size_t width = 80);

}  // namespace ciutils
