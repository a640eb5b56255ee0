// report junit, merge, summary, annotate and metrics, and the result files every command reads.
#include "commands.h"

#include "annotate.h"
#include "input.h"
#include "junit_writer.h"
#include "metrics.h"
#include "summary.h"

#include "ciutils/atomic_file.h"
#include "ciutils/error.h"
#include "ciutils/http.h"
#include "ciutils/timestamp.h"

#include <unistd.h>

#include <chrono>
#include <iostream>

namespace ciutils::report {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

JunitOptions junit_options(const Invocation& inv) {
  JunitOptions o;
  o.flaky_as = parse_flaky_as(inv.flag("flaky-as").value_or("flaky"));
  o.on_duplicate = parse_on_duplicate(inv.flag("on-duplicate").value_or("keep-all"));
  o.max_output = parse_size(inv.flag("max-output").value_or("500"), "--max-output");
  o.max_failure_output = parse_size(inv.flag("max-failure-output").value_or("50000"), "--max-failure-output");
  o.name = inv.flag("name").value_or("report");
  o.suite_name = inv.flag("suite-name").value_or("");
  o.hostname = host_name();
  o.timestamp = format_utc(std::chrono::system_clock::now(), 0);
  return o;
}

// junit and merge: results streamed into the writer, never all held at once.
int write_junit(Invocation& inv, bool merge) {
  JunitOptions o = junit_options(inv);
  o.group_by_input_suite = merge;
  const std::string output = inv.flag("output").value_or("-");
  auto files = input_files(inv);
  JunitWriter writer(o);
  bool failed = false;
  std::size_t n = read_inputs(
      files,
      [&](TestResult&& r) {
        failed = failed || is_failure(r.status);
        writer.add(r);
      },
      warn_on_stderr);
  if (n == 0 && !allow_empty(inv)) throw no_results(files);
  AtomicFile file(output);
  writer.write(file.stream());
  file.commit();
  if (!inv.common.quiet && output != "-") {
    Totals t = writer.totals();
    inv.err << "report: " << output << ": " << t.tests << " tests in " << writer.suites() << " suites, "
            << t.failures << " failures, " << t.errors << " errors, " << t.skipped << " skipped\n";
  }
  return exit_for(inv, failed);
}

void push_metrics(const Invocation& inv, const std::string& push, const std::string& text) {
  if (push.rfind("http://", 0) != 0 && push.rfind("https://", 0) != 0) {
    throw UsageError("--push: '" + redact_url(push) + "' is not an http:// or https:// URL");
  }
  curl_global();
  HttpRequest req;
  req.method = "PUT";
  req.url = pushgateway_url(push, inv.flag("job").value_or("ciutils_report"), inv.flag("instance").value_or(""));
  req.headers.push_back("Content-Type: text/plain; version=0.0.4");
  req.body = text;
  req.timeout = std::chrono::seconds(30);
  HttpResponse resp = http_send_with_retry(req, RetryPolicy{});
  if (resp.status < 200 || resp.status >= 300) {
    throw ServiceError("PUT " + redact_url(req.url) + ": HTTP " + std::to_string(resp.status) + " " +
                       resp.body.substr(0, 200));
  }
  if (inv.common.verbose) inv.err << "report: pushed to " << redact_url(req.url) << "\n";
}

}  // namespace

std::vector<std::string> input_files(const Invocation& inv) {
  if (inv.vm.count("input") == 0) {
    throw UsageError("INPUT: missing: give result files (JSON Lines, TAP or JUnit XML), or - for stdin");
  }
  return inv.vm["input"].as<std::vector<std::string>>();
}

bool allow_empty(const Invocation& inv) { return inv.value_or<bool>("allow-empty", false); }

UsageError no_results(const std::vector<std::string>& files) {
  const std::string hint = " (--allow-empty writes an empty report)";
  if (files.size() == 1) return UsageError(files.front() + ": no test results" + hint);
  const std::size_t others = files.size() - 1;
  return UsageError("INPUT: no test results in " + files.front() + " or the " + std::to_string(others) + " other input" +
                    (others > 1 ? "s" : "") + hint);
}

std::vector<TestResult> read_all(const Invocation& inv) {
  auto files = input_files(inv);
  std::vector<TestResult> results;
  read_inputs(files, [&](TestResult&& r) { results.push_back(std::move(r)); }, warn_on_stderr);
  if (results.empty() && !allow_empty(inv)) throw no_results(files);
  return results;
}

bool any_failure(const std::vector<TestResult>& results) {
  for (const auto& r : results) {
    if (is_failure(r.status)) return true;
  }
  return false;
}

int exit_for(const Invocation& inv, bool failed) {
  return failed && inv.value_or<bool>("fail-on-failure", false) ? 1 : 0;
}

void warn_on_stderr(const std::string& text) { std::cerr << "report: warning: " << text << "\n"; }

int cmd_junit(Invocation& inv) { return write_junit(inv, false); }

int cmd_merge(Invocation& inv) { return write_junit(inv, true); }

int cmd_summary(Invocation& inv) {
  SummaryOptions o;
  const std::string format = inv.flag("format").value_or("markdown");
  if (format == "markdown") o.format = SummaryFormat::markdown;
  else if (format == "text") o.format = SummaryFormat::text;
  else throw UsageError("--format: '" + format + "' is not one of markdown, text");
  o.max_bytes = parse_size(inv.flag("max-bytes").value_or("1MiB"), "--max-bytes");
  if (o.max_bytes < 64) throw UsageError("--max-bytes: at least 64 bytes");
  o.title = inv.flag("title").value_or("Test results");
  auto results = read_all(inv);
  AtomicFile file(inv.flag("output").value_or("-"));
  file.stream() << render_summary(results, o);
  file.commit();
  return exit_for(inv, any_failure(results));
}

int cmd_annotate(Invocation& inv) {
  long long max = parse_integer(inv.flag("max-per-type").value_or("10"), "--max-per-type", 1, 1000);
  auto results = read_all(inv);
  inv.out << render_annotations(results, static_cast<std::size_t>(max));
  inv.out.flush();
  return exit_for(inv, any_failure(results));
}

int cmd_metrics(Invocation& inv) {
  const std::string output = inv.flag("output").value_or("");
  const std::string push = inv.flag("push").value_or("");
  long long max_series = parse_integer(inv.flag("max-series").value_or(std::to_string(k_default_max_series)),
                                       "--max-series", 0, 100000000);
  auto results = read_all(inv);
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (max_series < 100) throw UsageError("--max-series: must be at least 100, got " + std::to_string(max_series));
  auto rendered = render_metrics(results, now, static_cast<std::size_t>(max_series));
  if (rendered.folded_suites > 0)
    warn_on_stderr(std::to_string(rendered.folded_suites) + " suites summed as suite=\"(other)\" to stay within --max-series " +
                   std::to_string(max_series) + " (classnames make one series per status each)");
  if (!output.empty() || push.empty()) {
    AtomicFile file(output.empty() ? "-" : output);
    file.stream() << rendered.text;
    file.commit();
  }
  if (!push.empty()) push_metrics(inv, push, rendered.text);
  return 0;
}

}  // namespace ciutils::report
