#include "serve_events.h"
#include "serve_metrics.h"
#include "serve_pages.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

TestHistory history(std::string id, std::vector<std::pair<Status, double>> points, std::string run = "r") {
  TestHistory h;
  h.id = std::move(id);
  std::int64_t at = 1700000000000;
  for (auto [status, duration] : points) {
    HistoryPoint p;
    p.at_ms = at;
    at += 1000;
    p.status = status;
    p.duration_s = duration;
    p.run_id = run + std::to_string(h.points.size());
    h.points.push_back(p);
  }
  return h;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ServeState, SplitTestIdAtTheFirstSeparator) {
  EXPECT_EQ(split_test_id("web.e2e::checkout"), std::make_pair(std::string("web.e2e"), std::string("checkout")));
  EXPECT_EQ(split_test_id("a::b::c"), std::make_pair(std::string("a"), std::string("b::c")));
  EXPECT_EQ(split_test_id("plain"), std::make_pair(std::string(), std::string("plain")));
}

TEST(ServeState, GlobEscape) { EXPECT_EQ(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\"); }

TEST(ServeMetrics, EverySeriesWithEscapedLabels) {
  LiveState s;
  s.finished = {{"web", Status::passed, 7}, {"we\"b\n", Status::failed, 2}};
  s.latest = {history("web::search", {{Status::failed, 1.5}})};
  s.stored_tests = 1;
  s.running = {{"canary", "login", 1}};
  s.alerts = {{"opm/opm-tests-1", true, 3}};
  RunPoint run;
  run.at_ms = 1700000000500;
  s.last_run = run;
  auto m = render_live_metrics(s, 1000);
  EXPECT_TRUE(has(m.text, "ciutils_report_runs_finished_total{suite=\"web\",status=\"passed\"} 7\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_runs_finished_total{suite=\"we\\\"b\\n\",status=\"failed\"} 2\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_runs_running{queue=\"canary\",schedule=\"login\"} 1\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_test_last_status{suite=\"web\",test=\"search\",status=\"failed\"} 1\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_test_last_duration_seconds{suite=\"web\",test=\"search\"} 1.5\n"));
  EXPECT_TRUE(has(m.text, "ciutils_notify_alerting{key=\"opm/opm-tests-1\"} 1\n"));
  EXPECT_TRUE(has(m.text, "ciutils_notify_alert_failures{key=\"opm/opm-tests-1\"} 3\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_last_run_timestamp_seconds 1700000000.5\n"));
  EXPECT_TRUE(has(m.text, "ciutils_report_series_dropped 0\n"));
  EXPECT_TRUE(has(m.text, "# TYPE ciutils_report_runs_finished_total counter\n"));
  EXPECT_EQ(m.dropped_series, 0u);
}

TEST(ServeMetrics, PastTheCapTestsAreDroppedAndCounted) {
  LiveState s;
  for (int i = 0; i < 10; ++i) s.latest.push_back(history("s::t" + std::to_string(i), {{Status::passed, 1}}));
  s.stored_tests = 25;  // 15 more than were read
  auto m = render_live_metrics(s, 8);
  EXPECT_TRUE(has(m.text, "test=\"t3\""));
  EXPECT_FALSE(has(m.text, "test=\"t4\""));
  EXPECT_EQ(m.dropped_series, 2u * 6 + 2u * 15);
  EXPECT_TRUE(has(m.text, "ciutils_report_series_dropped 42\n"));
}

TEST(ServePages, OverviewListsSuitesAndEscapesHostileNames) {
  std::vector<TestHistory> latest{history("web::<script>alert(1)</script>", {{Status::failed, 2}}),
                                  history("a\"b<i>::ok", {{Status::passed, 1}})};
  PageOptions o;
  o.refresh_s = 5;
  std::string page = render_overview(latest, {{"web", Status::failed, 4}}, {}, o);
  EXPECT_TRUE(has(page, "<meta http-equiv=\"refresh\" content=\"5\">"));
  EXPECT_TRUE(has(page, "href=\"/suite/web\">web</a>"));
  EXPECT_TRUE(has(page, "href=\"/suite/a%22b%3Ci%3E\">a&quot;b&lt;i&gt;</a>"));
  EXPECT_TRUE(has(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(has(page, "<script>alert(1)"));
  EXPECT_FALSE(has(page, "<i>"));
}

TEST(ServePages, SuitePageShowsHistoryAndFlakiness) {
  std::vector<TestHistory> h{history("web::search", {{Status::passed, 1}, {Status::failed, 2}, {Status::flaky, 3}})};
  std::string page = render_suite_page("web", h, PageOptions{});
  EXPECT_TRUE(has(page, "<title>web — Test dashboard</title>"));
  EXPECT_TRUE(has(page, "<table id=\"flaky-tests\">"));
  EXPECT_TRUE(has(page, "<table id=\"test-history\">"));
  EXPECT_TRUE(has(page, "id=\"home\" href=\"/\""));
  EXPECT_TRUE(has(page, "Pass rate over the last 3 runs"));
}

TEST(ServePages, RunsJson) {
  RunPoint r;
  r.at_ms = 1700000000123;
  r.run_id = "n<1>";
  r.tests = 3;
  r.failures = 1;
  EXPECT_EQ(runs_json({r}),
            "{\"runs\":[{\"run_id\":\"n<1>\",\"at\":\"2023-11-14T22:13:20.123Z\",\"commit\":\"\",\"branch\":\"\","
            "\"tests\":3,\"failures\":1,\"flaky\":0,\"skipped\":0,\"duration_s\":0E0}]}\n");
}

TEST(ServeEvents, ARunIsOneEventWhateverItsNames) {
  RunPoint run;
  run.id = "1700000000000-1";
  run.at_ms = 1700000000000;
  run.run_id = "nightly\n\ndata: forged\r";
  run.tests = 3;
  run.failures = 1;
  EXPECT_EQ(run_event(run),
            "id: 1700000000000-1\nevent: run\ndata: {\"run_id\":\"nightly\\n\\ndata: forged\\r\",\"at\":\"2023-11-14T22:13:20.000Z\","
            "\"commit\":\"\",\"branch\":\"\",\"tests\":3,\"failures\":1,\"flaky\":0,\"skipped\":0,\"duration_s\":0E0}\n\n");
}

TEST(ServePages, LivePagesWatchTheirEventsAndRefreshOnlyWithoutJavaScript) {
  PageOptions o;
  o.refresh_s = 10;
  o.events = "/events?since=1-0";
  std::string page = render_suite_page("web", {history("web::a", {{Status::passed, 1}})}, o);
  EXPECT_TRUE(has(page, "<html lang=\"en\" data-events=\"/events?since=1-0\" data-refresh=\"10\">"));
  EXPECT_TRUE(has(page, "img-src data:; connect-src 'self'\">"));
  EXPECT_TRUE(has(page, "<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"));
  EXPECT_TRUE(has(page, "new EventSource(u)"));
  o.events.clear();
  page = render_suite_page("web", {history("web::a", {{Status::passed, 1}})}, o);
  EXPECT_TRUE(has(page, "<html lang=\"en\"><head>"));
  EXPECT_TRUE(has(page, "img-src data:\">"));
  EXPECT_TRUE(has(page, "\n<meta http-equiv=\"refresh\" content=\"10\">\n"));
  EXPECT_FALSE(has(page, "EventSource"));
}

}  // namespace
}  // namespace ciutils::report
