// 'report serve''s /metrics: Prometheus text format of the live state, within a cap on
// the series it writes.
#pragma once

#include "metrics.h"
#include "serve_state.h"

namespace ciutils::report {

// Runs finished by suite and status (counters), tasks running by queue and schedule,
// each test's last status and duration, notify's alert state. Past max_series samples,
// the rest is left out (alert state first kept, then counters, then running tasks, then
// tests most recently run first) and counted in ciutils_report_series_dropped; the count
// is in RenderedMetrics::dropped_series.
RenderedMetrics render_live_metrics(const LiveState& state, std::size_t max_series);

}  // namespace ciutils::report
