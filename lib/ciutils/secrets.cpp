#include "ciutils/secrets.h"

#include "ciutils/error.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace ciutils {

namespace {

// As Boost.JSON writes a string's characters: quote, backslash and controls escaped.
std::string json_escaped(std::string_view text) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += k_hex[u >> 4];
          out += k_hex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  return out;
}

// Every byte but the unreserved ones (RFC 3986) as %XX, in upper or lower case hex.
std::string percent_encoded(std::string_view text, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 0xF];
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    auto n = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
             static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += k_alphabet[(n >> shift) & 0x3F];
  }
  if (i < bytes.size()) {
    auto n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += k_alphabet[(n >> 18) & 0x3F];
    out += k_alphabet[(n >> 12) & 0x3F];
    if (i + 1 < bytes.size()) out += k_alphabet[(n >> 6) & 0x3F];
  }
  return out;
}

}  // namespace

void Secrets::add(std::string value) {
  if (value.size() < 4) return;
  auto escaped = json_escaped(value);
  add_form(json_escaped(escaped));
  add_form(escaped);
  add_form(percent_encoded(value, true));
  add_form(percent_encoded(value, false));
  // The secret base64-encoded after 0, 1 or 2 other bytes: the characters that depend on
  // its bytes alone (those shared with neighbouring bytes are left out).
  for (std::size_t offset = 0; offset < 3; ++offset) {
    auto encoded = base64(std::string(offset, '\0') + value);
    std::size_t first = (offset * 8 + 5) / 6;
    std::size_t last = (offset + value.size()) * 8 / 6;
    if (last > first && last - first >= 8) add_form(encoded.substr(first, last - first));
  }
  add_form(std::move(value));
}

void Secrets::add_form(std::string value) {
  if (std::find(m_values.begin(), m_values.end(), value) != m_values.end()) return;
  m_values.push_back(std::move(value));
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(m_values.begin(), m_values.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Secrets::redact(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : m_values) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

std::string expand_env(std::string_view text, std::string_view where, Secrets& secrets) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t start = text.find("${", pos);
    if (start == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, start - pos));
    std::size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) {
      throw UsageError(std::string(where) + ": unterminated ${ in '" + secrets.redact(text) + "'");
    }
    std::string name(text.substr(start + 2, end - start - 2));
    bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
    if (!valid) {
      throw UsageError(std::string(where) + ": invalid variable name '${" + name + "}'");
    }
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      throw UsageError(std::string(where) + ": ${" + name + "} is not set");
    }
    std::string secret(value);
    if (secret.ends_with("\r\n")) secret.resize(secret.size() - 2);
    else if (secret.ends_with('\n')) secret.pop_back();
    if (secret.empty()) throw UsageError(std::string(where) + ": ${" + name + "} is not set");
    secrets.add(secret);
    out.append(secret);
    pos = end + 1;
  }
  return out;
}

}  // namespace ciutils
