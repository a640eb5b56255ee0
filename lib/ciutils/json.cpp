#include "ciutils/json.h"

#include "ciutils/error.h"

#include <boost/json.hpp>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>

namespace ciutils {

namespace {

struct LineColumn {
  std::size_t line;
  std::size_t column;
};

LineColumn line_column(std::string_view text, std::size_t offset) {
  LineColumn lc{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

std::string position(std::string_view source, std::string_view text, std::size_t offset) {
  auto lc = line_column(text, offset);
  return std::string(source) + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
}

// Parses text; on failure reports the offset where the parser stopped.
boost::json::value parse_or_throw(std::string_view text, std::string_view source) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    // Trailing content after a complete value.
    std::size_t at = consumed;
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) {
      ++at;
    }
    if (at < text.size()) {
      throw UsageError(position(source, text, at) + ": unexpected content after the JSON value");
    }
  }
  if (!ec) {
    parser.finish(ec);
  }
  if (ec) {
    throw UsageError(position(source, text, consumed) + ": invalid JSON: " + ec.message());
  }
  return parser.release();
}

// Walks valid JSON text and records the offset where each value starts, keyed by its
// JSON Pointer. Only called on text Boost.JSON has already accepted.
class PositionScanner {
public:
  // record = false: only look for duplicate keys (no pointers built, nothing stored).
  explicit PositionScanner(std::string_view text, bool record = true) : m_text(text), m_record(record) {}
  std::map<std::string, std::size_t> scan() {
    value("");
    return std::move(m_positions);
  }

  // A key written twice in one object: Boost.JSON keeps one of them silently.
  struct Duplicate {
    std::string key;
    std::size_t offset;  // of the second occurrence
  };
  const std::optional<Duplicate>& duplicate() const { return m_duplicate; }

private:
  void skip_ws() {
    while (m_at < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_at]))) {
      ++m_at;
    }
  }
  std::string string_token() {
    std::string out;
    ++m_at;  // opening quote
    while (m_at < m_text.size() && m_text[m_at] != '"') {
      if (m_text[m_at] == '\\') {
        out += m_text[m_at];
        ++m_at;
      }
      out += m_text[m_at];
      ++m_at;
    }
    ++m_at;  // closing quote
    return out;
  }
  static std::string escape_pointer(std::string_view key) {
    std::string out;
    for (char c : key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }
  void value(const std::string& pointer) {
    skip_ws();
    if (m_record) m_positions.emplace(pointer, m_at);
    if (m_at >= m_text.size()) {
      return;
    }
    char c = m_text[m_at];
    if (c == '{') {
      ++m_at;
      skip_ws();
      std::set<std::string> keys;
      while (m_at < m_text.size() && m_text[m_at] != '}') {
        const std::size_t key_at = m_at;
        std::string key = string_token();
        if (!keys.insert(key).second && !m_duplicate) m_duplicate = Duplicate{key, key_at};
        skip_ws();
        ++m_at;  // ':'
        // Keys with escapes are recorded as written; plain keys (the norm) match exactly.
        value(m_record ? pointer + "/" + escape_pointer(key) : std::string());
        skip_ws();
        if (m_at < m_text.size() && m_text[m_at] == ',') {
          ++m_at;
          skip_ws();
        }
      }
      ++m_at;
    } else if (c == '[') {
      ++m_at;
      skip_ws();
      std::size_t index = 0;
      while (m_at < m_text.size() && m_text[m_at] != ']') {
        value(m_record ? pointer + "/" + std::to_string(index) : std::string());
        ++index;
        skip_ws();
        if (m_at < m_text.size() && m_text[m_at] == ',') {
          ++m_at;
          skip_ws();
        }
      }
      ++m_at;
    } else if (c == '"') {
      string_token();
    } else {
      while (m_at < m_text.size() && std::string_view(",]} \t\r\n").find(m_text[m_at]) == std::string_view::npos) {
        ++m_at;
      }
    }
  }

  std::string_view m_text;
  std::size_t m_at = 0;
  bool m_record;
  std::map<std::string, std::size_t> m_positions;
  std::optional<Duplicate> m_duplicate;
};

}  // namespace

boost::json::value parse_json(std::string_view text, std::string_view source) {
  return parse_or_throw(text, source);
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError(path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) {
    throw UsageError(path.string() + ": read error");
  }
  return out.str();
}

boost::json::value read_json_file(const std::filesystem::path& path) {
  return parse_or_throw(read_text_file(path), path.string());
}

// A key written twice in one object is refused ("<source>:<line>:<column>: duplicate key
// 'k'", at the second one): Boost.JSON would keep one of them silently.
JsonDocument JsonDocument::parse(std::string text, std::string source) {
  JsonDocument doc;
  doc.m_root = parse_or_throw(text, source);
  PositionScanner scanner(text, false);
  scanner.scan();
  if (const auto& dup = scanner.duplicate()) {
    throw UsageError(position(source, text, dup->offset) + ": duplicate key '" + dup->key + "'");
  }
  doc.m_text = std::move(text);
  doc.m_source = std::move(source);
  return doc;
}

JsonDocument JsonDocument::read_file(const std::filesystem::path& path) {
  return parse(read_text_file(path), path.string());
}

std::string JsonDocument::where(std::string_view pointer) const {
  auto positions = PositionScanner(m_text).scan();
  std::string p(pointer);
  while (true) {
    if (auto it = positions.find(p); it != positions.end()) {
      return position(m_source, m_text, it->second);
    }
    auto slash = p.rfind('/');
    if (slash == std::string::npos) {
      return position(m_source, m_text, 0);
    }
    p.resize(slash);
  }
}

void JsonDocument::fail(std::string_view pointer, std::string_view message) const {
  throw UsageError(where(pointer) + ": " + std::string(message));
}

JsonlReader::JsonlReader(std::istream& in, std::string source) : m_in(in), m_source(std::move(source)) {}

std::optional<boost::json::value> JsonlReader::next() {
  while (std::getline(m_in, m_buffer)) {
    ++m_line;
    if (!m_buffer.empty() && m_buffer.back() == '\r') {
      m_buffer.pop_back();
    }
    if (m_buffer.find_first_not_of(" \t") == std::string::npos) {
      continue;
    }
    boost::json::stream_parser parser;
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(m_buffer.data(), m_buffer.size(), ec);
    if (!ec && consumed < m_buffer.size() &&
        m_buffer.find_first_not_of(" \t", consumed) != std::string::npos) {
      throw UsageError(m_source + ":" + std::to_string(m_line) + ": unexpected content after the JSON value");
    }
    if (!ec) {
      parser.finish(ec);
    }
    if (ec) {
      throw UsageError(m_source + ":" + std::to_string(m_line) + ": invalid JSON at column " +
                       std::to_string(consumed + 1) + ": " + ec.message());
    }
    return parser.release();
  }
  if (m_in.bad()) {
    throw UsageError(m_source + ": read error");
  }
  return std::nullopt;
}

namespace {

// Boost.JSON 1.81 writes every double in exponent form (0.202 → 2.02E-1); records are
// read by people too, so doubles get the shortest round-trip form instead (0.202, 12.345).
void serialize_into(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_: {
      char buf[32];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value.get_double());
      if (ec != std::errc() || !std::isfinite(value.get_double())) {
        out += "null";
      } else {
        out.append(buf, ptr);
      }
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.get_object()) {
        if (!first) {
          out += ',';
        }
        first = false;
        out += boost::json::serialize(boost::json::string_view(key));
        out += ':';
        serialize_into(out, member);
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) {
          out += ',';
        }
        first = false;
        serialize_into(out, element);
      }
      out += ']';
      return;
    }
    default:
      out += boost::json::serialize(value);
  }
}

}  // namespace

void JsonlWriter::write(const boost::json::value& record) {
  std::string line = to_json(record);
  line += '\n';
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(m_fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error(std::string("writing a JSON record: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

std::string to_json(const boost::json::value& value) {
  std::string out;
  serialize_into(out, value);
  return out;
}

const boost::json::object& as_object(const boost::json::value& value, std::string_view where) {
  if (!value.is_object()) {
    throw UsageError(std::string(where) + ": expected a JSON object");
  }
  return value.get_object();
}

std::optional<std::string> find_string(const boost::json::object& obj, std::string_view key,
                                       std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) {
    return std::nullopt;
  }
  if (!it->value().is_string()) {
    throw UsageError(std::string(where) + ": field '" + std::string(key) + "' must be a string");
  }
  return std::string(it->value().get_string());
}

std::string get_string(const boost::json::object& obj, std::string_view key, std::string_view where) {
  auto value = find_string(obj, key, where);
  if (!value) {
    throw UsageError(std::string(where) + ": field '" + std::string(key) + "' is missing");
  }
  return *value;
}

std::optional<double> find_number(const boost::json::object& obj, std::string_view key,
                                  std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) {
    return std::nullopt;
  }
  const auto& v = it->value();
  if (v.is_double()) {
    return v.get_double();
  }
  if (v.is_int64()) {
    return static_cast<double>(v.get_int64());
  }
  if (v.is_uint64()) {
    return static_cast<double>(v.get_uint64());
  }
  throw UsageError(std::string(where) + ": field '" + std::string(key) + "' must be a number");
}

}  // namespace ciutils
