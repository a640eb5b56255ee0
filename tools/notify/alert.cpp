#include "alert.h"

#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

namespace ciutils::notify {

namespace json = boost::json;

std::string_view event_name(Event event) {
  switch (event) {
    case Event::message: return "message";
    case Event::trigger: return "trigger";
    case Event::remind: return "remind";
    case Event::recover: return "recover";
  }
  return "?";
}

Event parse_event(std::string_view text, std::string_view where) {
  for (auto e : {Event::message, Event::trigger, Event::remind, Event::recover})
    if (event_name(e) == text) return e;
  throw UsageError(std::string(where) + ": unknown event '" + std::string(text) + "'");
}

json::value alert_to_json(const Alert& alert) {
  json::array failed;
  for (const auto& f : alert.failed)
    failed.push_back(json::object{{"name", f.name}, {"status", f.status}, {"message", f.message}});
  json::array links;
  for (const auto& l : alert.links) links.push_back(json::object{{"href", l.href}, {"text", l.text}});
  return json::object{{"event", event_name(alert.event)},
                      {"key", alert.key},
                      {"title", alert.title},
                      {"message", alert.message},
                      {"severity", alert.severity},
                      {"source", alert.source},
                      {"failed", std::move(failed)},
                      {"total", alert.total},
                      {"failures", alert.failures},
                      {"time", alert.time},
                      {"links", std::move(links)}};
}

Alert alert_from_json(const json::value& value, std::string_view where) {
  const auto& obj = as_object(value, where);
  Alert a;
  a.event = parse_event(get_string(obj, "event", where), where);
  a.key = get_string(obj, "key", where);
  a.title = get_string(obj, "title", where);
  a.message = get_string(obj, "message", where);
  a.severity = get_string(obj, "severity", where);
  a.source = get_string(obj, "source", where);
  a.time = get_string(obj, "time", where);
  a.total = static_cast<std::size_t>(find_number(obj, "total", where).value_or(0));
  a.failures = static_cast<long long>(find_number(obj, "failures", where).value_or(0));
  if (auto* failed = obj.if_contains("failed"); failed && failed->is_array())
    for (const auto& f : failed->as_array()) {
      const auto& fo = as_object(f, where);
      a.failed.push_back({get_string(fo, "name", where), get_string(fo, "status", where),
                          get_string(fo, "message", where)});
    }
  if (auto* links = obj.if_contains("links"); links && links->is_array())
    for (const auto& l : links->as_array()) {
      const auto& lo = as_object(l, where);
      a.links.push_back({get_string(lo, "href", where), get_string(lo, "text", where)});
    }
  return a;
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  static constexpr std::string_view k_ellipsis = "…";
  if (max_bytes < k_ellipsis.size()) return {};
  std::size_t cut = max_bytes - k_ellipsis.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + std::string(k_ellipsis);
}

std::string failed_summary(const Alert& alert, std::size_t max_chars, std::string_view bullet) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& f : alert.failed) {
    std::string line = std::string(bullet) + f.name;
    if (f.status != "failed") line += " (" + f.status + ")";
    if (!f.message.empty()) line += ": " + f.message;
    line = truncate_utf8(line, 300);
    std::size_t left = alert.failed.size() - shown - 1;
    std::string more = left ? "\n… and " + std::to_string(left) + " more" : "";
    std::string candidate = out + (out.empty() ? "" : "\n") + line;
    if (candidate.size() + more.size() > max_chars) break;
    out = std::move(candidate);
    ++shown;
  }
  if (shown < alert.failed.size()) {
    std::string more = "… and " + std::to_string(alert.failed.size() - shown) + " more";
    out = out.empty() ? truncate_utf8(more, max_chars) : out + "\n" + more;
  }
  return out;
}

}  // namespace ciutils::notify
