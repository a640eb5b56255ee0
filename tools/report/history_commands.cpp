// report store / report history.
#include "commands.h"
#include "history.h"

#include "ciutils/atomic_file.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <iostream>

namespace ciutils::report {

namespace {

constexpr const char* k_redis_env =
    "Environment:\n"
    "  REDIS_URL          redis://[user:password@]host:port/db, rediss://… (TLS) or unix:///path.sock\n"
    "                     (flag --redis wins)\n"
    "  CIUTILS_REDIS_CACERT, CIUTILS_REDIS_CERT, CIUTILS_REDIS_KEY\n"
    "                     rediss://: the CA to trust, a client certificate and its key\n"
    "  CIUTILS_NAMESPACE  key prefix when --namespace is not given (default ciutils)\n";

std::string percent(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

std::string secs(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", v);
  return buf;
}

std::string signed_percent(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%+.0f%%", v * 100);
  return buf;
}

}  // namespace

int cmd_store(const std::vector<std::string>& args) {
  Inputs in;
  CommonOptions common;
  std::string redis_url, ns, max_runs = "1000", max_per_test = "200", ttl = "90d";
  RunInfo flags;
  po::options_description visible("Options");
  add_redis_options(visible, redis_url, ns);
  visible.add_options()(
      "run-id", po::value(&flags.run_id), "run id (default: the records' run_id, $GITHUB_RUN_ID, $CI_PIPELINE_ID, $BUILD_TAG)")(
      "commit", po::value(&flags.commit), "commit (default: $GITHUB_SHA, $CI_COMMIT_SHA, $GIT_COMMIT)")(
      "branch", po::value(&flags.branch),
      "branch (default: $GITHUB_HEAD_REF, $GITHUB_REF_NAME, $CI_COMMIT_REF_NAME, $BRANCH_NAME, $GIT_BRANCH)")(
      "max-runs", po::value(&max_runs), "runs kept in the runs stream (default 1000)")(
      "max-per-test", po::value(&max_per_test), "results kept per test (default 200)")(
      "ttl", po::value(&ttl), "forget tests not run for this long (default 90d)");
  po::options_description hidden, all;
  add_input_options(hidden, visible, in);
  all.add(hidden);
  po::variables_map vm;
  if (!parse(args, visible, true, common, "report store [OPTIONS] [INPUT...]",
             "Appends the run to capped Redis streams: <ns>:{report}:runs (one entry per run) and\n"
             "<ns>:{report}:test:<classname>::<name> (one entry per test and run), indexed by\n"
             "<ns>:{report}:tests; <ns>:{report}:finished counts runs per suite and worst status.\n"
             "Each batch is one Lua script using the server's clock.",
             k_redis_env, all, vm)) {
    return 0;
  }
  StoreOptions o;
  o.max_runs = static_cast<std::size_t>(parse_integer(max_runs, "--max-runs", 1, 10000000));
  o.max_per_test = static_cast<std::size_t>(parse_integer(max_per_test, "--max-per-test", 1, 10000000));
  o.ttl_ms = parse_duration(ttl, "--ttl").count();
  if (o.ttl_ms <= 0) throw UsageError("--ttl: must be positive");
  KeySpace keys = key_space(vm, ns);
  auto results = read_all(in);
  RunInfo run = run_info_from_env(results, flags);
  Redis redis = connect_redis(redis_url);
  store_run(redis, keys, results, run, o);
  if (!common.quiet) {
    std::cerr << "report: stored run " << run.run_id << " (" << results.size() << " tests) in "
              << redis.url().redacted() << "\n";
  }
  return 0;
}

int cmd_history(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string redis_url, ns, test, last = "20", limit = "50", sort = "flaky";
  po::options_description visible("Options");
  add_redis_options(visible, redis_url, ns);
  visible.add_options()(
      "test", po::value(&test), "one test: classname::name, or a name (every classname that has it)")(
      "last", po::value(&last), "runs to look back over (default 20)")(
      "sort", po::value(&sort)->value_name("ORDER"),
      "flaky (default: highest flake rate, then most flips between passing and failing), failures (most "
      "failed runs), recent (most recently run), name")(
      "limit", po::value(&limit), "tests listed, the first in --sort order (default 50)");
  po::options_description all;
  po::variables_map vm;
  if (!parse(args, visible, false, common, "report history [--test NAME] [--last N] [--sort ORDER] [--limit N] [--json]",
             "Pass rate, flake rate and duration trend per test over the last runs stored by\n"
             "'report store'. With --test, every stored result of that test.",
             k_redis_env, all, vm)) {
    return 0;
  }
  std::size_t n = static_cast<std::size_t>(parse_integer(last, "--last", 1, 100000));
  std::size_t max_tests = static_cast<std::size_t>(parse_integer(limit, "--limit", 1, 1000000));
  HistorySort order = parse_history_sort(sort);
  KeySpace keys = key_space(vm, ns);
  Redis redis = connect_redis(redis_url);
  std::optional<std::string> filter;
  if (vm.count("test")) filter = test;
  auto histories = load_history(redis, keys, n, max_tests, filter, order);
  if (filter && histories.empty()) {
    throw UsageError("--test: no stored results for '" + test + "'");
  }
  if (common.json) {
    boost::json::array tests;
    for (const auto& h : histories) {
      HistoryStats s = history_stats(h);
      boost::json::object o;
      o["test"] = h.id;
      o["runs"] = s.runs;
      o["passed"] = s.passed;
      o["failed"] = s.failed;
      o["flaky"] = s.flaky;
      o["skipped"] = s.skipped;
      o["pass_rate"] = s.pass_rate;
      o["flake_rate"] = s.flake_rate;
      o["mean_duration_s"] = s.mean_duration;
      o["duration_trend"] = s.trend;
      o["flips"] = s.flips;
      if (filter) {
        boost::json::array points;
        for (const auto& p : h.points) {
          points.push_back(boost::json::object{
              {"at", format_utc(SysTime(std::chrono::milliseconds(p.at_ms)), 3)},
              {"run_id", p.run_id},
              {"commit", p.commit},
              {"status", status_name(p.status)},
              {"duration_s", p.duration_s}});
        }
        o["results"] = std::move(points);
      }
      tests.push_back(std::move(o));
    }
    std::cout << boost::json::serialize(boost::json::object{{"tests", std::move(tests)}}) << "\n";
    return 0;
  }
  if (histories.empty()) {
    std::cout << "no stored runs\n";
    return 0;
  }
  if (filter) {
    for (const auto& h : histories) {
      std::cout << h.id << "\n";
      for (const auto& p : h.points) {
        std::cout << "  " << format_utc(SysTime(std::chrono::milliseconds(p.at_ms)), 0) << "  " << status_name(p.status)
                  << "  " << secs(p.duration_s) << "  " << p.run_id << (p.commit.empty() ? "" : "  " + p.commit.substr(0, 12))
                  << "\n";
      }
      HistoryStats s = history_stats(h);
      std::cout << "  pass rate " << percent(s.pass_rate) << ", flake rate " << percent(s.flake_rate) << ", mean "
                << secs(s.mean_duration) << ", trend " << signed_percent(s.trend) << " over " << s.runs << " runs\n";
    }
    return 0;
  }
  std::printf("%-8s %-8s %-6s %-10s %-7s %s\n", "pass", "flaky", "runs", "mean", "trend", "test");
  for (const auto& h : histories) {
    HistoryStats s = history_stats(h);
    std::printf("%-8s %-8s %-6zu %-10s %-7s %s\n", percent(s.pass_rate).c_str(), percent(s.flake_rate).c_str(), s.runs,
                secs(s.mean_duration).c_str(), signed_percent(s.trend).c_str(), h.id.c_str());
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace ciutils::report
