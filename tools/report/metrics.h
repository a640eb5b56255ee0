// Prometheus text exposition of one run, for node_exporter's textfile collector or a
// Pushgateway: tests by status, a duration histogram, per-suite gauges, last-run time.
#pragma once

#include "result.h"

#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

// Label value escaping: backslash, double quote and line feed.
std::string prometheus_label(std::string_view value);

// A sample value: the shortest form that reads back exactly ("0.1", "7.05", "1e+12").
std::string metric_number(double v);

// "# HELP name help" and "# TYPE name type" lines.
void metric_header(std::string& out, const char* name, const char* type, const char* help);

constexpr std::size_t k_default_max_series = 10000;

struct RenderedMetrics {
  std::string text;
  std::size_t series = 0;         // samples written
  std::size_t folded_suites = 0;  // suites summed into suite="(other)" to stay within max_series
  std::size_t dropped_series = 0;  // samples left out to stay within max_series
};

// now_s: the run's time in seconds since the epoch (ciutils_report_last_run_timestamp_seconds).
// Per-suite series grow with the classnames; past max_series, the smallest suites (fewest
// tests, then by name) are summed into one suite="(other)" so the totals stay whole.
RenderedMetrics render_metrics(const std::vector<TestResult>& results, double now_s,
                               std::size_t max_series = k_default_max_series);

// The Pushgateway URL for a job and instance: <base>/metrics/job/<job>[/instance/<instance>],
// values that are empty or hold '/' sent in the base64 form (job@base64/…).
std::string pushgateway_url(std::string_view base, std::string_view job, std::string_view instance);

}  // namespace ciutils::report
