#include "command_template.h"

namespace ciutils::prun {

std::string shell_quote(std::string_view text) {
  if (text.empty()) return "''";
  bool safe = true;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_-./:=@%+,").find(c) != std::string_view::npos;
    if (!ok) {
      safe = false;
      break;
    }
  }
  if (safe) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string join_template(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

std::string expand_template(std::string_view text, std::string_view item, std::size_t job, int slot) {
  std::string out;
  out.reserve(text.size() + item.size() + 8);
  bool item_used = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      if (text.substr(i, 2) == "{}") {
        out += shell_quote(item);
        item_used = true;
        i += 2;
        continue;
      }
      if (text.substr(i, 3) == "{#}") {
        out += std::to_string(job);
        i += 3;
        continue;
      }
      if (text.substr(i, 3) == "{%}") {
        out += std::to_string(slot);
        i += 3;
        continue;
      }
    }
    out += text[i++];
  }
  if (!item_used) {
    out += ' ';
    out += shell_quote(item);
  }
  return out;
}

std::string expand_numbers(std::string_view text, std::size_t job, int slot) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool after_dollar = i > 0 && text[i - 1] == '$';
    if (!after_dollar && text.substr(i, 3) == "{#}") {
      out += std::to_string(job);
      i += 2;
    } else if (!after_dollar && text.substr(i, 3) == "{%}") {
      out += std::to_string(slot);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool template_uses_slot(std::string_view text) { return text.find("{%}") != std::string_view::npos; }

}  // namespace ciutils::prun
