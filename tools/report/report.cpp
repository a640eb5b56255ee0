#include "report.h"

#include "annotate.h"
#include "commands.h"
#include "input.h"
#include "junit_writer.h"
#include "metrics.h"
#include "summary.h"

#include "ciutils/atomic_file.h"
#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/http.h"
#include "ciutils/timestamp.h"

#include <unistd.h>

#include <chrono>
#include <iostream>

namespace ciutils::report {

namespace {

constexpr const char* k_overview =
    "Usage: report COMMAND [OPTIONS] [INPUT...]\n\n"
    "Turns test results into what CI systems and people read. INPUT is a file or - (stdin) holding\n"
    "result records (JSON Lines, as prun writes), TAP 13/14 (bats, prove) or JUnit XML; the format\n"
    "is told from the content.\n\n"
    "Commands:\n"
    "  junit     JUnit XML for Jenkins' junit step, GitLab and GitHub reporters\n"
    "  merge     several JUnit XML files into one, totals recomputed\n"
    "  summary   Markdown for $GITHUB_STEP_SUMMARY, or plain text (--format text)\n"
    "  annotate  GitHub Actions ::error / ::warning annotations\n"
    "  metrics   Prometheus text format (textfile collector), optionally pushed to a Pushgateway\n"
    "  store     append the run to capped history streams in Redis\n"
    "  history   pass rate, flake rate and duration trend from Redis\n"
    "  html      one self-contained HTML page (with --history: trends from Redis)\n"
    "  serve     the live dashboard, /metrics and /api/runs over HTTP, from Redis\n\n"
    "Run 'report COMMAND --help' for a command's options.\n\n";

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

JunitOptions junit_options(const std::string& flaky_as, const std::string& on_duplicate, const std::string& max_output,
                           const std::string& max_failure_output) {
  JunitOptions o;
  o.flaky_as = parse_flaky_as(flaky_as);
  o.on_duplicate = parse_on_duplicate(on_duplicate);
  o.max_output = parse_size(max_output, "--max-output");
  o.max_failure_output = parse_size(max_failure_output, "--max-failure-output");
  o.hostname = host_name();
  o.timestamp = format_utc(std::chrono::system_clock::now(), 0);
  return o;
}

int exit_for(const std::vector<TestResult>& results, bool fail_on_failure) {
  if (!fail_on_failure) return 0;
  for (const auto& r : results) {
    if (is_failure(r.status)) return 1;
  }
  return 0;
}

int cmd_junit(const std::vector<std::string>& args, bool merge) {
  Inputs in;
  CommonOptions common;
  std::string output = "-", suite_name, name = "report", flaky_as = "flaky", on_duplicate = "keep-all";
  std::string max_output = "500", max_failure_output = "50000";
  bool fail_on_failure = false;
  po::options_description visible("Options");
  visible.add_options()("output,o", po::value(&output), "write here, atomically (default: stdout)");
  if (!merge) {
    visible.add_options()("suite-name", po::value(&suite_name), "put every test in one testsuite of this name");
  }
  visible.add_options()
      ("name", po::value(&name), "name of <testsuites> (default: report)")
      ("flaky-as", po::value(&flaky_as),
       "flaky tests as: flaky (flakyFailure elements, default; Surefire's rerun elements kept), pass,\n"
       "duplicate (a failed and a passed testcase); pass and duplicate write no rerun elements")
      ("on-duplicate", po::value(&on_duplicate),
       "same classname+name seen twice: keep-all (default), last, worst (the worse result)")
      ("max-output", po::value(&max_output), "system-out/err of passing tests: bytes kept at each end (default 500)")
      ("max-failure-output", po::value(&max_failure_output),
       "system-out/err of failing tests: bytes kept at each end (default 50000)")
      ("fail-on-failure", po::bool_switch(&fail_on_failure), "exit 1 when a test failed, errored or timed out");
  po::options_description hidden, all;
  add_input_options(hidden, visible, in);
  all.add(hidden);
  po::variables_map vm;
  std::string synopsis = merge ? "report merge [OPTIONS] A.xml B.xml ... [-o all.xml]"
                               : "report junit [OPTIONS] [INPUT...] [-o junit.xml]";
  std::string description =
      merge ? "Merges JUnit XML files (also TAP and result records) into one file, keeping each input's\n"
              "testsuites and recomputing every total."
            : "Writes JUnit XML: one testsuite per classname (or --suite-name), every string cleaned of\n"
              "characters XML 1.0 forbids and of ANSI colour codes. Valid against Jenkins' and the xUnit\n"
              "plugin's schemas (flakyFailure and Surefire's rerun elements only exist in the latter:\n"
              "--flaky-as pass or duplicate avoids them).";
  if (!parse(args, visible, true, common, synopsis, description, "", all, vm)) return 0;
  JunitOptions o = junit_options(flaky_as, on_duplicate, max_output, max_failure_output);
  o.suite_name = suite_name;
  o.name = name;
  o.group_by_input_suite = merge;
  if (in.files.empty()) {
    throw UsageError("no input: give result files (JSON Lines, TAP or JUnit XML), or - for stdin");
  }
  JunitWriter writer(o);
  bool failed = false;
  std::size_t n = read_inputs(
      in.files,
      [&](TestResult&& r) {
        failed = failed || is_failure(r.status);
        writer.add(r);
      },
      warn_on_stderr);
  if (n == 0 && !in.allow_empty) {
    throw UsageError("no test results in " + in.files.front() + (in.files.size() > 1 ? " and the other inputs" : "") +
                     " (--allow-empty writes an empty report)");
  }
  AtomicFile file(output);
  writer.write(file.stream());
  file.commit();
  if (!common.quiet && output != "-") {
    Totals t = writer.totals();
    std::cerr << "report: " << output << ": " << t.tests << " tests in " << writer.suites() << " suites, "
              << t.failures << " failures, " << t.errors << " errors, " << t.skipped << " skipped\n";
  }
  return fail_on_failure && failed ? 1 : 0;
}

int cmd_summary(const std::vector<std::string>& args) {
  Inputs in;
  CommonOptions common;
  std::string output = "-", format = "markdown", max_bytes = "1MiB", title = "Test results";
  bool fail_on_failure = false;
  po::options_description visible("Options");
  visible.add_options()("output,o", po::value(&output), "write here, atomically (default: stdout)")(
      "format", po::value(&format), "markdown (GitHub-flavoured, default) or text (GitLab, Jenkins, terminals)")(
      "max-bytes", po::value(&max_bytes), "never longer than this (default 1MiB, GitHub's step summary limit)")(
      "title", po::value(&title), "heading (default: Test results)")(
      "fail-on-failure", po::bool_switch(&fail_on_failure), "exit 1 when a test failed, errored or timed out");
  po::options_description hidden, all;
  add_input_options(hidden, visible, in);
  all.add(hidden);
  po::variables_map vm;
  if (!parse(args, visible, true, common, "report summary [OPTIONS] [INPUT...] >> \"$GITHUB_STEP_SUMMARY\"",
             "Totals, failed tests first with their messages and output, flaky tests, the slowest tests and\n"
             "the skipped ones; when over --max-bytes the least important parts are left out first.",
             "", all, vm)) {
    return 0;
  }
  SummaryOptions o;
  if (format == "markdown") o.format = SummaryFormat::markdown;
  else if (format == "text") o.format = SummaryFormat::text;
  else throw UsageError("--format: '" + format + "' is not one of markdown, text");
  o.max_bytes = parse_size(max_bytes, "--max-bytes");
  if (o.max_bytes < 64) throw UsageError("--max-bytes: at least 64 bytes");
  o.title = title;
  auto results = read_all(in);
  AtomicFile file(output);
  file.stream() << render_summary(results, o);
  file.commit();
  return exit_for(results, fail_on_failure);
}

int cmd_annotate(const std::vector<std::string>& args) {
  Inputs in;
  CommonOptions common;
  long long max = 10;
  bool fail_on_failure = false;
  std::string max_text = "10";
  po::options_description visible("Options");
  visible.add_options()("max-per-type", po::value(&max_text), "annotations of each type (default 10, GitHub's limit)")(
      "fail-on-failure", po::bool_switch(&fail_on_failure), "exit 1 when a test failed, errored or timed out");
  po::options_description hidden, all;
  add_input_options(hidden, visible, in);
  all.add(hidden);
  po::variables_map vm;
  if (!parse(args, visible, true, common, "report annotate [OPTIONS] [INPUT...]",
             "Prints GitHub Actions workflow commands: ::error for failed, errored and timed-out tests,\n"
             "::warning for flaky ones, with file= and line= when the results know them. Every value is\n"
             "escaped, so test output can never inject a workflow command.",
             "", all, vm)) {
    return 0;
  }
  max = parse_integer(max_text, "--max-per-type", 1, 1000);
  auto results = read_all(in);
  std::cout << render_annotations(results, static_cast<std::size_t>(max));
  std::cout.flush();
  return exit_for(results, fail_on_failure);
}

int cmd_metrics(const std::vector<std::string>& args) {
  Inputs in;
  CommonOptions common;
  std::string output, push, job = "ciutils_report", instance;
  long long max_series = static_cast<long long>(k_default_max_series);
  po::options_description visible("Options");
  visible.add_options()("output,o", po::value(&output), "write the .prom file here, atomically (default: stdout)")(
      "push", po::value(&push), "PUT the metrics to this Pushgateway (http://host:9091)")(
      "job", po::value(&job), "Pushgateway job label (default: ciutils_report)")(
      "instance", po::value(&instance), "Pushgateway instance label (default: none)")(
      "max-series", po::value(&max_series),
      "at most N series: past it the smallest suites are summed as suite=\"(other)\", with a warning "
      "(default 10000)");
  po::options_description hidden, all;
  add_input_options(hidden, visible, in);
  all.add(hidden);
  po::variables_map vm;
  if (!parse(args, visible, true, common, "report metrics [OPTIONS] [INPUT...] [-o FILE.prom] [--push URL]",
             "Prometheus text format without sample timestamps: ciutils_report_tests{status}, a duration\n"
             "histogram, per-suite gauges and ciutils_report_last_run_timestamp_seconds.",
             "", all, vm)) {
    return 0;
  }
  auto results = read_all(in);
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (max_series < 100) throw UsageError("--max-series: must be at least 100, got " + std::to_string(max_series));
  auto rendered = render_metrics(results, now, static_cast<std::size_t>(max_series));
  if (rendered.folded_suites > 0)
    warn_on_stderr(std::to_string(rendered.folded_suites) + " suites summed as suite=\"(other)\" to stay within --max-series " +
                   std::to_string(max_series) + " (classnames make one series per status each)");
  const std::string& text = rendered.text;
  if (!output.empty() || push.empty()) {
    AtomicFile file(output.empty() ? "-" : output);
    file.stream() << text;
    file.commit();
  }
  if (!push.empty()) {
    if (push.rfind("http://", 0) != 0 && push.rfind("https://", 0) != 0) {
      throw UsageError("--push: '" + redact_url(push) + "' is not an http:// or https:// URL");
    }
    curl_global();
    HttpRequest req;
    req.method = "PUT";
    req.url = pushgateway_url(push, job, instance);
    req.headers.push_back("Content-Type: text/plain; version=0.0.4");
    req.body = text;
    req.timeout = std::chrono::seconds(30);
    HttpResponse resp = http_send_with_retry(req, RetryPolicy{});
    if (resp.status < 200 || resp.status >= 300) {
      throw ServiceError("PUT " + redact_url(req.url) + ": HTTP " + std::to_string(resp.status) + " " +
                         resp.body.substr(0, 200));
    }
    if (common.verbose) std::cerr << "report: pushed to " << redact_url(req.url) << "\n";
  }
  return 0;
}

}  // namespace

int run(int argc, char** argv) {
  auto args = args_of(argc, argv);
  if (args.empty()) {
    throw UsageError("COMMAND: missing (junit, merge, summary, annotate, metrics, store, history, html, serve; see report --help)");
  }
  std::string command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << k_overview << k_exit_codes;
    return 0;
  }
  if (command == "--version") {
    std::cout << version_text("report") << "\n";
    return 0;
  }
  if (command == "junit") return cmd_junit(rest, false);
  if (command == "merge") return cmd_junit(rest, true);
  if (command == "summary") return cmd_summary(rest);
  if (command == "annotate") return cmd_annotate(rest);
  if (command == "metrics") return cmd_metrics(rest);
  if (command == "store") return cmd_store(rest);
  if (command == "history") return cmd_history(rest);
  if (command == "html") return cmd_html(rest);
  if (command == "serve") return cmd_serve(rest);
  throw UsageError("'" + command + "': unknown command (junit, merge, summary, annotate, metrics, store, history, html, serve)");
}

}  // namespace ciutils::report
