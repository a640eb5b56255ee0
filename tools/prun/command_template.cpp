#include "command_template.h"

#include <charconv>
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

// One replacement string: {#}, {%}, or an argument's ({}, {2}, {-1/.}, …).
struct Replacement {
  enum class Kind { argument, job, slot } kind = Kind::argument;
  int position = 0;           // 0: every argument; N: the Nth; -N: the Nth from the end
  std::string_view modifier;  // "", ".", "/", "//", "/."
  std::size_t length = 0;     // of the whole string, braces included
};

// The replacement string at the start of text, or nullopt.
std::optional<Replacement> replacement_at(std::string_view text) {
  if (text.size() < 2 || text[0] != '{') return std::nullopt;
  auto close = text.find('}');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view inner = text.substr(1, close - 1);
  Replacement r;
  r.length = close + 1;
  if (inner == "#" || inner == "%") {
    r.kind = inner == "#" ? Replacement::Kind::job : Replacement::Kind::slot;
    return r;
  }
  std::size_t digits_end = 0;
  if (!inner.empty() && (inner[0] == '-' || (inner[0] >= '0' && inner[0] <= '9'))) {
    int value = 0;
    auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), value);
    if (ec != std::errc() || value == 0 || value > 100000 || value < -100000) return std::nullopt;
    r.position = value;
    digits_end = static_cast<std::size_t>(end - inner.data());
  }
  r.modifier = inner.substr(digits_end);
  for (std::string_view m : {"", ".", "/", "//", "/."}) {
    if (r.modifier == m) return r;
  }
  return std::nullopt;
}

std::string transformed(std::string_view arg, std::string_view modifier) {
  if (modifier == ".") return std::string(without_extension(arg));
  if (modifier == "/") return std::string(basename_of(arg));
  if (modifier == "//") return dirname_of(arg);
  if (modifier == "/.") return std::string(without_extension(basename_of(arg)));
  return std::string(arg);
}

std::string fill(const Replacement& r, const std::vector<std::string>& args, std::size_t job, int slot,
                 bool quote = true) {
  auto quoted = [quote](std::string text) { return quote ? shell_quote(text) : text; };
  switch (r.kind) {
    case Replacement::Kind::job: return std::to_string(job);
    case Replacement::Kind::slot: return std::to_string(slot);
    case Replacement::Kind::argument: break;
  }
  if (r.position != 0) {
    auto n = static_cast<std::size_t>(r.position > 0 ? r.position : -r.position);
    if (n > args.size()) return {};
    const std::string& arg = r.position > 0 ? args[n - 1] : args[args.size() - n];
    return quoted(transformed(arg, r.modifier));
  }
  std::string out;
  for (const auto& arg : args) {
    if (!out.empty()) out += ' ';
    out += quoted(transformed(arg, r.modifier));
  }
  return out;
}

// Fills text; `replaced` tells whether it held any replacement string, `all_args`
// whether one of them stood for every argument ({} and its variants).
std::string fill_text(std::string_view text, const std::vector<std::string>& args, std::size_t job, int slot,
                      bool& replaced, bool& all_args, bool quote = true) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      if (auto r = replacement_at(text.substr(i))) {
        out += fill(*r, args, job, slot, quote);
        replaced = true;
        all_args = all_args || (r->kind == Replacement::Kind::argument && r->position == 0);
        i += r->length;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::optional<std::string> unsupported_replacement(std::string_view text) {
  for (std::size_t i = text.find('{'); i != std::string_view::npos; i = text.find('{', i + 1)) {
    auto close = text.find('}', i);
    if (close == std::string_view::npos) break;
    std::string_view inner = text.substr(i + 1, close - i - 1);
    std::string_view whole = text.substr(i, close - i + 1);
    if (inner.empty() || replacement_at(whole)) continue;
    // parallel's forms: {0}, {==perl==}, {+.}, {..}, {1//.}: what prun does not fill.
    bool looks = inner.front() == '=' || inner.find_first_not_of("0123456789-./#%+") == std::string_view::npos;
    if (looks) return std::string(whole);
  }
  return std::nullopt;
}

std::size_t highest_position(std::string_view text) {
  std::size_t highest = 0;
  for (std::size_t i = text.find('{'); i != std::string_view::npos; i = text.find('{', i + 1)) {
    auto r = replacement_at(text.substr(i));
    if (!r || r->kind != Replacement::Kind::argument) continue;
    highest = std::max(highest, static_cast<std::size_t>(r->position < 0 ? -r->position : r->position));
  }
  return highest;
}

std::string expand_template(std::string_view text, const std::vector<std::string>& args, std::size_t job, int slot,
                            bool context_replace) {
  bool replaced = false;
  bool all_args = false;
  std::string out;
  if (!context_replace || args.size() == 1) {
    out = fill_text(text, args, job, slot, replaced, all_args);
  } else {
    // -X: a word that stands for the arguments is repeated, once per argument.
    std::size_t start = 0;
    while (start <= text.size()) {
      auto space = text.find(' ', start);
      std::string_view word = text.substr(start, space == std::string_view::npos ? space : space - start);
      if (start > 0) out += ' ';
      bool word_all = false;
      std::string whole = fill_text(word, args, job, slot, replaced, word_all);
      if (!word_all) {
        out += whole;
      } else {
        for (std::size_t a = 0; a < args.size(); ++a) {
          bool ignored = false;
          if (a > 0) out += ' ';
          out += fill_text(word, {args[a]}, job, slot, ignored, ignored);
        }
      }
      if (space == std::string_view::npos) break;
      start = space + 1;
    }
  }
  if (!replaced) {
    for (const auto& arg : args) {
      out += ' ';
      out += shell_quote(arg);
    }
  }
  return out;
}

std::string expand_plain(std::string_view text, const std::vector<std::string>& args, std::size_t job, int slot) {
  bool replaced = false;
  bool all_args = false;
  return fill_text(text, args, job, slot, replaced, all_args, false);
}

std::vector<std::string> expand_argv(const std::vector<std::string>& words, const std::vector<std::string>& args,
                                     std::size_t job, int slot) {
  std::vector<std::string> argv;
  bool any = false;
  for (const auto& word : words) {
    auto r = replacement_at(word);
    if (r && r->length == word.size() && r->kind == Replacement::Kind::argument && r->position == 0) {
      // A word that is only {} (or {.}, …) becomes one argument per item, as xargs passes them.
      for (const auto& arg : args) argv.push_back(fill(*r, {arg}, job, slot, false));
      any = true;
      continue;
    }
    bool replaced = false;
    bool all_args = false;
    argv.push_back(fill_text(word, args, job, slot, replaced, all_args, false));
    any = any || replaced;
  }
  if (!any) argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string quoted_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(arg);
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
