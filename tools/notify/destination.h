// Destinations written as URLs: "slack://${SLACK_WEBHOOK}", "pagerduty://${PD_KEY}?severity=error".
// Secrets come only from ${ENV} references, expanded here and remembered for redaction.
#pragma once

#include <ciutils/secrets.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::notify {

enum class Service {
  webhook, slack, teams, victorops, pagerduty, clickatell, smtp,
  opsgenie, discord, gchat, mattermost, rocketchat, telegram, ntfy, twilio, json
};

std::string_view service_name(Service service);

struct Destination {
  std::string name;  // config name, or the URL as written (${VAR} unexpanded, so secret-free)
  std::string spec;  // the URL as written: what the spool stores, expanded again on flush
  Service service = Service::webhook;
  std::string scheme;                         // "webhook+https", "slack", "smtps", …
  std::string url;                            // the expanded URL the request goes to
  // url = base + path: base is the service's scheme, host, port and base path (what
  // endpoint= replaces), path its own path and query. Both empty after url=.
  std::string base;
  std::string path;
  std::string user;                           // smtp: login
  std::string password;                       // smtp: password
  std::map<std::string, std::string> params;  // service-specific query parameters, expanded
  std::vector<std::string> tags;
  bool required = true;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  int retries = 3;
  std::chrono::milliseconds rate_interval{0};  // minimum spacing between sends; 0: unlimited

  std::string param(const std::string& key, const std::string& fallback = {}) const;
};

// Parses spec; `where` prefixes every error ("--to", "notify.json:4:12"). Unknown schemes,
// unknown parameters, missing ${VAR} and malformed parts throw UsageError.
Destination parse_destination(std::string_view spec, std::string_view where, Secrets& secrets);

// "1/s", "20/1m", "5/10s": the minimum interval between two sends.
std::chrono::milliseconds parse_rate(std::string_view text, std::string_view where);

// %XX decoding ("+" stays "+").
std::string percent_decode(std::string_view text);

// %XX encoding of everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view text);

}  // namespace ciutils::notify
