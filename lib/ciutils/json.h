// Boost.JSON helpers: parsing with positions, JSON Lines in and out, typed field access.
#pragma once

#include <boost/json/value.hpp>

#include <cstdio>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

namespace ciutils {

// Parses one JSON document. On error throws UsageError "<source>:<line>:<column>: <what>".
boost::json::value parse_json(std::string_view text, std::string_view source);

// Reads and parses a whole file (UsageError naming the file when unreadable or invalid).
boost::json::value read_json_file(const std::filesystem::path& path);

// A parsed document that remembers where each value stood in the text, so errors
// about a field's meaning point at file:line:column just as syntax errors do.
class JsonDocument {
public:
  static JsonDocument parse(std::string text, std::string source);
  static JsonDocument read_file(const std::filesystem::path& path);

  const boost::json::value& root() const { return m_root; }
  const std::string& source() const { return m_source; }
  // "<source>:<line>:<column>" of the value at a JSON Pointer ("/steps/2/timeout"),
  // or of its nearest ancestor that exists.
  std::string where(std::string_view pointer) const;
  // Throws UsageError "<where(pointer)>: <message>".
  [[noreturn]] void fail(std::string_view pointer, std::string_view message) const;

private:
  std::string m_source;
  std::string m_text;
  boost::json::value m_root;
};

// The contents of a file, or UsageError "<path>: <strerror>".
std::string read_text_file(const std::filesystem::path& path);

// Reads JSON Lines: one value per non-blank line. A bad line throws
// UsageError "<source>:<line>: <what>".
class JsonlReader {
public:
  JsonlReader(std::istream& in, std::string source);
  std::optional<boost::json::value> next();
  std::size_t line() const { return m_line; }
  const std::string& source() const { return m_source; }

private:
  std::istream& m_in;
  std::string m_source;
  std::size_t m_line = 0;
  std::string m_buffer;
};

// Writes one record per line with a single write(2) each, so a reader (or a crash)
// never sees half a record.
class JsonlWriter {
public:
  explicit JsonlWriter(int fd) : m_fd(fd) {}
  void write(const boost::json::value& record);

private:
  int m_fd;
};

// Compact serialisation; doubles in their shortest round-trip form (12.345, not 1.2345E1).
std::string to_json(const boost::json::value& value);

// Typed access to an object's field; throws UsageError "<where>: field '<key>' …" when
// missing or of the wrong type. The optional forms return nullopt when missing.
const boost::json::object& as_object(const boost::json::value& value, std::string_view where);
std::string get_string(const boost::json::object& obj, std::string_view key, std::string_view where);
std::optional<std::string> find_string(const boost::json::object& obj, std::string_view key,
                                       std::string_view where);
std::optional<double> find_number(const boost::json::object& obj, std::string_view key,
                                  std::string_view where);

}  // namespace ciutils
