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
#include <ostream>

namespace ciutils::report {

namespace {

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

// One line of history's table: the columns padded, the test's name last.
std::string table_row(const std::string& pass, const std::string& flaky, const std::string& runs,
                      const std::string& mean, const std::string& trend, const std::string& test) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%-8s %-8s %-6s %-10s %-7s ", pass.c_str(), flaky.c_str(), runs.c_str(), mean.c_str(),
                trend.c_str());
  return buf + test + "\n";
}

}  // namespace

int cmd_store(Invocation& inv) {
  RunInfo flags;
  flags.run_id = inv.flag("run-id").value_or("");
  flags.commit = inv.flag("commit").value_or("");
  flags.branch = inv.flag("branch").value_or("");
  StoreOptions o;
  o.max_runs = static_cast<std::size_t>(parse_integer(inv.flag("max-runs").value_or("1000"), "--max-runs", 1, 10000000));
  o.max_per_test =
      static_cast<std::size_t>(parse_integer(inv.flag("max-per-test").value_or("200"), "--max-per-test", 1, 10000000));
  o.ttl_ms = parse_duration(inv.flag("ttl").value_or("90d"), "--ttl").count();
  if (o.ttl_ms <= 0) throw UsageError("--ttl: must be positive");
  KeySpace keys = inv.key_space();
  auto results = read_all(inv);
  RunInfo run = run_info_from_env(results, flags);
  Redis redis = Redis::connect(inv.redis_url());
  store_run(redis, keys, results, run, o);
  if (!inv.common.quiet) {
    inv.err << "report: stored run " << run.run_id << " (" << results.size() << " tests) in " << redis.url().redacted()
            << "\n";
  }
  return 0;
}

int cmd_history(Invocation& inv) {
  const std::string test = inv.flag("test").value_or("");
  std::size_t n = static_cast<std::size_t>(parse_integer(inv.flag("last").value_or("20"), "--last", 1, 100000));
  std::size_t max_tests = static_cast<std::size_t>(parse_integer(inv.flag("limit").value_or("50"), "--limit", 1, 1000000));
  HistorySort order = parse_history_sort(inv.flag("sort").value_or("flaky"));
  KeySpace keys = inv.key_space();
  Redis redis = Redis::connect(inv.redis_url());
  std::optional<std::string> filter = inv.flag("test");
  auto histories = load_history(redis, keys, n, max_tests, filter, order);
  if (filter && histories.empty()) {
    throw UsageError("--test: no stored results for '" + test + "'");
  }
  if (inv.common.json) {
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
    inv.out << boost::json::serialize(boost::json::object{{"tests", std::move(tests)}}) << "\n";
    return 0;
  }
  if (histories.empty()) {
    inv.out << "no stored runs\n";
    return 0;
  }
  if (filter) {
    for (const auto& h : histories) {
      inv.out << h.id << "\n";
      for (const auto& p : h.points) {
        inv.out << "  " << format_utc(SysTime(std::chrono::milliseconds(p.at_ms)), 0) << "  " << status_name(p.status)
                  << "  " << secs(p.duration_s) << "  " << p.run_id << (p.commit.empty() ? "" : "  " + p.commit.substr(0, 12))
                  << "\n";
      }
      HistoryStats s = history_stats(h);
      inv.out << "  pass rate " << percent(s.pass_rate) << ", flake rate " << percent(s.flake_rate) << ", mean "
                << secs(s.mean_duration) << ", trend " << signed_percent(s.trend) << " over " << s.runs << " runs\n";
    }
    return 0;
  }
  inv.out << table_row("pass", "flaky", "runs", "mean", "trend", "test");
  for (const auto& h : histories) {
    HistoryStats s = history_stats(h);
    inv.out << table_row(percent(s.pass_rate), percent(s.flake_rate), std::to_string(s.runs), secs(s.mean_duration),
                         signed_percent(s.trend), h.id);
  }
  inv.out.flush();
  return 0;
}

}  // namespace ciutils::report
