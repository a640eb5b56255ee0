// Result records (JSON Lines, the format in docs/formats.md): each line validated, errors named
// by file:line and field.
#include "input.h"
#include "text.h"

#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <optional>
#include <vector>

namespace ciutils::report {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The \uXXXX escape at line[i] ("\\u" included), or -1.
long escape_at(const std::string& line, std::size_t i) {
  if (i + 6 > line.size() || line[i] != '\\' || line[i + 1] != 'u') {
    return -1;
  }
  long v = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    int h = hex_value(line[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

}  // namespace

namespace {

// True when line has "\uD…" or "\ud…" somewhere: the only escapes that can be surrogates
// (a terminal's "\u001b" and the like are not).
bool may_hold_surrogate_escape(const std::string& line) {
  for (std::size_t i = line.find("\\u"); i != std::string::npos; i = line.find("\\u", i + 2)) {
    if (i + 2 < line.size() && (line[i + 2] == 'd' || line[i + 2] == 'D')) return true;
  }
  return false;
}

}  // namespace

// Boost.JSON rejects "\ud800" without its pair; writers (Python's json among them)
// emit such lone surrogates from undecodable output, so they become U+FFFD instead.
std::string repair_lone_surrogates(const std::string& line) {
  if (!may_hold_surrogate_escape(line)) {
    return line;
  }
  std::string out;
  out.reserve(line.size());
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      out += line[i++];
      continue;
    }
    long v = escape_at(line, i);
    if (v < 0) {
      out.append(line, i, 2);
      i += 2;
      continue;
    }
    if (v >= 0xD800 && v <= 0xDBFF) {
      long low = escape_at(line, i + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        out.append(line, i, 12);
        i += 12;
        continue;
      }
      out += "\\ufffd";
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      out += "\\ufffd";
    } else {
      out.append(line, i, 6);
    }
    i += 6;
  }
  return out;
}

namespace {

struct Record {
  const boost::json::object& obj;
  const std::string& where;

  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw UsageError(where + ": field '" + std::string(key) + "' " + std::string(what));
  }
  const boost::json::value* find(std::string_view key) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }
  std::string string(std::string_view key, bool required = false) const {
    const auto* v = find(key);
    if (v == nullptr) {
      if (required) fail(key, "is missing");
      return {};
    }
    if (!v->is_string()) fail(key, "must be a string");
    return clean_text(std::string_view(v->get_string()));
  }
  std::optional<double> number(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return static_cast<double>(v->get_int64());
    if (v->is_uint64()) return static_cast<double>(v->get_uint64());
    fail(key, "must be a number");
  }
  std::optional<long long> integer(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() < (1ULL << 62)) return static_cast<long long>(v->get_uint64());
    fail(key, "must be an integer");
  }
  void boolean(std::string_view key) const {
    const auto* v = find(key);
    if (v != nullptr && !v->is_bool()) fail(key, "must be true or false");
  }
};

TestResult parse_record(const boost::json::value& value, const std::string& where,
                        const std::string& stem) {
  if (!value.is_object()) {
    throw UsageError(where + ": a result record must be a JSON object");
  }
  Record r{value.get_object(), where};
  TestResult t;
  t.name = r.string("name", true);
  if (t.name.empty()) r.fail("name", "must not be empty");
  std::string status = r.string("status", true);
  auto parsed = parse_status(status);
  if (!parsed) {
    r.fail("status", "is '" + status + "', not one of passed, failed, error, timeout, skipped, flaky");
  }
  t.status = *parsed;
  t.classname = r.string("classname");
  if (t.classname.empty()) t.classname = stem;
  if (auto d = r.number("duration_s")) {
    if (!std::isfinite(*d) || *d < 0 || *d > k_max_duration_s)
      r.fail("duration_s", "must be a number of seconds from 0 to 1e12");
    t.duration_s = *d;
  }
  t.message = r.string("message");
  t.stdout_tail = r.string("stdout_tail");
  t.stderr_tail = r.string("stderr_tail");
  t.started_at = r.string("started_at");
  if (!t.started_at.empty() && !parse_utc(t.started_at)) {
    r.fail("started_at", "is not a UTC timestamp like 2026-11-22T10:00:00.123Z");
  }
  t.host = r.string("host");
  t.run_id = r.string("run_id");
  t.file = r.string("file");
  if (auto line = r.integer("line")) {
    if (*line < 0) r.fail("line", "must be >= 0");
    t.line = static_cast<long>(*line);
  }
  if (auto attempts = r.integer("attempts")) {
    if (*attempts < 1 || *attempts > 1000000) r.fail("attempts", "must be >= 1");
    t.attempts = static_cast<int>(*attempts);
  }
  r.integer("exit_code");
  r.boolean("timed_out");
  r.string("command");
  r.string("log");
  if (const auto* sig = r.find("signal"); sig != nullptr && !sig->is_int64() && !sig->is_string()) {
    r.fail("signal", "must be a signal number, a name or null");
  }
  if (t.message.empty() && t.status == Status::timeout) {
    t.message = "timed out";
  }
  return t;
}

}  // namespace

std::size_t read_jsonl(ChunkReader& reader, const ResultSink& sink) {
  std::string stem = source_stem(reader.source());
  boost::json::parse_options opts;
  opts.allow_invalid_utf8 = true;  // cleaned to U+FFFD afterwards
  // Each line's value lives in an arena over one reused buffer (heap only past 64 KiB): no
  // malloc/free per string or object.
  std::vector<unsigned char> arena_buffer(64 * 1024);
  std::optional<boost::json::monotonic_resource> arena;
  boost::json::parser parser(boost::json::storage_ptr(), opts);
  std::string line;
  std::string repaired;
  std::size_t number = 0;
  std::size_t count = 0;
  while (reader.next_line(line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    std::string where = reader.source() + ":" + std::to_string(number);
    const std::string* text = &line;
    if (may_hold_surrogate_escape(line)) {
      repaired = repair_lone_surrogates(line);
      text = &repaired;
    }
    parser.reset();  // let go of the previous line's arena first
    arena.emplace(arena_buffer.data(), arena_buffer.size());
    parser.reset(boost::json::storage_ptr(&*arena));
    boost::system::error_code ec;
    std::size_t used = parser.write(text->data(), text->size(), ec);
    if (ec) {
      throw UsageError(where + ":" + std::to_string(used + 1) + ": invalid JSON: " + ec.message());
    }
    sink(parse_record(parser.release(), where, stem));
    ++count;
  }
  parser.reset();
  return count;
}

}  // namespace ciutils::report
