// The exact request each service expects for an alert (pure: no I/O but a template file).
#pragma once

#include "alert.h"
#include "destination.h"

#include <ciutils/http.h>

#include <string>
#include <string_view>

namespace ciutils::notify {

// Per-service limits on how much of the failed-test list fits.
constexpr std::size_t k_slack_section_max = 3000;   // Block Kit section text
constexpr std::size_t k_slack_header_max = 150;     // Block Kit header text
constexpr std::size_t k_teams_text_max = 20000;     // a Workflows message must stay under 28 KB
constexpr std::size_t k_victorops_text_max = 4000;  // state_message shown in the timeline
constexpr std::size_t k_pagerduty_summary_max = 1024;
constexpr std::size_t k_sms_chars = 160;            // one GSM-7 SMS (70 when not plain ASCII)

// The HTTP request for a non-email destination.
HttpRequest build_http_request(const Destination& dest, const Alert& alert);

// Slack mrkdwn with &, <, > escaped and @channel/@here/@everyone neutralised.
std::string slack_escape(std::string_view text);

// The SMS text: at most k_sms_chars characters (70 when it holds non-ASCII).
std::string sms_text(const Alert& alert);

// Lower-case hex HMAC-SHA256 of body under key.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

// "METHOD URL\nHeader: value\n\nbody\n", the form --dry-run prints (before redaction).
std::string describe_request(const HttpRequest& request);

}  // namespace ciutils::notify
