#include "serve_pages.h"

#include "html.h"
#include "serve_state.h"

#include "ciutils/timestamp.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <map>

namespace ciutils::report {

std::vector<TestResult> latest_results(const std::vector<TestHistory>& histories) {
  std::vector<TestResult> results;
  results.reserve(histories.size());
  for (const auto& h : histories) {
    if (h.points.empty()) continue;
    const HistoryPoint& p = h.points.back();
    TestResult r;
    std::tie(r.classname, r.name) = split_test_id(h.id);
    r.status = p.status;
    r.duration_s = p.duration_s;
    r.run_id = p.run_id;
    r.started_at = format_utc(SysTime(std::chrono::milliseconds(p.at_ms)), 3);
    results.push_back(std::move(r));
  }
  return results;
}

std::string suite_path(std::string_view suite) {
  static const char* k_hex = "0123456789ABCDEF";
  std::string out = "/suite/";
  for (unsigned char c : suite) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                 c == '.' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
  return out;
}

std::string render_overview(const std::vector<TestHistory>& latest, const std::vector<FinishedRuns>& finished,
                            const std::vector<RunPoint>& runs, const PageOptions& po) {
  std::map<std::string, HtmlOptions::SuiteRow> rows;
  auto row = [&](const std::string& suite) -> HtmlOptions::SuiteRow& {
    auto& r = rows[suite];
    if (r.href.empty()) {
      r.name = suite;
      r.href = suite_path(suite);
    }
    return r;
  };
  for (const auto& h : latest) {
    if (h.points.empty()) continue;
    auto& r = row(split_test_id(h.id).first);
    const HistoryPoint& p = h.points.back();
    ++r.tests;
    if (is_failure(p.status)) ++r.failing;
    if (p.status == Status::flaky) ++r.flaky;
    r.last_ms = std::max(r.last_ms, p.at_ms);
  }
  for (const auto& f : finished) {
    auto& r = row(f.suite);
    r.runs += f.count;
    if (is_failure(f.status)) r.failed_runs += f.count;
  }
  HtmlOptions o;
  o.title = po.title;
  o.generated_at = po.generated_at;
  o.refresh_s = po.refresh_s;
  o.events = po.events;
  o.with_history = true;
  o.runs = runs;
  for (auto& [name, r] : rows) o.suites.push_back(std::move(r));
  return render_html(latest_results(latest), o);
}

std::string render_suite_page(std::string_view suite, const std::vector<TestHistory>& histories,
                              const PageOptions& po) {
  HtmlOptions o;
  o.title = po.title.empty() ? "" : " — " + po.title;
  o.title.insert(0, suite.empty() ? std::string_view("(no classname)") : suite);
  o.generated_at = po.generated_at;
  o.refresh_s = po.refresh_s;
  o.events = po.events;
  o.home = "/";
  o.with_history = true;
  o.history = histories;
  // The suite's runs: one point per run id, oldest first, from its tests' results.
  std::map<std::pair<std::int64_t, std::string>, RunPoint> by_run;
  std::map<std::string, std::int64_t> first_seen;
  for (const auto& h : histories) {
    for (const auto& p : h.points) {
      auto [it, added] = first_seen.emplace(p.run_id, p.at_ms);
      if (!added) it->second = std::min(it->second, p.at_ms);
    }
  }
  for (const auto& h : histories) {
    for (const auto& p : h.points) {
      auto& r = by_run[{first_seen[p.run_id], p.run_id}];
      r.at_ms = first_seen[p.run_id];
      r.run_id = p.run_id;
      r.commit = p.commit;
      ++r.tests;
      if (is_failure(p.status)) ++r.failures;
      if (p.status == Status::flaky) ++r.flaky;
      if (p.status == Status::skipped) ++r.skipped;
      r.duration_s += p.duration_s;
    }
  }
  for (auto& [k, r] : by_run) o.runs.push_back(std::move(r));
  return render_html(latest_results(histories), o);
}

std::string run_json(const RunPoint& r) {
  return boost::json::serialize(boost::json::object{{"run_id", r.run_id},
                                                    {"at", format_utc(SysTime(std::chrono::milliseconds(r.at_ms)), 3)},
                                                    {"commit", r.commit},
                                                    {"branch", r.branch},
                                                    {"tests", r.tests},
                                                    {"failures", r.failures},
                                                    {"flaky", r.flaky},
                                                    {"skipped", r.skipped},
                                                    {"duration_s", r.duration_s}});
}

std::string runs_json(const std::vector<RunPoint>& runs) {
  std::string out = "{\"runs\":[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i) out += ',';
    out += run_json(runs[i]);
  }
  return out + "]}\n";
}

}  // namespace ciutils::report
