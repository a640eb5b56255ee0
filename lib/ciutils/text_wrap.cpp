#include "ciutils/text_wrap.h"

namespace ciutils {

std::string wrap_entry(std::string_view term, std::string_view text, std::size_t column, std::size_t width) {
  std::string out = "  " + std::string(term);
  if (out.size() + 2 > column) {
    out += '\n';
    out.append(column, ' ');
  } else {
    out.append(column - out.size(), ' ');
  }
  std::size_t line = column;
  bool first = true;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end == i) break;
    std::string_view word = text.substr(i, end - i);
    if (!first && line + 1 + word.size() > width) {
      out += '\n';
      out.append(column, ' ');
      line = column;
      first = true;
    }
    if (!first) {
      out += ' ';
      ++line;
    }
    out += word;
    line += word.size();
    first = false;
    i = end;
  }
  out += '\n';
  return out;
}

}  // namespace ciutils
