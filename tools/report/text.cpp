#include "text.h"

#include <ciutils/cli.h>

#include <chrono>

#include <cstdint>
#include <cstdio>

namespace ciutils::report {

std::string format_seconds(double s) {
  if (s < 60) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2fs", s);
    return buf;
  }
  return format_duration(std::chrono::milliseconds(static_cast<long long>(s * 1000)));
}

std::string passed_after(int attempts) {
  return attempts < 2 ? "passed on a retry" : "passed after " + std::to_string(attempts) + " attempts";
}

std::string_view utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return text;
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

std::string_view tail_of(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return text;
  }
  std::size_t start = text.size() - max;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
    ++start;
  }
  return text.substr(start);
}

std::string trim_middle(std::string_view text, std::size_t head, std::size_t tail) {
  if (text.size() <= head + tail) {
    return std::string(text);
  }
  std::string_view first = utf8_prefix(text, head);
  std::string_view last = tail_of(text, tail);
  std::size_t dropped = text.size() - first.size() - last.size();
  std::string out(first);
  out += "\n[… " + std::to_string(dropped) + " bytes trimmed …]\n";
  out += last;
  return out;
}

std::string first_line(std::string_view text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    return {};
  }
  text.remove_prefix(start);
  std::size_t end = text.find_first_of("\r\n");
  text = text.substr(0, end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

void append_xml_escaped(std::string& out, std::string_view text, bool attribute) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = i;
    while (run < text.size()) {
      char c = text[run];
      if (c == '&' || c == '<' || c == '>' || c == '\r' || (attribute && (c == '"' || c == '\n' || c == '\t'))) break;
      ++run;
    }
    out.append(text.data() + i, run - i);
    if (run == text.size()) break;
    switch (text[run]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default: break;
    }
    i = run + 1;
  }
}

std::string xml_escape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + 16);
  append_xml_escaped(out, text, attribute);
  return out;
}

}  // namespace ciutils::report
