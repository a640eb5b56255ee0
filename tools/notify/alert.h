// An alert: what happened (trigger, reminder, recovery or a plain message) and its content.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::notify {

enum class Event { message, trigger, remind, recover };

std::string_view event_name(Event event);
Event parse_event(std::string_view text, std::string_view where);

struct FailedTest {
  std::string name;
  std::string status;   // failed, timeout, error
  std::string message;  // the record's message, may be empty
};

struct Link {
  std::string href;
  std::string text;
};

struct Alert {
  Event event = Event::message;
  std::string key;       // stable identity: VictorOps entity_id, PagerDuty dedup_key
  std::string title;
  std::string message;
  std::string severity = "critical";  // critical, error, warning, info
  std::string source;                 // host or CI job that saw it
  std::vector<FailedTest> failed;
  std::size_t total = 0;     // records in the results file, 0 when none was read
  long long failures = 0;    // consecutive failed runs so far (lifecycle)
  std::string time;          // ISO 8601 UTC, when the alert was made
  std::vector<Link> links;
  // Lifecycle events only (not in the alert's JSON): the key's version when this event
  // was decided and the incident (its trigger's version) it belongs to; 0 for messages.
  long long version = 0;
  long long incident = 0;
};

boost::json::value alert_to_json(const Alert& alert);
// The inverse, for spooled alerts; throws UsageError naming `where` on a bad field.
Alert alert_from_json(const boost::json::value& value, std::string_view where);

// "checkout: exit status 1" lines for the failed tests, at most max_chars long in total
// (UTF-8 safe); tests that do not fit are counted in a last "… and N more" line.
std::string failed_summary(const Alert& alert, std::size_t max_chars, std::string_view bullet = "");

// text cut to at most max_bytes bytes without splitting a UTF-8 sequence, "…" marking the cut.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace ciutils::notify
