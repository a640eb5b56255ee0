#include "payload.h"

#include <ciutils/json.h>

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace ciutils::notify {
namespace {

Destination dest(Service service, std::map<std::string, std::string> params = {}) {
  Destination d;
  d.service = service;
  d.url = "http://127.0.0.1:9/x";
  d.params = std::move(params);
  return d;
}

Alert failing() {
  Alert a;
  a.event = Event::trigger;
  a.key = "opm/t1";
  a.title = "opm/t1: 1 of 2 tests failed";
  a.source = "ci-7";
  a.failed = {{"checkout", "failed", "exit status 1"}};
  a.total = 2;
  a.failures = 1;
  return a;
}

boost::json::value body_of(const HttpRequest& r) { return parse_json(r.body, "body"); }

TEST(SlackEscape, NeutralisesMentionsAndMarkup) {
  EXPECT_EQ(slack_escape("<!channel> a & b > c"), "&lt;!channel&gt; a &amp; b &gt; c");
  EXPECT_EQ(slack_escape("@here @channel @everyone @bob"),
            "@\u200Bhere @\u200Bchannel @\u200Beveryone @bob");
}

TEST(Payload, PagerDutyResolveCarriesOnlyTheKey) {
  auto a = failing();
  a.event = Event::recover;
  auto req = build_http_request(dest(Service::pagerduty, {{"routing_key", "rk"}}), a);
  EXPECT_EQ(req.body, R"({"routing_key":"rk","event_action":"resolve","dedup_key":"opm/t1"})");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.headers, std::vector<std::string>{"Content-Type: application/json"});
}

TEST(Payload, PagerDutyTriggerSeverityFromDestination) {
  auto req = build_http_request(dest(Service::pagerduty, {{"routing_key", "rk"}, {"severity", "warning"}}), failing());
  auto b = body_of(req);
  EXPECT_EQ(b.at_pointer("/payload/severity"), "warning");
  EXPECT_EQ(b.at_pointer("/dedup_key"), "opm/t1");
  EXPECT_EQ(b.at_pointer("/payload/custom_details/failed"), 1);
}

TEST(Payload, VictorOpsMessageTypes) {
  auto a = failing();
  EXPECT_EQ(body_of(build_http_request(dest(Service::victorops), a)).at_pointer("/message_type"), "CRITICAL");
  a.event = Event::recover;
  EXPECT_EQ(body_of(build_http_request(dest(Service::victorops), a)).at_pointer("/message_type"), "RECOVERY");
  a.event = Event::message;
  EXPECT_EQ(body_of(build_http_request(dest(Service::victorops), a)).at_pointer("/message_type"), "INFO");
}

TEST(Payload, ClickatellAuthorizationAndRecipients) {
  auto req = build_http_request(dest(Service::clickatell, {{"api_key", "K"}, {"to", "+27820000001,27820000002"}}),
                                failing());
  EXPECT_NE(std::find(req.headers.begin(), req.headers.end(), "Authorization: K"), req.headers.end());
  EXPECT_EQ(body_of(req).at_pointer("/messages/0/to"), "27820000001");
  EXPECT_EQ(body_of(req).at_pointer("/messages/1/content"), "FAILED: opm/t1: 1 of 2 tests failed (checkout)");
}

TEST(Sms, CutsToOneMessage) {
  Alert a;
  a.title = std::string(200, 'x');
  EXPECT_EQ(sms_text(a).size(), 160u);
  EXPECT_EQ(sms_text(a).substr(157), "...");
  a.title = std::string(100, 'x') + "é";  // non-ASCII: 70 characters
  auto t = sms_text(a);
  EXPECT_EQ(t, std::string(67, 'x') + "...");
}

TEST(Hmac, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(FailedSummary, TrimsAndCounts) {
  Alert a;
  for (int i = 0; i < 50; ++i) a.failed.push_back({"test-" + std::to_string(i), "failed", "boom"});
  auto s = failed_summary(a, 100);
  EXPECT_LE(s.size(), 100u);
  EXPECT_NE(s.find("more"), std::string::npos);
  EXPECT_EQ(s.substr(0, 12), "test-0: boom");
}

TEST(Truncate, KeepsUtf8Whole) {
  EXPECT_EQ(truncate_utf8("héllo", 10), "héllo");
  EXPECT_EQ(truncate_utf8("ééééé", 6), "\xC3\xA9…");
}

TEST(AlertJson, RoundTrips) {
  auto a = failing();
  a.links = {{"https://ci/1", "Run"}};
  auto back = alert_from_json(alert_to_json(a), "x");
  EXPECT_EQ(to_json(alert_to_json(back)), to_json(alert_to_json(a)));
}

}  // namespace
}  // namespace ciutils::notify
