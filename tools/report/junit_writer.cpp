#include "junit_writer.h"
#include "text.h"

#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <algorithm>
#include <cstring>

namespace ciutils::report {

FlakyAs parse_flaky_as(std::string_view text) {
  if (text == "flaky") return FlakyAs::flaky;
  if (text == "pass") return FlakyAs::pass;
  if (text == "duplicate") return FlakyAs::duplicate;
  throw UsageError("--flaky-as: '" + std::string(text) + "' is not one of flaky, pass, duplicate");
}

OnDuplicate parse_on_duplicate(std::string_view text) {
  if (text == "keep-all") return OnDuplicate::keep_all;
  if (text == "last") return OnDuplicate::last;
  if (text == "worst") return OnDuplicate::worst;
  throw UsageError("--on-duplicate: '" + std::string(text) + "' is not one of keep-all, last, worst");
}

namespace {

std::string format_time(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

void attr(std::string& out, const char* name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  append_xml_escaped(out, value, true);
  out += '"';
}

void element(std::string& out, const char* name, std::string_view text) {
  out += "      <";
  out += name;
  out += '>';
  append_xml_escaped(out, text, false);
  out += "</";
  out += name;
  out += ">\n";
}

// message + the tail of what the test printed, for a failure's body.
std::string failure_body(const TestResult& r, const JunitOptions& o) {
  if (!r.details.empty()) {
    return trim_middle(r.details, o.max_failure_output, o.max_failure_output);
  }
  std::string body = r.message;
  const std::string& output = r.stderr_tail.empty() ? r.stdout_tail : r.stderr_tail;
  if (!output.empty()) {
    body += body.empty() ? "" : "\n\n";
    body += tail_of(output, 4096);
  }
  return body;
}

void open_case(std::string& out, const TestResult& r, double time) {
  out += "    <testcase";
  attr(out, "name", r.name);
  attr(out, "classname", r.classname);
  attr(out, "time", format_time(time));
  out += ">\n";
}

void outputs(std::string& out, const TestResult& r, std::size_t keep, std::string_view note = {}) {
  if (!r.stdout_tail.empty() || !note.empty()) {
    element(out, "system-out", std::string(note) + trim_middle(r.stdout_tail, keep, keep));
  }
  if (!r.stderr_tail.empty()) {
    element(out, "system-err", trim_middle(r.stderr_tail, keep, keep));
  }
}

void fault(std::string& out, const char* name, const char* type, const TestResult& r, const JunitOptions& o) {
  out += "      <";
  out += name;
  attr(out, "message", r.message.empty() ? std::string(type) : first_line(r.message));
  attr(out, "type", r.fault_type.empty() || r.status == Status::timeout ? std::string_view(type) : r.fault_type);
  out += '>';
  append_xml_escaped(out, failure_body(r, o), false);
  out += "</";
  out += name;
  out += ">\n";
}

// A rerun as Surefire writes it and Jenkins reads it (CaseResult's flaky and rerun
// failures): message and type attributes, the details in <stackTrace>, the attempt's
// own output in <system-out> / <system-err>.
void rerun(std::string& out, const Rerun& r, const JunitOptions& o) {
  out += "      <";
  out += rerun_element(r.kind);
  if (!r.message.empty()) attr(out, "message", r.message);
  attr(out, "type", r.type);  // required by junit-10.xsd
  out += ">\n";
  auto child = [&](const char* name, const std::string& text) {
    if (text.empty()) return;
    out += "  ";
    element(out, name, trim_middle(text, o.max_failure_output, o.max_failure_output));
  };
  child("stackTrace", r.stack_trace);
  child("system-out", r.stdout_text);
  child("system-err", r.stderr_text);
  out += "      </";
  out += rerun_element(r.kind);
  out += ">\n";
}

// Reruns read from the input; with none, a flaky result gets one flakyFailure per
// failed attempt, the first holding the message and output tail in <stackTrace>.
void reruns(std::string& out, const TestResult& r, const JunitOptions& o) {
  if (!r.reruns.empty()) {
    for (const Rerun& each : r.reruns) rerun(out, each, o);
    return;
  }
  if (r.status != Status::flaky) return;
  int failed_attempts = r.attempts > 1 ? r.attempts - 1 : 1;
  Rerun made;
  made.message = r.message.empty() ? std::string("flaky") : first_line(r.message);
  made.type = "flaky";
  made.stack_trace = failure_body(r, o);
  for (int i = 0; i < failed_attempts && i < 100; ++i) {
    rerun(out, made, o);
    made.stack_trace.clear();
  }
}

}  // namespace

std::string render_testcase(const TestResult& r, const JunitOptions& o, Totals& counts) {
  std::string out;
  out.reserve(256 + r.message.size());
  counts.tests += 1;
  counts.time += r.duration_s;
  switch (r.status) {
    case Status::passed:
      open_case(out, r, r.duration_s);
      outputs(out, r, o.max_output);
      break;
    case Status::skipped:
      open_case(out, r, r.duration_s);
      // Text, not a message attribute: jenkins-junit.xsd gives <skipped> no attributes.
      element(out, "skipped", r.message);
      outputs(out, r, o.max_output);
      counts.skipped += 1;
      break;
    case Status::failed:
    case Status::timeout:
      open_case(out, r, r.duration_s);
      fault(out, "failure", r.status == Status::timeout ? "timeout" : "failure", r, o);
      outputs(out, r, o.max_failure_output);
      counts.failures += 1;
      break;
    case Status::error:
      open_case(out, r, r.duration_s);
      fault(out, "error", "error", r, o);
      outputs(out, r, o.max_failure_output);
      counts.errors += 1;
      break;
    case Status::flaky: {
      int failed_attempts = r.attempts > 1 ? r.attempts - 1 : 1;
      std::string what = "flaky: passed on attempt " + std::to_string(failed_attempts + 1) +
                         (r.message.empty() ? std::string() : "; earlier failure: " + first_line(r.message));
      if (o.flaky_as == FlakyAs::duplicate) {
        TestResult failed = r;
        failed.message = what;
        open_case(out, failed, 0);
        fault(out, "failure", "flaky", failed, o);
        out += "    </testcase>\n";
        counts.tests += 1;
        counts.failures += 1;
        open_case(out, r, r.duration_s);
        outputs(out, r, o.max_output);
      } else if (o.flaky_as == FlakyAs::pass) {
        open_case(out, r, r.duration_s);
        outputs(out, r, o.max_output, "[" + what + "]\n");
      } else {
        open_case(out, r, r.duration_s);
        outputs(out, r, o.max_output);
      }
      break;
    }
  }
  // jenkins-junit.xsd has no place for reruns: only --flaky-as flaky writes them.
  if (o.flaky_as == FlakyAs::flaky) reruns(out, r, o);
  out += "    </testcase>\n";
  return out;
}

namespace {
constexpr std::size_t k_pending_budget = 4 * 1024 * 1024;  // all suites' pending bytes
constexpr std::size_t k_block_max = 64 * 1024;
constexpr std::size_t k_block_min = 4 * 1024;
}  // namespace

JunitWriter::JunitWriter(JunitOptions options) : m_options(std::move(options)), m_spool(std::tmpfile()) {
  if (!m_spool) {
    throw Error(ExitCode::tool_failed, std::string("cannot create a temporary file: ") + std::strerror(errno));
  }
}

void JunitWriter::add_counts(Totals& t, const Entry& e) {
  t.tests += e.tests;
  t.failures += e.failures;
  t.errors += e.errors;
  t.skipped += e.skipped;
  t.time += e.time;
}

void JunitWriter::flush(Suite& suite) {
  if (suite.pending.empty()) return;
  if (std::fwrite(suite.pending.data(), 1, suite.pending.size(), m_spool.get()) != suite.pending.size()) {
    throw Error(ExitCode::tool_failed, std::string("writing the temporary file: ") + std::strerror(errno));
  }
  suite.blocks.push_back(Block{m_spool_size, suite.size - suite.pending.size(),
                               static_cast<std::uint32_t>(suite.pending.size())});
  m_spool_size += suite.pending.size();
  suite.pending.clear();
}

void JunitWriter::add(const TestResult& r) {
  const std::string& suite_name = !m_options.suite_name.empty() ? m_options.suite_name
                                  : m_options.group_by_input_suite && !r.suite.empty() ? r.suite
                                                                                       : r.classname;
  auto [it, inserted] = m_suite_index.try_emplace(suite_name, m_suites.size());
  if (inserted) {
    m_suites.push_back(Suite{});
    m_suites.back().name = suite_name;
  }
  Suite& suite = m_suites[it->second];
  if (suite.hostname.empty() && !r.host.empty()) suite.hostname = r.host;
  if (!r.started_at.empty()) {
    if (auto t = parse_utc(r.started_at)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
      if (ms < suite.earliest) {
        suite.earliest = ms;
      }
    } else if (suite.timestamp.empty()) {
      suite.timestamp = r.started_at;  // as read from JUnit input
    }
  }

  Totals counts;
  std::string xml = render_testcase(r, m_options, counts);
  std::size_t block_cap = std::clamp(k_pending_budget / m_suites.size(), k_block_min, k_block_max);
  if (!suite.pending.empty() && suite.pending.size() + xml.size() > block_cap) {
    flush(suite);
  }
  Entry entry;
  entry.offset = suite.size;
  entry.length = static_cast<std::uint32_t>(xml.size());
  entry.tests = static_cast<std::uint8_t>(counts.tests);
  entry.failures = static_cast<std::uint8_t>(counts.failures);
  entry.errors = static_cast<std::uint8_t>(counts.errors);
  entry.skipped = static_cast<std::uint8_t>(counts.skipped);
  entry.time = counts.time;
  suite.pending += xml;
  suite.size += xml.size();
  if (suite.pending.size() >= block_cap) {
    flush(suite);
  }

  if (m_options.on_duplicate != OnDuplicate::keep_all) {
    std::string key = r.classname + '\x1f' + r.name;
    int sev = severity(r.status);
    auto found = m_seen.find(key);
    if (found != m_seen.end()) {
      Where& w = found->second;
      if (m_options.on_duplicate == OnDuplicate::worst && sev < w.severity) {
        suite.entries.push_back(entry);
        suite.entries.back().live = false;  // the earlier result is worse: keep it
        return;
      }
      m_suites[w.suite].entries[w.entry].live = false;
    }
    m_seen[key] = Where{it->second, suite.entries.size(), sev};
  }
  suite.entries.push_back(entry);
}

Totals JunitWriter::totals() const {
  Totals t;
  for (const auto& s : m_suites) {
    for (const auto& e : s.entries) {
      if (e.live) add_counts(t, e);
    }
  }
  return t;
}

void JunitWriter::write(std::ostream& out) {
  for (auto& s : m_suites) flush(s);
  if (std::fflush(m_spool.get()) != 0) {
    throw Error(ExitCode::tool_failed, std::string("writing the temporary file: ") + std::strerror(errno));
  }
  int fd = fileno(m_spool.get());
  Totals all = totals();
  std::string head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites";
  attr(head, "name", m_options.name);
  attr(head, "tests", std::to_string(all.tests));
  attr(head, "failures", std::to_string(all.failures));
  attr(head, "errors", std::to_string(all.errors));
  attr(head, "time", format_time(all.time));
  head += ">\n";
  out << head;
  std::string buffer;
  std::size_t id = 0;
  for (const auto& s : m_suites) {
    Totals t;
    bool all_live = true;
    for (const auto& e : s.entries) {
      if (e.live) add_counts(t, e);
      else all_live = false;
    }
    if (t.tests == 0) continue;
    std::string timestamp = s.timestamp;
    if (s.earliest != INT64_MAX) {
      timestamp = format_utc(SysTime(std::chrono::milliseconds(s.earliest)), 0);
    }
    if (timestamp.empty()) timestamp = m_options.timestamp;
    if (!timestamp.empty() && timestamp.back() == 'Z') timestamp.pop_back();  // Ant's form: UTC, no zone
    std::string open = "  <testsuite";
    attr(open, "name", s.name);
    attr(open, "tests", std::to_string(t.tests));
    attr(open, "failures", std::to_string(t.failures));
    attr(open, "errors", std::to_string(t.errors));
    attr(open, "skipped", std::to_string(t.skipped));
    attr(open, "time", format_time(t.time));
    attr(open, "timestamp", timestamp);
    attr(open, "hostname", s.hostname.empty() ? m_options.hostname : s.hostname);
    attr(open, "id", std::to_string(id++));
    open += ">\n";
    out << open;
    std::size_t next_entry = 0;
    for (const auto& b : s.blocks) {
      buffer.resize(b.length);
      std::size_t done = 0;
      while (done < b.length) {
        ssize_t n = ::pread(fd, buffer.data() + done, b.length - done, static_cast<off_t>(b.spool_offset + done));
        if (n <= 0) {
          throw Error(ExitCode::tool_failed, std::string("reading the temporary file: ") + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
      }
      if (all_live) {
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        continue;
      }
      while (next_entry < s.entries.size() && s.entries[next_entry].offset < b.suite_offset + b.length) {
        const Entry& e = s.entries[next_entry++];
        if (e.live) {
          out.write(buffer.data() + (e.offset - b.suite_offset), static_cast<std::streamsize>(e.length));
        }
      }
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace ciutils::report
