#include "annotate.h"
#include "run_stats.h"
#include "text.h"

namespace ciutils::report {

namespace {

std::string escape(std::string_view text, bool property) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      case ':':
        if (property) out += "%3A"; else out += c;
        break;
      case ',':
        if (property) out += "%2C"; else out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string command(const char* type, const TestResult& r, std::string_view title, std::string_view message) {
  std::string out = "::";
  out += type;
  std::string props;
  if (!r.file.empty()) {
    props += "file=" + escape(r.file, true);
    if (r.line > 0) props += ",line=" + std::to_string(r.line);
  }
  if (!props.empty()) props += ',';
  props += "title=" + escape(utf8_prefix(title, 255), true);
  out += ' ' + props + "::" + escape(message, false) + "\n";
  return out;
}

// What a failure says: its message and a short, cleaned tail of its output.
std::string message_of(const TestResult& r) {
  std::string m = r.message.empty() ? std::string(status_name(r.status)) : r.message;
  const std::string& output = r.stderr_tail.empty() ? r.stdout_tail : r.stderr_tail;
  if (!output.empty() && output != r.message) {
    m += "\n" + std::string(tail_of(output, 1024));
  }
  return std::string(utf8_prefix(m, 4096));
}

std::string names(const std::vector<const TestResult*>& rest) {
  std::string out;
  for (std::size_t i = 0; i < rest.size() && i < 50; ++i) {
    out += (i ? ", " : "") + rest[i]->classname + " › " + rest[i]->name;
  }
  if (rest.size() > 50) out += ", …";
  return out;
}

void emit(std::string& out, const char* type, const std::vector<const TestResult*>& list, std::size_t max,
          const char* what, const char* verb) {
  if (list.empty() || max == 0) return;
  bool summarise = list.size() > max;
  std::size_t individual = summarise ? max - 1 : list.size();
  for (std::size_t i = 0; i < individual; ++i) {
    const TestResult& r = *list[i];
    std::string title = r.classname + " › " + r.name + " " + (r.status == Status::timeout ? "timed out" : r.status == Status::error ? "errored" : verb);
    out += command(type, r, title, message_of(r));
  }
  if (summarise) {
    std::vector<const TestResult*> rest(list.begin() + static_cast<std::ptrdiff_t>(individual), list.end());
    TestResult none;
    out += command(type, none, std::to_string(rest.size()) + " more " + what, names(rest));
  }
}

}  // namespace

std::string escape_command_data(std::string_view text) { return escape(text, false); }
std::string escape_command_property(std::string_view text) { return escape(text, true); }

std::string render_annotations(const std::vector<TestResult>& results, std::size_t max_per_type) {
  std::string out;
  auto failures = failures_of(results);
  emit(out, "error", failures, max_per_type, "failed tests", "failed");
  emit(out, "warning", with_status(results, Status::flaky), max_per_type, "flaky tests", "is flaky");
  return out;
}

}  // namespace ciutils::report
