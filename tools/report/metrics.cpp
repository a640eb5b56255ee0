#include "metrics.h"
#include "run_stats.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace ciutils::report {

std::string metric_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  std::string s = buf;
  // Short forms for round numbers: 0.1 rather than 0.10000000000000001.
  std::snprintf(buf, sizeof buf, "%.6g", v);
  if (std::strtod(buf, nullptr) == v) return buf;
  return s;
}

void metric_header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string prometheus_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

constexpr std::array<double, 11> k_buckets{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

std::string base64url(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
    i += 3;
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool plain_path_segment(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string pushgateway_url(std::string_view base, std::string_view job, std::string_view instance) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto segment = [&](const char* label, std::string_view value) {
    if (plain_path_segment(value)) {
      url += "/" + std::string(label) + "/" + std::string(value);
    } else {
      url += "/" + std::string(label) + "@base64/" + (value.empty() ? std::string("=") : base64url(value));
    }
  };
  url += "/metrics";
  segment("job", job);
  if (!instance.empty()) segment("instance", instance);
  return url;
}

RenderedMetrics render_metrics(const std::vector<TestResult>& results, double now_s, std::size_t max_series) {
  RunStats stats = run_stats(results);
  std::string out;
  metric_header(out, "ciutils_report_tests", "gauge", "Tests of the last run by status.");
  for (Status s : k_statuses) {
    out += "ciutils_report_tests{status=\"" + std::string(status_name(s)) + "\"} " +
           std::to_string(stats.count(s)) + "\n";
  }
  metric_header(out, "ciutils_report_failed", "gauge", "1 when the last run had a failed, errored or timed-out test.");
  out += "ciutils_report_failed " + std::string(stats.failures() > 0 ? "1" : "0") + "\n";

  metric_header(out, "ciutils_report_test_duration_seconds", "histogram", "Durations of the tests of the last run.");
  std::array<std::size_t, k_buckets.size()> counts{};
  std::size_t timed = 0;
  double sum = 0;
  for (const auto& r : results) {
    if (r.status == Status::skipped) continue;
    ++timed;
    sum += r.duration_s;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      if (r.duration_s <= k_buckets[i]) ++counts[i];
    }
  }
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    out += "ciutils_report_test_duration_seconds_bucket{le=\"" + metric_number(k_buckets[i]) + "\"} " +
           std::to_string(counts[i]) + "\n";
  }
  out += "ciutils_report_test_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(timed) + "\n";
  out += "ciutils_report_test_duration_seconds_sum " + metric_number(sum) + "\n";
  out += "ciutils_report_test_duration_seconds_count " + std::to_string(timed) + "\n";

  struct SuiteStats {
    std::array<std::size_t, 6> by_status{};
    double duration = 0;
  };
  std::map<std::string, SuiteStats> suites;
  for (const auto& r : results) {
    auto& s = suites[r.classname];
    s.by_status[static_cast<std::size_t>(r.status)] += 1;
    s.duration += r.duration_s;
  }
  // Each suite is k_statuses.size() + 1 series; the rest is fixed.
  std::size_t fixed = k_statuses.size() + 1 + k_buckets.size() + 3 + 1;
  std::size_t per_suite = k_statuses.size() + 1;
  std::size_t room = max_series > fixed ? (max_series - fixed) / per_suite : 0;
  std::size_t folded = 0;
  if (suites.size() > room) {
    std::vector<std::pair<std::size_t, std::string>> by_size;
    for (const auto& [name, s] : suites) {
      std::size_t n = 0;
      for (auto c : s.by_status) n += c;
      by_size.push_back({n, name});
    }
    std::sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    SuiteStats other;
    std::size_t keep = room > 0 ? room - 1 : 0;  // one place for "(other)"
    for (std::size_t i = keep; i < by_size.size(); ++i) {
      auto it = suites.find(by_size[i].second);
      for (std::size_t k = 0; k < other.by_status.size(); ++k) other.by_status[k] += it->second.by_status[k];
      other.duration += it->second.duration;
      suites.erase(it);
      ++folded;
    }
    suites["(other)"] = other;
  }
  metric_header(out, "ciutils_report_suite_tests", "gauge", "Tests of the last run by suite (classname) and status.");
  for (const auto& [name, s] : suites) {
    for (Status st : k_statuses) {
      out += "ciutils_report_suite_tests{suite=\"" + prometheus_label(name) + "\",status=\"" + status_name(st) +
             "\"} " + std::to_string(s.by_status[static_cast<std::size_t>(st)]) + "\n";
    }
  }
  metric_header(out, "ciutils_report_suite_duration_seconds", "gauge", "Summed test durations of the last run by suite.");
  for (const auto& [name, s] : suites) {
    out += "ciutils_report_suite_duration_seconds{suite=\"" + prometheus_label(name) + "\"} " + metric_number(s.duration) +
           "\n";
  }
  metric_header(out, "ciutils_report_last_run_timestamp_seconds", "gauge", "When the last run was reported (Unix time).");
  out += "ciutils_report_last_run_timestamp_seconds " + metric_number(now_s) + "\n";
  RenderedMetrics rendered{std::move(out), fixed + suites.size() * per_suite, folded};
  return rendered;
}

}  // namespace ciutils::report
