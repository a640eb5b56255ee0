#include "serve_metrics.h"

namespace ciutils::report {

namespace {

// Appends samples while the budget lasts and counts the rest.
class Budget {
 public:
  explicit Budget(std::size_t max) : m_left(max) {}
  bool take(std::size_t n) {
    if (n <= m_left) {
      m_left -= n;
      m_written += n;
      return true;
    }
    m_left = 0;  // what comes later is left out too, so a lower priority never wins
    m_dropped += n;
    return false;
  }
  std::size_t written() const { return m_written; }
  std::size_t dropped() const { return m_dropped; }

 private:
  std::size_t m_left;
  std::size_t m_written = 0;
  std::size_t m_dropped = 0;
};

std::string label(const char* name, std::string_view value) {
  return std::string(name) + "=\"" + prometheus_label(value) + "\"";
}

}  // namespace

RenderedMetrics render_live_metrics(const LiveState& s, std::size_t max_series) {
  std::string out;
  Budget budget(max_series);

  metric_header(out, "ciutils_notify_alerting", "gauge", "1 while notify's alert for the key is open.");
  std::string failures;
  for (const auto& a : s.alerts) {
    if (!budget.take(2)) continue;
    std::string key = "{" + label("key", a.key) + "} ";
    out += "ciutils_notify_alerting" + key + (a.alerting ? "1" : "0") + "\n";
    failures += "ciutils_notify_alert_failures" + key + std::to_string(a.failures) + "\n";
  }
  metric_header(out, "ciutils_notify_alert_failures", "gauge", "Consecutive failed runs of the alert's key.");
  out += failures;

  metric_header(out, "ciutils_report_runs_finished_total", "counter",
                "Runs stored by 'report store', by suite (classname) and the suite's worst status in the run.");
  for (const auto& f : s.finished) {
    if (!budget.take(1)) continue;
    out += "ciutils_report_runs_finished_total{" + label("suite", f.suite) + "," + label("status", status_name(f.status)) +
           "} " + std::to_string(f.count) + "\n";
  }

  metric_header(out, "ciutils_report_runs_running", "gauge",
                "Tasks schedule workers hold now, by queue and schedule.");
  for (const auto& r : s.running) {
    if (!budget.take(1)) continue;
    out += "ciutils_report_runs_running{" + label("queue", r.queue) + "," + label("schedule", r.schedule) + "} " +
           std::to_string(r.count) + "\n";
  }

  metric_header(out, "ciutils_report_test_last_status", "gauge",
                "1 for each test with the status of its last stored result.");
  std::string durations;
  for (const auto& h : s.latest) {
    if (h.points.empty() || !budget.take(2)) continue;
    auto [suite, name] = split_test_id(h.id);
    const HistoryPoint& p = h.points.back();
    std::string labels = label("suite", suite) + "," + label("test", name);
    out += "ciutils_report_test_last_status{" + labels + "," + label("status", status_name(p.status)) + "} 1\n";
    durations += "ciutils_report_test_last_duration_seconds{" + labels + "} " + metric_number(p.duration_s) + "\n";
  }
  metric_header(out, "ciutils_report_test_last_duration_seconds", "gauge", "Duration of each test's last stored result.");
  out += durations;

  metric_header(out, "ciutils_report_stored_tests", "gauge", "Tests with stored results.");
  out += "ciutils_report_stored_tests " + std::to_string(s.stored_tests) + "\n";
  // Tests past the ones read are left out as well.
  std::size_t unread = s.stored_tests > s.latest.size() ? 2 * (s.stored_tests - s.latest.size()) : 0;
  metric_header(out, "ciutils_report_last_run_timestamp_seconds", "gauge", "When the last run was stored (Unix time).");
  if (s.last_run) {
    out += "ciutils_report_last_run_timestamp_seconds " + metric_number(static_cast<double>(s.last_run->at_ms) / 1000) +
           "\n";
  }
  std::size_t dropped = budget.dropped() + unread;
  metric_header(out, "ciutils_report_series_dropped", "gauge",
                "Series left out to stay within --max-series (raise it, or store fewer distinct tests).");
  out += "ciutils_report_series_dropped " + std::to_string(dropped) + "\n";
  RenderedMetrics rendered;
  rendered.text = std::move(out);
  rendered.series = budget.written() + 3 + (s.last_run ? 1 : 0);
  rendered.dropped_series = dropped;
  return rendered;
}

}  // namespace ciutils::report
