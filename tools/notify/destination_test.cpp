#include "config.h"
#include "destination.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

#include <cstdlib>

namespace ciutils::notify {
namespace {

class DestinationTest : public ::testing::Test {
protected:
  void SetUp() override {
    ::setenv("NOTIFY_TEST_KEY", "s3cr3t-key", 1);
    ::setenv("NOTIFY_TEST_PATH", "T000/B000/XXXXSECRET", 1);
    ::unsetenv("NOTIFY_TEST_MISSING");
  }
  Secrets secrets;
};

TEST_F(DestinationTest, SlackExpandsThePathAndRemembersTheSecret) {
  auto d = parse_destination("slack://${NOTIFY_TEST_PATH}", "--to", secrets);
  EXPECT_EQ(d.service, Service::slack);
  EXPECT_EQ(d.url, "https://hooks.slack.com/services/T000/B000/XXXXSECRET");
  EXPECT_EQ(d.name, "slack://${NOTIFY_TEST_PATH}");
  EXPECT_EQ(secrets.redact(d.url), "https://hooks.slack.com/services/***");
}

TEST_F(DestinationTest, VictorOpsBuildsTheRestEndpoint) {
  auto d = parse_destination("victorops://${NOTIFY_TEST_KEY}/frontend", "--to", secrets);
  EXPECT_EQ(d.url, "https://alert.victorops.com/integrations/generic/20131114/alert/s3cr3t-key/frontend");
}

TEST_F(DestinationTest, EndpointReplacesSchemeHostPortAndBasePathOnly) {
  auto d = parse_destination("pagerduty://${NOTIFY_TEST_KEY}?endpoint=http://127.0.0.1:9/gw/&severity=warning",
                             "--to", secrets);
  EXPECT_EQ(d.url, "http://127.0.0.1:9/gw/v2/enqueue");
  EXPECT_EQ(d.param("routing_key"), "s3cr3t-key");
  EXPECT_EQ(d.param("severity"), "warning");
  EXPECT_EQ(parse_destination("victorops://${NOTIFY_TEST_KEY}/frontend?endpoint=http://vo.internal", "--to", secrets).url,
            "http://vo.internal/integrations/generic/20131114/alert/s3cr3t-key/frontend");
  EXPECT_EQ(parse_destination("slack://T1/B2/${NOTIFY_TEST_KEY}?endpoint=https://proxy:8443", "--to", secrets).url,
            "https://proxy:8443/services/T1/B2/s3cr3t-key");
  EXPECT_EQ(parse_destination("teams://h.example.com/workflows/abc?sig=${NOTIFY_TEST_KEY}&endpoint=http://127.0.0.1:9",
                              "--to", secrets)
                .url,
            "http://127.0.0.1:9/workflows/abc?sig=s3cr3t-key");
  EXPECT_EQ(parse_destination("webhook+https://example.com/hook?a=b&endpoint=http://127.0.0.1:9/base", "--to", secrets).url,
            "http://127.0.0.1:9/base/hook?a=b");
  EXPECT_THROW(parse_destination("pagerduty://${NOTIFY_TEST_KEY}?endpoint=http://h/?x=1", "--to", secrets), UsageError);
}

TEST_F(DestinationTest, UrlReplacesTheWholeUrl) {
  auto d = parse_destination("pagerduty://${NOTIFY_TEST_KEY}?url=http://127.0.0.1:9/any/path%3Fq%3D1", "--to", secrets);
  EXPECT_EQ(d.url, "http://127.0.0.1:9/any/path?q=1");
  EXPECT_THROW(parse_destination("pagerduty://${NOTIFY_TEST_KEY}?url=http://h/a&endpoint=http://h", "--to", secrets),
               UsageError);
}

TEST_F(DestinationTest, CommonParameters) {
  auto d = parse_destination("webhook+https://example.com/hook?timeout=2s&retries=1&required=false&rate=2/s&a=b",
                             "--to", secrets);
  EXPECT_EQ(d.url, "https://example.com/hook?a=b");
  EXPECT_EQ(d.timeout, std::chrono::seconds(2));
  EXPECT_EQ(d.retries, 1);
  EXPECT_FALSE(d.required);
  EXPECT_EQ(d.rate_interval, std::chrono::milliseconds(500));
}

TEST_F(DestinationTest, ClickatellRecipients) {
  auto d = parse_destination("clickatell://${NOTIFY_TEST_KEY}/+27820000001,27820000002", "--to", secrets);
  EXPECT_EQ(d.param("api_key"), "s3cr3t-key");
  EXPECT_EQ(d.param("to"), "+27820000001,27820000002");
  EXPECT_THROW(parse_destination("clickatell://${NOTIFY_TEST_KEY}/12ab", "--to", secrets), UsageError);
}

TEST_F(DestinationTest, SmtpUserinfoAndParameters) {
  auto d = parse_destination("smtp://ci:${NOTIFY_TEST_KEY}@mail.example.com:587?from=ci@example.com&to=a@example.com,b@example.com&cafile=/x.pem",
                             "--to", secrets);
  EXPECT_EQ(d.url, "smtp://mail.example.com:587");
  EXPECT_EQ(d.user, "ci");
  EXPECT_EQ(d.password, "s3cr3t-key");
  EXPECT_EQ(d.param("cafile"), "/x.pem");
  EXPECT_THROW(parse_destination("smtp://mail.example.com?to=a@example.com", "--to", secrets), UsageError);
}

TEST_F(DestinationTest, Errors) {
  auto message = [&](const std::string& spec) {
    try {
      parse_destination(spec, "--to", secrets);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("gopher://x"),
            "--to: unknown scheme 'gopher' (expected webhook+https, webhook+http, slack, teams, victorops, "
            "pagerduty, clickatell, smtp, smtps, opsgenie, discord, gchat, mmost, mmosts, rocket, rockets, tgram, "
            "ntfy, ntfys, twilio, json+https, json+http, jsons or json)");
  EXPECT_EQ(message("slack://${NOTIFY_TEST_MISSING}"), "--to: ${NOTIFY_TEST_MISSING} is not set");
  EXPECT_EQ(message("victorops://onlykey"), "--to: victorops:// expects API_KEY/ROUTING_KEY");
  EXPECT_EQ(message("slack://a/b/c?colour=red"), "--to: unknown parameter 'colour' for slack://");
  EXPECT_EQ(message("pagerduty://${NOTIFY_TEST_KEY}?severity=high"),
            "--to: severity: expected critical, error, warning or info, got 'high'");
  EXPECT_EQ(message("pagerduty://R0UT1NGKEY"),
            "--to: the PagerDuty routing key must come from the environment as ${VAR}, not be written literally");
  EXPECT_EQ(message("slack://T0/B0/XXXX"),
            "--to: the Slack webhook path must come from the environment as ${VAR}, not be written literally");
  EXPECT_EQ(message("smtp://u:pw@h?from=a@b.c&to=d@e.f"),
            "--to: the SMTP password must come from the environment as ${VAR}, not be written literally");
  EXPECT_EQ(message("webhook+https://h/x?hmac=k3y"),
            "--to: hmac must come from the environment as ${VAR}, not be written literally");
  EXPECT_EQ(message("nonsense"), "--to: 'nonsense' is not a destination URL (scheme://…)");
}

TEST_F(DestinationTest, ConfigWithNamesAndTags) {
  auto config = parse_config(R"({"destinations": {
    "oncall": {"url": "victorops://${NOTIFY_TEST_KEY}/frontend", "tags": ["frontend"]},
    "chat": {"url": "slack://${NOTIFY_TEST_PATH}", "tags": ["frontend", "backend"], "required": false, "timeout": "3s"}
  }})",
                             "notify.json", secrets);
  ASSERT_EQ(config.destinations.size(), 2u);
  ASSERT_NE(config.find("chat"), nullptr);
  EXPECT_FALSE(config.find("chat")->required);
  EXPECT_EQ(config.find("chat")->timeout, std::chrono::seconds(3));
  EXPECT_EQ(config.tagged("frontend").size(), 2u);
  EXPECT_EQ(config.tagged("backend").size(), 1u);
  EXPECT_TRUE(config.tagged("nope").empty());
}

TEST_F(DestinationTest, ConfigErrorsNameTheLine) {
  try {
    parse_config("{\"destinations\": {\n  \"x\": {\"url\": \"slack://a\", \"colour\": 1}}}", "n.json", secrets);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, 7), "n.json:");
    EXPECT_NE(std::string(e.what()).find("unknown field 'colour'"), std::string::npos);
  }
}

TEST(RateTest, Parses) {
  EXPECT_EQ(parse_rate("1/s", "x"), std::chrono::seconds(1));
  EXPECT_EQ(parse_rate("20/1m", "x"), std::chrono::seconds(3));
  EXPECT_THROW(parse_rate("fast", "x"), UsageError);
}

TEST(PercentEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("opm/opm-tests_1.x~"), "opm%2Fopm-tests_1.x~");
  EXPECT_EQ(percent_encode("a b+c&é"), "a%20b%2Bc%26%C3%A9");
  EXPECT_EQ(percent_decode(percent_encode("k/ä?#%")), "k/ä?#%");
}

TEST_F(DestinationTest, ApprisesSchemesMapToTheirServices) {
  EXPECT_EQ(parse_destination("jsons://h/p", "x", secrets).url, "https://h/p");
  EXPECT_EQ(parse_destination("json://h:8080/p?a=1", "x", secrets).url, "http://h:8080/p?a=1");
  EXPECT_EQ(parse_destination("mmost://h/${NOTIFY_TEST_KEY}", "x", secrets).url, "http://h:8065/hooks/s3cr3t-key");
  EXPECT_EQ(parse_destination("ntfy://topic", "x", secrets).url, "https://ntfy.sh/");
  EXPECT_EQ(parse_destination("opsgenie://${NOTIFY_TEST_KEY}?region=eu", "x", secrets).url,
            "https://api.eu.opsgenie.com/v2/alerts");
}

}  // namespace
}  // namespace ciutils::notify
