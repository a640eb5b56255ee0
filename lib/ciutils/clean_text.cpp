#include "ciutils/clean_text.h"

#include <cstdint>
#include <cstdio>

namespace ciutils {

namespace {

// Decodes one UTF-8 character at text[i]; returns its length, or 0 when invalid
// (overlong forms, surrogates and values past U+10FFFF are invalid).
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& cp) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > text.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

// Length of the ANSI escape sequence starting with ESC at text[i].
std::size_t escape_length(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  if (j >= text.size()) {
    return 1;
  }
  char c = text[j];
  if (c == '[') {  // CSI: parameters, intermediates, one final byte
    ++j;
    while (j < text.size() && text[j] >= 0x30 && text[j] <= 0x3F) ++j;
    while (j < text.size() && text[j] >= 0x20 && text[j] <= 0x2F) ++j;
    if (j < text.size() && text[j] >= 0x40 && text[j] <= 0x7E) ++j;
    return j - i;
  }
  if (c == ']' || c == 'P' || c == '_' || c == '^') {  // OSC / DCS / APC / PM: up to BEL or ST
    ++j;
    while (j < text.size()) {
      if (text[j] == '\a') return j + 1 - i;
      if (text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\') return j + 2 - i;
      ++j;
    }
    return j - i;
  }
  if (c >= 0x40 && c <= 0x5F) {
    return 2;
  }
  if (c >= 0x20 && c <= 0x2F && j + 1 < text.size()) {  // ESC ( B and friends
    return 3;
  }
  return 1;
}

}  // namespace

namespace {

// Printable ASCII, TAB, LF and CR: copied as they are.
bool plain_byte(unsigned char b) { return (b >= 0x20 && b < 0x7F) || b == '\t' || b == '\n' || b == '\r'; }

}  // namespace

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = i;
    while (run < text.size() && plain_byte(static_cast<unsigned char>(text[run]))) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    unsigned char b = static_cast<unsigned char>(text[i]);
    if (b == 0x1B) {
      i += escape_length(text, i);
      continue;
    }
    if (b < 0x80) {  // other C0 controls and DEL
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
      ++i;
      continue;
    }
    char32_t cp = 0;
    std::size_t len = decode_utf8(text, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (cp == 0xFFFE || cp == 0xFFFF) {
      out += cp == 0xFFFE ? "\\uFFFE" : "\\uFFFF";
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace ciutils
