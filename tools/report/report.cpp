// report's command table: every command's usage, summary, help and flags, declared once.
#include "report.h"

#include "commands.h"

#include <iostream>

namespace ciutils::report {

namespace {

// The flags several commands share, each declared once.
void add_output(po::options_description& desc, const char* meaning = "write here, atomically (default: stdout)") {
  desc.add_options()("output,o", po::value<std::string>()->value_name("FILE"), meaning);
}
void add_allow_empty(po::options_description& desc) {
  desc.add_options()("allow-empty", po::bool_switch(),
                     "accept inputs holding no test results and write an empty report (a 0-byte file is still "
                     "refused)");
}
void add_fail_on_failure(po::options_description& desc) {
  desc.add_options()("fail-on-failure", po::bool_switch(), "exit 1 when a test failed, errored or timed out");
}
void add_title(po::options_description& desc, const char* meaning) {
  desc.add_options()("title", po::value<std::string>()->value_name("TEXT"), meaning);
}
void add_last(po::options_description& desc, const char* meaning) {
  desc.add_options()("last", po::value<std::string>()->value_name("N"), meaning);
}
void add_limit(po::options_description& desc, const char* meaning) {
  desc.add_options()("limit", po::value<std::string>()->value_name("N"), meaning);
}
void add_max_series(po::options_description& desc, const char* meaning) {
  desc.add_options()("max-series", po::value<std::string>()->value_name("N"), meaning);
}

void merge_options(po::options_description& desc) {
  add_output(desc);
  desc.add_options()
      ("name", po::value<std::string>()->value_name("NAME"), "name of <testsuites> (default: report)")
      ("flaky-as", po::value<std::string>()->value_name("MODE"),
       "flaky tests as: flaky (flakyFailure elements, default; Surefire's rerun elements kept), pass, duplicate "
       "(a failed and a passed testcase); pass and duplicate write no rerun elements")
      ("on-duplicate", po::value<std::string>()->value_name("MODE"),
       "same classname+name seen twice: keep-all (default), last, worst (the worse result)")
      ("max-output", po::value<std::string>()->value_name("SIZE"),
       "system-out/err of passing tests: bytes kept at each end (default 500)")
      ("max-failure-output", po::value<std::string>()->value_name("SIZE"),
       "system-out/err of failing tests: bytes kept at each end (default 50000)");
  add_fail_on_failure(desc);
  add_allow_empty(desc);
}

void junit_options(po::options_description& desc) {
  desc.add_options()("suite-name", po::value<std::string>()->value_name("NAME"),
                     "put every test in one testsuite of this name");
  merge_options(desc);
}

void summary_options(po::options_description& desc) {
  add_output(desc);
  desc.add_options()
      ("format", po::value<std::string>()->value_name("FORMAT"),
       "markdown (GitHub-flavoured, default) or text (GitLab, Jenkins, terminals)")
      ("max-bytes", po::value<std::string>()->value_name("SIZE"),
       "never longer than this (default 1MiB, GitHub's step summary limit)");
  add_title(desc, "heading (default: Test results)");
  add_fail_on_failure(desc);
  add_allow_empty(desc);
}

void annotate_options(po::options_description& desc) {
  desc.add_options()("max-per-type", po::value<std::string>()->value_name("N"),
                     "annotations of each type (default 10, GitHub's limit)");
  add_fail_on_failure(desc);
  add_allow_empty(desc);
}

void metrics_options(po::options_description& desc) {
  add_output(desc, "write the .prom file here, atomically (default: stdout)");
  desc.add_options()
      ("push", po::value<std::string>()->value_name("URL"), "PUT the metrics to this Pushgateway (http://host:9091)")
      ("job", po::value<std::string>()->value_name("NAME"), "Pushgateway job label (default: ciutils_report)")
      ("instance", po::value<std::string>()->value_name("NAME"), "Pushgateway instance label (default: none)");
  add_max_series(desc,
                 "at most N series: past it the smallest suites are summed as suite=\"(other)\", with a warning "
                 "(default 10000)");
  add_allow_empty(desc);
}

void store_options(po::options_description& desc) {
  desc.add_options()
      ("run-id", po::value<std::string>()->value_name("ID"),
       "run id (default: the records' run_id, $GITHUB_RUN_ID, $CI_PIPELINE_ID, $BUILD_TAG)")
      ("commit", po::value<std::string>()->value_name("SHA"), "commit (default: $GITHUB_SHA, $CI_COMMIT_SHA, $GIT_COMMIT)")
      ("branch", po::value<std::string>()->value_name("NAME"),
       "branch (default: $GITHUB_HEAD_REF, $GITHUB_REF_NAME, $CI_COMMIT_REF_NAME, $BRANCH_NAME, $GIT_BRANCH)")
      ("max-runs", po::value<std::string>()->value_name("N"), "runs kept in the runs stream (default 1000)")
      ("max-per-test", po::value<std::string>()->value_name("N"), "results kept per test (default 200)")
      ("ttl", po::value<std::string>()->value_name("D"), "forget tests not run for this long (default 90d)");
  add_allow_empty(desc);
}

void history_options(po::options_description& desc) {
  desc.add_options()("test", po::value<std::string>()->value_name("NAME"),
                     "one test: classname::name, or a name (every classname that has it)");
  add_last(desc, "runs to look back over (default 20)");
  desc.add_options()("sort", po::value<std::string>()->value_name("ORDER"),
                     "flaky (default: highest flake rate, then most flips between passing and failing), failures "
                     "(most failed runs), recent (most recently run), name");
  add_limit(desc, "tests listed, the first in --sort order (default 50)");
}

void html_options(po::options_description& desc) {
  add_output(desc);
  add_title(desc, "page title (default: Test report)");
  desc.add_options()("history", po::bool_switch(),
                     "add pass rate and duration over the last runs from Redis ('report store')");
  add_last(desc, "runs shown with --history (default 30)");
  add_limit(desc, "tests shown with --history, most recently run first (default 500)");
  add_allow_empty(desc);
}

void serve_options(po::options_description& desc) {
  desc.add_options()
      ("listen", po::value<std::string>()->value_name("HOST:PORT"),
       "address to serve on (default 127.0.0.1:8080; port 0: any free port)")
      ("tls-cert", po::value<std::string>()->value_name("FILE"), "PEM certificate chain: serve HTTPS only (with --tls-key)")
      ("tls-key", po::value<std::string>()->value_name("FILE"), "PEM private key of --tls-cert")
      ("refresh", po::value<std::string>()->value_name("D"),
       "pages reload when a run is stored; without JavaScript, this often (default 10s; 0: never)");
  add_last(desc, "runs shown, and results per test on a suite's page (default 30)");
  add_limit(desc, "tests on a page, most recently run first (default 5000)");
  add_max_series(desc,
                 "at most N samples on /metrics; what is left out is counted in ciutils_report_series_dropped "
                 "(default 10000)");
  desc.add_options()("rescan", po::value<std::string>()->value_name("D"),
                     "/metrics looks for new alert keys and queues (a SCAN of the namespace) this often (default "
                     "10s; 0: every scrape)");
  add_title(desc, "page title (default: Test dashboard)");
}

constexpr std::string_view k_files = "From result files (INPUT: a file, or - for stdin)";
constexpr std::string_view k_history = "History in Redis";

constexpr Command k_commands[] = {
    {.name = "junit", .group = k_files, .summary = "JUnit XML for Jenkins' junit step, GitLab and GitHub reporters",
     .usage = "report junit [OPTIONS] [INPUT...] [-o junit.xml]",
     .description = "Writes JUnit XML: one testsuite per classname (or --suite-name), every string cleaned of\n"
                    "characters XML 1.0 forbids and of ANSI colour codes. Valid against Jenkins' and the xUnit\n"
                    "plugin's schemas (flakyFailure and Surefire's rerun elements only exist in the latter:\n"
                    "--flaky-as pass or duplicate avoids them).",
     .options = junit_options, .positional = "input", .positional_max = -1, .run = cmd_junit},
    {.name = "merge", .group = k_files, .summary = "several JUnit XML files into one, totals recomputed",
     .usage = "report merge [OPTIONS] A.xml B.xml ... [-o all.xml]",
     .description = "Merges JUnit XML files (also TAP and result records) into one file, keeping each input's\n"
                    "testsuites and recomputing every total.",
     .options = merge_options, .positional = "input", .positional_max = -1, .run = cmd_merge},
    {.name = "summary", .group = k_files, .summary = "Markdown for $GITHUB_STEP_SUMMARY, or plain text (--format text)",
     .usage = "report summary [OPTIONS] [INPUT...] >> \"$GITHUB_STEP_SUMMARY\"",
     .description = "Totals, failed tests first with their messages and output, flaky tests, the slowest tests and\n"
                    "the skipped ones; when over --max-bytes the least important parts are left out first.",
     .options = summary_options, .positional = "input", .positional_max = -1, .run = cmd_summary},
    {.name = "annotate", .group = k_files, .summary = "GitHub Actions ::error / ::warning annotations",
     .usage = "report annotate [OPTIONS] [INPUT...]",
     .description = "Prints GitHub Actions workflow commands: ::error for failed, errored and timed-out tests,\n"
                    "::warning for flaky ones, with file= and line= when the results know them. Every value is\n"
                    "escaped, so test output can never inject a workflow command.",
     .options = annotate_options, .positional = "input", .positional_max = -1, .run = cmd_annotate},
    {.name = "metrics", .group = k_files,
     .summary = "Prometheus text format (textfile collector), optionally pushed to a Pushgateway",
     .usage = "report metrics [OPTIONS] [INPUT...] [-o FILE.prom] [--push URL]",
     .description = "Prometheus text format without sample timestamps: ciutils_report_tests{status}, a duration\n"
                    "histogram, per-suite gauges and ciutils_report_last_run_timestamp_seconds.",
     .options = metrics_options, .positional = "input", .positional_max = -1, .run = cmd_metrics},
    {.name = "html", .group = k_files, .summary = "one self-contained HTML page (with --history: trends from Redis)",
     .usage = "report html [OPTIONS] [INPUT...] [--history] -o report.html",
     .description = "One self-contained HTML file (inline CSS, JS and SVG; loads nothing from the network):\n"
                    "overview, failures with their output, a chart of the slowest tests, every test with a filter.\n"
                    "--redis and --namespace are read with --history only.",
     .options = html_options, .positional = "input", .positional_max = -1, .redis = true, .run = cmd_html},
    {.name = "store", .group = k_history, .summary = "append the run to capped history streams in Redis",
     .usage = "report store [OPTIONS] [INPUT...]",
     .description = "Appends the run to capped Redis streams: <ns>:{report}:runs (one entry per run) and\n"
                    "<ns>:{report}:test:<classname>::<name> (one entry per test and run), indexed by\n"
                    "<ns>:{report}:tests; <ns>:{report}:finished counts runs per suite and worst status.\n"
                    "Each batch is one Lua script using the server's clock.",
     .options = store_options, .positional = "input", .positional_max = -1, .redis = true, .run = cmd_store},
    {.name = "history", .group = k_history, .summary = "pass rate, flake rate and duration trend from Redis",
     .usage = "report history [--test NAME] [--last N] [--sort ORDER] [--limit N] [--json]",
     .description = "Pass rate, flake rate and duration trend per test over the last runs stored by\n"
                    "'report store'. With --test, every stored result of that test.",
     .options = history_options, .redis = true, .run = cmd_history},
    {.name = "serve", .group = k_history, .summary = "the live dashboard, /metrics and /api/runs over HTTP, from Redis",
     .usage = "report serve [--listen HOST:PORT] [--redis URL] [--namespace NS]",
     .description = "Serves the history stored by 'report store', live: / lists every suite, /suite/NAME shows a\n"
                    "suite's tests with their last runs and flakiness, /metrics is Prometheus text (runs finished\n"
                    "by suite and status, running schedule tasks, each test's last status and duration, notify's\n"
                    "alert state), /api/runs is JSON, /events sends each run stored (server-sent events; the pages\n"
                    "reload on them), /health answers ok while Redis does. Runs until SIGTERM or SIGINT (exit\n"
                    "143 / 130 after finishing the requests in flight); exit 3 when Redis cannot be reached at\n"
                    "start.",
     .options = serve_options, .redis = true, .run = cmd_serve},
};

constexpr std::string_view k_exit_codes[] = {"0", "2", "3"};

constexpr Tool k_tool{
    .name = "report",
    .summary = "JUnit XML, CI summaries, annotations, Prometheus metrics and an HTML dashboard from test results",
    .description =
        "Turns test results into what CI systems and people read. INPUT is a file or - (stdin) holding\n"
        "result records (JSON Lines, as prun writes), TAP 13/14 (bats, prove) or JUnit XML; the format\n"
        "is told from the content. Failed tests are reported, not an error: exit 0 unless\n"
        "--fail-on-failure is given.",
    .commands = k_commands,
    .exit_codes = k_exit_codes,
};

}  // namespace

int run(int argc, char** argv) { return run_tool(k_tool, argc, argv, std::cout, std::cerr); }

}  // namespace ciutils::report
