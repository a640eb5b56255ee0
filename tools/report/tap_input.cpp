// TAP 13/14 (bats, prove): plan, ok / not ok, # SKIP / # TODO, YAML diagnostics,
// Bail out!, subtests (indented: the parent's line stands for them), bats --timing.
#include "input.h"
#include "text.h"

#include "ciutils/error.h"

#include <cctype>
#include <cstdlib>
#include <optional>

namespace ciutils::report {

namespace {

// "12", "12.5" milliseconds as seconds; nullopt unless a number from 0 to k_max_duration_s.
std::optional<double> seconds_of_ms(std::string_view text) {
  std::string value(text);
  char* end = nullptr;
  double ms = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(ms >= 0) || ms / 1000.0 > k_max_duration_s) return std::nullopt;
  return ms / 1000.0;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A YAML scalar as written on one line: quotes removed, \n and \" unescaped.
std::string yaml_scalar(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
    std::string out;
    v = v.substr(1, v.size() - 2);
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += v[i];
      if (v[i] == '\'' && i + 1 < v.size() && v[i + 1] == '\'') ++i;
    }
    return out;
  }
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    v = v.substr(1, v.size() - 2);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) {
        char c = v[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return std::string(v);
}

class TapParser {
public:
  TapParser(std::string source, const ResultSink& sink)
      : m_source(std::move(source)), m_stem(source_stem(m_source)), m_sink(sink) {}

  void line(std::string_view text, std::size_t number);
  std::size_t finish();

private:
  [[noreturn]] void fail(std::size_t number, const std::string& what) const {
    throw UsageError(m_source + ":" + std::to_string(number) + ": " + what);
  }
  void flush();
  void test_line(std::string_view text, std::size_t number);
  void plan_line(std::string_view text, std::size_t number);
  void yaml_done();
  void emit(TestResult&& t) {
    ++m_count;
    m_sink(std::move(t));
  }

  std::string m_source;
  std::string m_stem;
  const ResultSink& m_sink;
  std::optional<TestResult> m_pending;
  std::optional<long> m_plan;
  std::size_t m_plan_line = 0;
  bool m_plan_at_end = false;
  std::size_t m_tests = 0;
  std::size_t m_count = 0;
  bool m_bailed = false;
  bool m_in_yaml = false;
  std::size_t m_yaml_indent = 0;
  std::size_t m_yaml_line = 0;
  std::string m_yaml;
  bool m_seen_any = false;
};

void TapParser::flush() {
  if (m_pending) {
    TestResult t = std::move(*m_pending);
    m_pending.reset();
    while (!t.stderr_tail.empty() && t.stderr_tail.back() == '\n') t.stderr_tail.pop_back();
    if (t.message.empty() && is_failure(t.status)) {
      // The first diagnostic line that is not bats' "(in test file …)" / "(from function …)".
      std::string_view rest = t.stderr_tail;
      while (!rest.empty() && t.message.empty()) {
        std::size_t nl = rest.find('\n');
        std::string l = first_line(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (l.rfind("(in test file ", 0) != 0 && l.rfind("(from function ", 0) != 0) t.message = l;
      }
      if (t.message.empty()) t.message = "not ok";
    }
    emit(std::move(t));
  }
}

void TapParser::yaml_done() {
  m_in_yaml = false;
  if (!m_pending) {
    return;
  }
  TestResult& t = *m_pending;
  std::string_view rest = m_yaml;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (l.empty() || l.front() == ' ' || l.front() == '-') continue;  // nested: kept in the output
    std::size_t colon = l.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(l.substr(0, colon));
    std::string value = yaml_scalar(l.substr(colon + 1));
    if (value == "|" || value == ">" || value == "|-" || value == ">-") continue;
    if (key == "message" && t.message.empty()) {
      t.message = clean_text(value);
    } else if (key == "duration_ms") {
      if (auto s = seconds_of_ms(value)) t.duration_s = *s;
    } else if (key == "file" && t.file.empty()) {
      t.file = clean_text(value);
    } else if (key == "line") {
      try {
        t.line = std::stol(value);
      } catch (const std::exception&) {
      }
    } else if (key == "severity" && value == "todo" && t.status == Status::failed) {
      t.status = Status::skipped;
    }
  }
  if (!t.stderr_tail.empty()) t.stderr_tail += "\n";
  t.stderr_tail += clean_text(m_yaml);
  m_yaml.clear();
}

void TapParser::plan_line(std::string_view text, std::size_t number) {
  if (m_plan) {
    fail(number, "a second plan (the first is on line " + std::to_string(m_plan_line) + ")");
  }
  std::string_view rest = text.substr(3);
  std::size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0 || digits > 9) {
    fail(number, "malformed plan '" + clean_text(text) + "' (expected 1..N)");
  }
  m_plan = std::stol(std::string(rest.substr(0, digits)));
  m_plan_line = number;
  m_plan_at_end = m_tests > 0;
  std::string_view after = trim(rest.substr(digits));
  if (!after.empty() && after.front() != '#') {
    fail(number, "malformed plan '" + clean_text(text) + "' (expected 1..N)");
  }
}

void TapParser::test_line(std::string_view text, std::size_t number) {
  if (m_plan && m_plan_at_end) {
    fail(number, "test line after the plan at the end");
  }
  flush();
  ++m_tests;
  TestResult t;
  t.classname = m_stem;
  bool ok = text.substr(0, 2) == "ok";
  std::string_view rest = text.substr(ok ? 2 : 6);
  rest = trim(rest);
  std::size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  std::string_view num = rest.substr(0, digits);
  rest = trim(rest.substr(digits));
  if (rest.substr(0, 2) == "- ") rest = rest.substr(2);
  else if (rest == "-") rest = {};
  // Description up to an unescaped '#'; "\#" stands for '#'.
  std::string description;
  std::string_view directive;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '\\' && i + 1 < rest.size() && (rest[i + 1] == '#' || rest[i + 1] == '\\')) {
      description += rest[++i];
    } else if (rest[i] == '#') {
      directive = trim(rest.substr(i + 1));
      break;
    } else {
      description += rest[i];
    }
  }
  std::string_view desc = trim(description);
  // bats --timing: "ok 1 name in 12ms"
  if (std::size_t in = desc.rfind(" in "); in != std::string_view::npos && desc.size() > in + 6 &&
                                             desc.substr(desc.size() - 2) == "ms") {
    std::string_view ms = desc.substr(in + 4, desc.size() - in - 6);
    if (!ms.empty() && ms.find_first_not_of("0123456789") == std::string_view::npos) {
      // A timing no reader would take back (found by fuzz/report_input) stays in the name.
      if (auto s = seconds_of_ms(ms)) {
        t.duration_s = *s;
        desc = desc.substr(0, in);
      }
    }
  }
  t.name = clean_text(desc);
  if (t.name.empty()) t.name = "test " + (num.empty() ? std::to_string(m_tests) : std::string(num));
  t.status = ok ? Status::passed : Status::failed;
  if (starts_with_ci(directive, "skip")) {
    t.status = Status::skipped;
    std::string reason(trim(directive.substr(4)));
    if (reason.size() >= 2 && reason.front() == '(' && reason.back() == ')') reason = reason.substr(1, reason.size() - 2);
    t.message = clean_text(reason);
  } else if (starts_with_ci(directive, "todo")) {
    if (!ok) {
      t.status = Status::skipped;
      t.message = clean_text("TODO " + std::string(trim(directive.substr(4))));
    }
  }
  m_pending = std::move(t);
}

void TapParser::line(std::string_view text, std::size_t number) {
  if (m_bailed) {
    return;
  }
  if (m_in_yaml) {
    std::string_view body = text.size() >= m_yaml_indent ? text.substr(m_yaml_indent) : trim(text);
    if (trim(text) == "..." && text.find_first_not_of(' ') == m_yaml_indent) {
      yaml_done();
    } else {
      m_yaml.append(body);
      m_yaml += '\n';
    }
    return;
  }
  if (!m_seen_any && starts_with_ci(text, "TAP version")) {
    std::string_view v = trim(text.substr(11));
    if (v != "13" && v != "14") {
      fail(number, "unsupported TAP version '" + clean_text(v) + "' (13 and 14 are)");
    }
    m_seen_any = true;
    return;
  }
  m_seen_any = true;
  if (text.empty()) {
    return;
  }
  if (text.front() == ' ' || text.front() == '\t') {
    std::string_view t = trim(text);
    if (t == "---" && m_pending) {
      m_in_yaml = true;
      m_yaml_indent = text.find_first_not_of(' ');
      m_yaml_line = number;
      return;
    }
    return;  // subtest lines: the parent's ok / not ok line stands for them
  }
  if (text.substr(0, 3) == "ok " || text == "ok" || text.substr(0, 7) == "not ok " || text == "not ok") {
    test_line(text, number);
    return;
  }
  if (text.substr(0, 3) == "1..") {
    plan_line(text, number);
    return;
  }
  if (starts_with_ci(text, "Bail out!")) {
    flush();
    TestResult t;
    t.classname = m_stem;
    t.name = "Bail out!";
    t.status = Status::error;
    t.message = clean_text(trim(text.substr(9)));
    if (t.message.empty()) t.message = "the TAP producer bailed out";
    emit(std::move(t));
    m_bailed = true;
    return;
  }
  if (text.front() == '#') {
    if (m_pending && is_failure(m_pending->status)) {
      std::string_view c = text.substr(1);
      if (!c.empty() && c.front() == ' ') c.remove_prefix(1);
      // bats: "# (in test file tests/x.bats, line 12)"
      if (std::size_t at = c.find("(in test file "); at != std::string_view::npos) {
        std::string_view loc = c.substr(at + 14);
        std::size_t comma = loc.find(", line ");
        if (comma != std::string_view::npos) {
          m_pending->file = clean_text(loc.substr(0, comma));
          std::string_view ln = loc.substr(comma + 7);
          std::size_t d = 0;
          while (d < ln.size() && std::isdigit(static_cast<unsigned char>(ln[d]))) ++d;
          if (d > 0 && d < 10) m_pending->line = std::stol(std::string(ln.substr(0, d)));
        }
      }
      m_pending->stderr_tail += clean_text(c);
      m_pending->stderr_tail += '\n';
    }
    return;
  }
  // Anything else is not TAP and is ignored, as TAP 14 asks.
}

std::size_t TapParser::finish() {
  if (m_in_yaml) {
    fail(m_yaml_line, "YAML diagnostics block not closed with '...'");
  }
  flush();
  if (!m_bailed) {
    if (m_plan && static_cast<std::size_t>(*m_plan) != m_tests) {
      TestResult t;
      t.classname = m_stem;
      t.name = "TAP plan";
      t.status = Status::error;
      t.message = "planned " + std::to_string(*m_plan) + " tests but " + std::to_string(m_tests) + " ran";
      emit(std::move(t));
    } else if (!m_plan && m_tests > 0) {
      TestResult t;
      t.classname = m_stem;
      t.name = "TAP plan";
      t.status = Status::error;
      t.message = "no plan: the producer stopped before the end (" + std::to_string(m_tests) + " tests ran)";
      emit(std::move(t));
    }
  }
  return m_count;
}

}  // namespace

std::size_t read_tap(ChunkReader& reader, const ResultSink& sink) {
  TapParser parser(reader.source(), sink);
  std::string line;
  std::size_t number = 0;
  bool first = true;
  while (reader.next_line(line)) {
    ++number;
    std::string_view text = line;
    if (first && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    first = false;
    parser.line(text, number);
  }
  return parser.finish();
}

}  // namespace ciutils::report
