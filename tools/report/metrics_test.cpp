#include "metrics.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

TEST(Metrics, LabelEscaping) { EXPECT_EQ(prometheus_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd"); }

TEST(Metrics, CountsAndHistogram) {
  TestResult a;
  a.name = "a";
  a.classname = "s\"1";
  a.status = Status::failed;
  a.duration_s = 0.05;
  TestResult b = a;
  b.status = Status::passed;
  b.duration_s = 7;
  std::string text = render_metrics({a, b}, 1700000000.5).text;
  EXPECT_NE(text.find("ciutils_report_tests{status=\"failed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_test_duration_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_test_duration_seconds_bucket{le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_test_duration_seconds_sum 7.05\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_suite_tests{suite=\"s\\\"1\",status=\"passed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_last_run_timestamp_seconds 1700000000.5\n"), std::string::npos);
  EXPECT_NE(text.find("ciutils_report_failed 1\n"), std::string::npos);
}

TEST(Metrics, PushgatewayUrl) {
  EXPECT_EQ(pushgateway_url("http://pg:9091/", "ci", "agent-1"), "http://pg:9091/metrics/job/ci/instance/agent-1");
  EXPECT_EQ(pushgateway_url("http://pg:9091", "a/b", ""), "http://pg:9091/metrics/job@base64/YS9i");
}

}  // namespace
}  // namespace ciutils::report
