#include "command_template.h"

#include <optional>

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

namespace {

// The replacement strings of GNU parallel that prun fills, longest first.
constexpr std::string_view k_replacements[] = {"{//}", "{/.}", "{}", "{.}", "{/}", "{#}", "{%}"};

std::string_view basename_of(std::string_view item) {
  auto slash = item.rfind('/');
  return slash == std::string_view::npos ? item : item.substr(slash + 1);
}

std::string_view without_extension(std::string_view item) {
  auto dot = item.rfind('.');
  auto slash = item.rfind('/');
  if (dot == std::string_view::npos || dot + 1 == item.size()) return item;
  if (slash != std::string_view::npos && dot < slash) return item;
  return item.substr(0, dot);
}

std::string dirname_of(std::string_view item) {
  auto slash = item.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(item.substr(0, slash));
}

}  // namespace

std::optional<std::string> unsupported_replacement(std::string_view text) {
  for (std::size_t i = text.find('{'); i != std::string_view::npos; i = text.find('{', i + 1)) {
    auto close = text.find('}', i);
    if (close == std::string_view::npos) break;
    std::string_view inner = text.substr(i + 1, close - i - 1);
    std::string_view whole = text.substr(i, close - i + 1);
    bool known = false;
    for (auto r : k_replacements) known = known || whole == r;
    if (known || inner.empty()) continue;
    // parallel's forms: {3}, {3.}, {1/}, {-1}, {==perl==}, {+.}, {..}: what prun does not fill.
    bool looks = inner.front() == '=' || inner.find_first_not_of("0123456789-./#%+") == std::string_view::npos;
    if (looks) return std::string(whole);
  }
  return std::nullopt;
}

std::string expand_template(std::string_view text, std::string_view item, std::size_t job, int slot) {
  std::string out;
  out.reserve(text.size() + item.size() + 8);
  bool replaced = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      std::string_view rest = text.substr(i);
      std::string_view found;
      for (auto r : k_replacements) {
        if (rest.starts_with(r)) {
          found = r;
          break;
        }
      }
      if (!found.empty()) {
        if (found == "{}") out += shell_quote(item);
        if (found == "{.}") out += shell_quote(without_extension(item));
        if (found == "{/}") out += shell_quote(basename_of(item));
        if (found == "{//}") out += shell_quote(dirname_of(item));
        if (found == "{/.}") out += shell_quote(without_extension(basename_of(item)));
        if (found == "{#}") out += std::to_string(job);
        if (found == "{%}") out += std::to_string(slot);
        replaced = true;
        i += found.size();
        continue;
      }
    }
    out += text[i++];
  }
  if (!replaced) {
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
