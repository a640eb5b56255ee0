// JUnit XML in (for merging and every other output), streamed through libexpat.
// A DOCTYPE is refused outright: no DTD, no entity expansion (billion laughs), no
// external entities (XXE).
#include "input.h"
#include "text.h"

#include "ciutils/error.h"

#include <expat.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ciutils::report {

namespace {

constexpr std::size_t k_max_text = 8 * 1024 * 1024;  // per captured element

struct ParserFree {
  void operator()(XML_Parser p) const { XML_ParserFree(p); }
};

enum class Capture { none, failure, error, skipped, out, err, rerun };
// A child of flakyFailure / rerunFailure (Surefire 2.22.1 on; before, the trace was the text).
enum class RerunField { none, stack_trace, out, err };

class JunitReader {
public:
  JunitReader(std::string source, const ResultSink& sink, const WarningSink& warn)
      : m_source(std::move(source)), m_sink(sink), m_warn(warn) {}

  std::size_t parse(ChunkReader& reader);

private:
  static const char* attr(const XML_Char** atts, const char* name) {
    for (int i = 0; atts[i] != nullptr; i += 2) {
      if (std::strcmp(atts[i], name) == 0) return atts[i + 1];
    }
    return nullptr;
  }
  static void on_start(void* self, const XML_Char* name, const XML_Char** atts) {
    static_cast<JunitReader*>(self)->start(name, atts);
  }
  static void on_end(void* self, const XML_Char* name) { static_cast<JunitReader*>(self)->end(name); }
  static void on_text(void* self, const XML_Char* s, int len) {
    auto* r = static_cast<JunitReader*>(self);
    std::string& text = r->m_rerun_field != RerunField::none ? r->m_rerun_text : r->m_text;
    if (r->m_capture != Capture::none && text.size() < k_max_text) {
      text.append(s, static_cast<std::size_t>(len));
    }
  }
  static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    auto* r = static_cast<JunitReader*>(self);
    r->stop("a DOCTYPE is not allowed in JUnit XML (DTDs and entities are refused)");
  }
  static void on_entity_decl(void* self, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                             const XML_Char*, const XML_Char*, const XML_Char*) {
    static_cast<JunitReader*>(self)->stop("entity declarations are refused");
  }

  void stop(std::string why) {
    if (m_error.empty()) {
      m_error = where() + ": " + std::move(why);
    }
    XML_StopParser(m_parser, XML_FALSE);
  }
  std::string where() const {
    return m_source + ":" + std::to_string(XML_GetCurrentLineNumber(m_parser)) + ":" +
           std::to_string(XML_GetCurrentColumnNumber(m_parser) + 1);
  }
  void start(const char* name, const XML_Char** atts);
  void end(const char* name);
  void start_rerun(const char* name, const XML_Char** atts);
  void end_rerun_field();

  std::string m_source;
  const ResultSink& m_sink;
  const WarningSink& m_warn;
  std::size_t m_unnamed = 0;
  XML_Parser m_parser = nullptr;
  std::string m_error;
  std::size_t m_depth = 0;
  std::size_t m_count = 0;
  struct Suite {
    std::string name, timestamp, hostname;
  };
  std::vector<Suite> m_suites;
  bool m_in_case = false;
  TestResult m_case;
  Capture m_capture = Capture::none;
  std::string m_text;
  std::string m_capture_message;
  bool m_capture_timeout = false;
  std::size_t m_capture_depth = 0;
  std::string m_capture_type;
  RerunField m_rerun_field = RerunField::none;
  std::string m_rerun_text;
};

void JunitReader::start(const char* name, const XML_Char** atts) {
  ++m_depth;
  if (m_depth == 1 && std::strcmp(name, "testsuites") != 0 && std::strcmp(name, "testsuite") != 0) {
    stop(std::string("not JUnit XML: the root element is <") + name + ">, not <testsuites> or <testsuite>");
    return;
  }
  if (std::strcmp(name, "testsuite") == 0 && !m_in_case) {
    Suite s;
    const char* n = attr(atts, "name");
    s.name = n != nullptr ? clean_text(n) : (m_suites.empty() ? "" : m_suites.back().name);
    const char* ts = attr(atts, "timestamp");
    s.timestamp = ts != nullptr ? clean_text(ts) : (m_suites.empty() ? "" : m_suites.back().timestamp);
    const char* host = attr(atts, "hostname");
    s.hostname = host != nullptr ? clean_text(host) : (m_suites.empty() ? "" : m_suites.back().hostname);
    m_suites.push_back(std::move(s));
    return;
  }
  if (std::strcmp(name, "testcase") == 0 && !m_in_case) {
    m_in_case = true;
    m_case = TestResult{};
    const char* n = attr(atts, "name");
    if (n == nullptr) {
      // One unnamed test must not cost the other results of the file.
      m_case.name = "(unnamed #" + std::to_string(++m_unnamed) + ")";
      if (m_warn) m_warn(where() + ": <testcase> without a name attribute; kept as \"" + m_case.name + "\"");
    } else {
      m_case.name = clean_text(n);
    }
    const char* cls = attr(atts, "classname");
    m_case.suite = m_suites.empty() ? "" : m_suites.back().name;
    m_case.classname = cls != nullptr ? clean_text(cls) : m_case.suite;
    if (m_case.classname.empty()) m_case.classname = source_stem(m_source);
    if (m_case.suite.empty()) m_case.suite = m_case.classname;
    if (!m_suites.empty()) {
      m_case.started_at = m_suites.back().timestamp;
      m_case.host = m_suites.back().hostname;
    }
    if (const char* t = attr(atts, "time")) {
      std::string v(t);
      std::erase(v, ',');
      char* endp = nullptr;
      double d = std::strtod(v.c_str(), &endp);
      if (endp == v.c_str() || *endp != '\0' || !(d >= 0) || d > k_max_duration_s) {
        stop("<testcase name=\"" + m_case.name + "\">: time=\"" + clean_text(t) + "\" is not a number of seconds");
        return;
      }
      m_case.duration_s = d;
    }
    if (const char* f = attr(atts, "file")) m_case.file = clean_text(f);
    if (const char* l = attr(atts, "line")) m_case.line = std::strtol(l, nullptr, 10);
    return;
  }
  if (m_capture == Capture::rerun && m_depth == m_capture_depth + 1 && m_rerun_field == RerunField::none) {
    if (std::strcmp(name, "stackTrace") == 0) m_rerun_field = RerunField::stack_trace;
    else if (std::strcmp(name, "system-out") == 0) m_rerun_field = RerunField::out;
    else if (std::strcmp(name, "system-err") == 0) m_rerun_field = RerunField::err;
    m_rerun_text.clear();
    return;
  }
  if (!m_in_case || m_capture != Capture::none) {
    return;
  }
  Capture c = Capture::none;
  if (std::strcmp(name, "failure") == 0) c = Capture::failure;
  else if (std::strcmp(name, "error") == 0) c = Capture::error;
  else if (std::strcmp(name, "skipped") == 0) c = Capture::skipped;
  else if (std::strcmp(name, "system-out") == 0) c = Capture::out;
  else if (std::strcmp(name, "system-err") == 0) c = Capture::err;
  else if (std::strcmp(name, "flakyFailure") == 0 || std::strcmp(name, "flakyError") == 0 ||
           std::strcmp(name, "rerunFailure") == 0 || std::strcmp(name, "rerunError") == 0) {
    c = Capture::rerun;
    start_rerun(name, atts);
  }
  m_capture = c;
  m_text.clear();
  const char* msg = attr(atts, "message");
  m_capture_message = msg != nullptr ? clean_text(msg) : "";
  const char* type = attr(atts, "type");
  m_capture_timeout = type != nullptr && std::strcmp(type, "timeout") == 0;
  m_capture_type = type != nullptr ? clean_text(type) : "";
  m_capture_depth = m_depth;
}

void JunitReader::start_rerun(const char* name, const XML_Char** atts) {
  Rerun rerun;
  bool flaky = name[0] == 'f';
  bool error = std::strcmp(name + std::strlen(name) - 5, "Error") == 0;
  rerun.kind = flaky ? (error ? Rerun::Kind::flaky_error : Rerun::Kind::flaky_failure)
                     : (error ? Rerun::Kind::rerun_error : Rerun::Kind::rerun_failure);
  if (const char* type = attr(atts, "type")) rerun.type = clean_text(type);
  if (const char* msg = attr(atts, "message")) rerun.message = clean_text(msg);
  m_case.reruns.push_back(std::move(rerun));
  ++m_case.attempts;
  if (flaky && m_case.status == Status::passed) m_case.status = Status::flaky;
}

void JunitReader::end_rerun_field() {
  Rerun& rerun = m_case.reruns.back();
  std::string& field = m_rerun_field == RerunField::stack_trace ? rerun.stack_trace
                       : m_rerun_field == RerunField::out       ? rerun.stdout_text
                                                                : rerun.stderr_text;
  field += clean_text(m_rerun_text);
  m_rerun_field = RerunField::none;
  m_rerun_text.clear();
}

void JunitReader::end(const char* name) {
  if (m_capture == Capture::rerun && m_depth == m_capture_depth + 1) {
    if (m_rerun_field != RerunField::none) end_rerun_field();
  } else if (m_capture != Capture::none && m_depth == m_capture_depth) {
    std::string text = clean_text(m_text);
    switch (m_capture) {
      case Capture::failure:
      case Capture::error: {
        Status s = m_capture == Capture::error ? Status::error
                   : m_capture_timeout        ? Status::timeout
                                              : Status::failed;
        if (severity(s) > severity(m_case.status)) m_case.status = s;
        m_case.message = m_capture_message.empty() ? first_line(text) : m_capture_message;
        m_case.details = text;
        m_case.fault_type = m_capture_type;
        break;
      }
      case Capture::skipped:
        if (m_case.status == Status::passed) m_case.status = Status::skipped;
        m_case.message = m_capture_message.empty() ? first_line(text) : m_capture_message;
        break;
      case Capture::out: m_case.stdout_tail += text; break;
      case Capture::err: m_case.stderr_tail += text; break;
      case Capture::rerun: {
        Rerun& rerun = m_case.reruns.back();
        // Before Surefire 2.22.1 the trace was the element's own text.
        if (rerun.stack_trace.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos) {
          rerun.stack_trace = text;
        }
        if (m_case.message.empty()) {
          m_case.message = !rerun.message.empty() ? rerun.message : first_line(rerun.stack_trace);
        }
        break;
      }
      case Capture::none: break;
    }
    m_capture = Capture::none;
  } else if (std::strcmp(name, "testcase") == 0 && m_in_case && m_capture == Capture::none) {
    m_in_case = false;
    ++m_count;
    m_sink(std::move(m_case));
  } else if (std::strcmp(name, "testsuite") == 0 && !m_in_case && !m_suites.empty()) {
    m_suites.pop_back();
  }
  --m_depth;
}

std::size_t JunitReader::parse(ChunkReader& reader) {
  std::unique_ptr<XML_ParserStruct, ParserFree> parser(XML_ParserCreate(nullptr));
  if (!parser) throw std::bad_alloc();
  m_parser = parser.get();
  XML_SetUserData(m_parser, this);
  XML_SetElementHandler(m_parser, on_start, on_end);
  XML_SetCharacterDataHandler(m_parser, on_text);
  XML_SetStartDoctypeDeclHandler(m_parser, on_doctype);
  XML_SetEntityDeclHandler(m_parser, on_entity_decl);
  XML_SetParamEntityParsing(m_parser, XML_PARAM_ENTITY_PARSING_NEVER);
  while (true) {
    std::string_view chunk = reader.next();
    bool last = chunk.empty();
    if (XML_Parse(m_parser, chunk.data(), static_cast<int>(chunk.size()), last ? XML_TRUE : XML_FALSE) ==
        XML_STATUS_ERROR) {
      if (!m_error.empty()) throw UsageError(m_error);
      throw UsageError(where() + ": malformed XML: " + XML_ErrorString(XML_GetErrorCode(m_parser)));
    }
    if (!m_error.empty()) throw UsageError(m_error);
    if (last) break;
  }
  return m_count;
}

}  // namespace

std::size_t read_junit_xml(ChunkReader& reader, const ResultSink& sink, const WarningSink& warn) {
  JunitReader r(reader.source(), sink, warn);
  return r.parse(reader);
}

}  // namespace ciutils::report
