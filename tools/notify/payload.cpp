#include "payload.h"

#include "email.h"

#include <ciutils/error.h>
#include <ciutils/json.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json.hpp>

#include <cstdio>

namespace ciutils::notify {

namespace json = boost::json;

namespace {

constexpr std::string_view k_tool = "ciutils notify";

bool is_alerting(Event e) { return e == Event::trigger || e == Event::remind; }

// Red for an open alert, green for a recovery, blue for a message (Slack's palette).
std::string_view alert_colour(const Alert& alert) {
  return alert.event == Event::recover ? "#2EB67D" : is_alerting(alert.event) ? "#E01E5A" : "#439FE0";
}

std::string status_word(const Alert& alert) {
  switch (alert.event) {
    case Event::trigger: return "failed";
    case Event::remind: return "still failing";
    case Event::recover: return "recovered";
    case Event::message: return "message";
  }
  return "";
}

std::string failed_heading(const Alert& alert) {
  std::string h = "Failed tests: " + std::to_string(alert.failed.size());
  if (alert.total) h += " of " + std::to_string(alert.total);
  return h;
}

std::string slack_link(const Link& link) {
  std::string href;
  for (char c : link.href) {
    if (c == '|') href += "%7C";
    else if (c == '>') href += "%3E";
    else if (c == '<') href += "%3C";
    else href += c;
  }
  return "<" + href + "|" + slack_escape(link.text.empty() ? link.href : link.text) + ">";
}

json::value slack_body(const Alert& alert) {
  std::string colour(alert_colour(alert));
  json::array blocks;
  if (!alert.message.empty())
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"},
                                {"text", truncate_utf8(slack_escape(alert.message), k_slack_section_max)}}}});
  if (!alert.failed.empty() && alert.event != Event::recover) {
    auto list = failed_summary(alert, k_slack_section_max - 100, "• ");
    blocks.push_back(
        {{"type", "section"},
         {"text", {{"type", "mrkdwn"},
                   {"text", "*" + failed_heading(alert) + "*\n" +
                                truncate_utf8(slack_escape(list), k_slack_section_max - 100)}}}});
  }
  std::string context;
  for (const auto& l : alert.links) context += (context.empty() ? "" : "  ·  ") + slack_link(l);
  if (!alert.key.empty()) context += (context.empty() ? "" : "  ·  ") + ("`" + slack_escape(alert.key) + "`");
  if (!alert.source.empty()) context += (context.empty() ? "" : "  ·  ") + slack_escape(alert.source);
  if (!context.empty())
    blocks.push_back({{"type", "context"},
                      {"elements", json::array{{{"type", "mrkdwn"}, {"text", truncate_utf8(context, 3000)}}}}});

  auto title = truncate_utf8(alert.title, k_slack_header_max);
  json::object body{
      {"text", slack_escape(truncate_utf8(alert.title, 3000))},
      {"blocks", json::array{{{"type", "header"},
                              {"text", {{"type", "plain_text"}, {"text", title}, {"emoji", true}}}}}}};
  if (!blocks.empty())
    body["attachments"] = json::array{{{"color", colour}, {"blocks", std::move(blocks)}}};
  return body;
}

json::value teams_body(const Alert& alert) {
  std::string colour = alert.event == Event::recover ? "Good" : is_alerting(alert.event) ? "Attention" : "Default";
  json::array card_body{{{"type", "TextBlock"},
                         {"text", truncate_utf8(alert.title, 1000)},
                         {"weight", "Bolder"},
                         {"size", "Medium"},
                         {"color", colour},
                         {"wrap", true}}};
  if (!alert.message.empty())
    card_body.push_back({{"type", "TextBlock"}, {"text", truncate_utf8(alert.message, k_teams_text_max)}, {"wrap", true}});
  json::array facts;
  if (!alert.key.empty()) facts.push_back({{"title", "Key"}, {"value", alert.key}});
  facts.push_back({{"title", "Status"}, {"value", status_word(alert)}});
  if (!alert.source.empty()) facts.push_back({{"title", "Source"}, {"value", alert.source}});
  if (!alert.time.empty()) facts.push_back({{"title", "Time"}, {"value", alert.time}});
  card_body.push_back({{"type", "FactSet"}, {"facts", std::move(facts)}});
  if (!alert.failed.empty() && alert.event != Event::recover) {
    card_body.push_back({{"type", "TextBlock"}, {"text", failed_heading(alert)}, {"weight", "Bolder"}, {"wrap", true}});
    card_body.push_back({{"type", "TextBlock"}, {"text", failed_summary(alert, k_teams_text_max, "- ")}, {"wrap", true}});
  }
  json::object card{{"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                    {"type", "AdaptiveCard"},
                    {"version", "1.4"},
                    {"body", std::move(card_body)}};
  if (!alert.links.empty()) {
    json::array actions;
    for (const auto& l : alert.links)
      actions.push_back({{"type", "Action.OpenUrl"}, {"title", l.text.empty() ? l.href : l.text}, {"url", l.href}});
    card["actions"] = std::move(actions);
  }
  return json::object{{"type", "message"},
                      {"attachments", json::array{{{"contentType", "application/vnd.microsoft.card.adaptive"},
                                                   {"contentUrl", nullptr},
                                                   {"content", std::move(card)}}}}};
}

std::string plain_text(const Alert& alert, std::size_t max) {
  std::string text = alert.message;
  if (!alert.failed.empty() && alert.event != Event::recover) {
    if (!text.empty()) text += "\n\n";
    text += failed_heading(alert) + "\n";
    auto room = max > text.size() + 20 ? max - text.size() : 20;
    text += failed_summary(alert, room);
  }
  return truncate_utf8(text, max);
}

json::value victorops_body(const Alert& alert) {
  std::string type = alert.event == Event::recover ? "RECOVERY"
                     : alert.event == Event::message ? "INFO"
                     : alert.severity == "warning"   ? "WARNING"
                     : alert.severity == "info"      ? "INFO"
                                                     : "CRITICAL";
  json::object body{{"message_type", type},
                    {"entity_id", alert.key.empty() ? alert.title : alert.key},
                    {"entity_display_name", truncate_utf8(alert.title, 1000)},
                    {"state_message", plain_text(alert, k_victorops_text_max)},
                    {"monitoring_tool", k_tool}};
  if (!alert.source.empty()) body["host_name"] = alert.source;
  for (const auto& l : alert.links)
    body["vo_annotate.u." + (l.text.empty() ? std::string("Link") : l.text)] = l.href;
  return body;
}

void add_pagerduty_links(json::object& body, const Alert& alert) {
  if (alert.links.empty()) return;
  json::array links;
  for (const auto& l : alert.links) links.push_back({{"href", l.href}, {"text", l.text.empty() ? l.href : l.text}});
  body["links"] = std::move(links);
}

json::value pagerduty_body(const Destination& dest, const Alert& alert) {
  json::object body{{"routing_key", dest.param("routing_key")}};
  if (alert.event == Event::recover) {
    body["event_action"] = "resolve";
    body["dedup_key"] = alert.key;
    return body;
  }
  if (alert.event == Event::message) {
    // A one-off message is a change event: it shows on the service's timeline and never
    // opens an incident that nothing would resolve.
    json::object payload{{"summary", truncate_utf8(alert.title, k_pagerduty_summary_max)},
                         {"source", dest.param("source", alert.source.empty() ? "ciutils" : alert.source)}};
    if (!alert.time.empty()) payload["timestamp"] = alert.time;
    json::object details{{"message", truncate_utf8(alert.message, 10000)}};
    if (!alert.failed.empty()) details["failed"] = alert.failed.size();
    if (alert.total) details["total"] = alert.total;
    payload["custom_details"] = std::move(details);
    body["payload"] = std::move(payload);
    add_pagerduty_links(body, alert);
    return body;
  }
  body["event_action"] = "trigger";
  body["dedup_key"] = alert.key;
  json::array failed;
  for (std::size_t i = 0; i < alert.failed.size() && i < 100; ++i)
    failed.push_back({{"name", alert.failed[i].name},
                      {"status", alert.failed[i].status},
                      {"message", truncate_utf8(alert.failed[i].message, 1000)}});
  json::object details{{"message", truncate_utf8(alert.message, 10000)}};
  if (!alert.failed.empty()) {
    details["failed_tests"] = std::move(failed);
    details["failed"] = alert.failed.size();
  }
  if (alert.total) details["total"] = alert.total;
  if (alert.failures) details["consecutive_failures"] = alert.failures;
  json::object payload{{"summary", truncate_utf8(alert.title, k_pagerduty_summary_max)},
                       {"source", dest.param("source", alert.source.empty() ? "ciutils" : alert.source)},
                       {"severity", alert.event == Event::message && !dest.params.contains("severity")
                                        ? alert.severity
                                        : dest.param("severity", alert.severity)}};
  if (!alert.time.empty()) payload["timestamp"] = alert.time;
  for (const char* f : {"component", "group", "class"})
    if (auto v = dest.param(f); !v.empty()) payload[f] = v;
  payload["custom_details"] = std::move(details);
  body["payload"] = std::move(payload);
  body["client"] = k_tool;
  add_pagerduty_links(body, alert);
  return body;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

json::value clickatell_body(const Destination& dest, const Alert& alert) {
  json::array messages;
  auto text = sms_text(alert);
  for (auto to : split_list(dest.param("to"))) {
    if (to.starts_with("+")) to.erase(0, 1);
    json::object m{{"channel", "sms"}, {"to", to}, {"content", text}};
    if (auto from = dest.param("from"); !from.empty()) m["from"] = from;
    messages.push_back(std::move(m));
  }
  return json::object{{"messages", std::move(messages)}};
}

// A template value: "{{field}}" alone becomes the field's JSON value; inside longer
// strings each {{field}} becomes its text.
json::value fill_template(const json::value& tpl, const json::object& fields, const std::string& where) {
  if (tpl.is_object()) {
    json::object out;
    for (const auto& [k, v] : tpl.as_object()) out[k] = fill_template(v, fields, where);
    return out;
  }
  if (tpl.is_array()) {
    json::array out;
    for (const auto& v : tpl.as_array()) out.push_back(fill_template(v, fields, where));
    return out;
  }
  if (!tpl.is_string()) return tpl;
  std::string_view s = tpl.as_string();
  auto lookup = [&](std::string_view name) -> const json::value& {
    auto* v = fields.if_contains(name);
    if (!v) throw UsageError(where + ": unknown template field '{{" + std::string(name) + "}}'");
    return *v;
  };
  if (s.starts_with("{{") && s.ends_with("}}") && s.find("{{", 2) == std::string_view::npos)
    return lookup(s.substr(2, s.size() - 4));
  std::string out;
  std::size_t pos = 0;
  while (true) {
    auto open = s.find("{{", pos);
    if (open == std::string_view::npos) break;
    auto close = s.find("}}", open);
    if (close == std::string_view::npos) break;
    out += s.substr(pos, open - pos);
    const auto& v = lookup(s.substr(open + 2, close - open - 2));
    out += v.is_string() ? std::string(v.as_string()) : to_json(v);
    pos = close + 2;
  }
  out += s.substr(pos);
  return json::string(out);
}

json::value webhook_body(const Destination& dest, const Alert& alert) {
  auto fields = alert_to_json(alert).as_object();
  fields["status"] = alert.event == Event::recover ? "passed" : alert.event == Event::message ? "message" : "failed";
  fields["summary"] = plain_text(alert, 4000);
  auto tpl_path = dest.param("template");
  if (tpl_path.empty()) return fields;
  auto tpl = read_json_file(tpl_path);
  return fill_template(tpl, fields, tpl_path);
}

// text with a zero-width space after the first character of each token ("@here" → "@​here"):
// shown the same, never a mention that pages a whole channel.
std::string neutralise(std::string_view text, std::initializer_list<std::string_view> tokens) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    for (auto token : tokens)
      if (text.substr(i, token.size()) == token) {
        out += "\u200B";
        break;
      }
  }
  return out;
}

std::string basic_auth(const Destination& dest) {
  return "Authorization: Basic " + base64(dest.user + ":" + dest.password);
}

// Key and source, for a footer line.
std::string context_line(const Alert& alert) {
  std::string out = alert.key;
  if (!alert.source.empty()) out += (out.empty() ? "" : " · ") + alert.source;
  return out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// Opsgenie responders from "@user", "#team", "*schedule", "^escalation" (a bare name is a
// user), by id when the name is a UUID.
json::array opsgenie_responders(const std::string& list) {
  json::array out;
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find('\n', start);
    if (end == std::string::npos) end = list.size();
    std::string_view target(list.data() + start, end - start);
    start = end + 1;
    std::string type = "user";
    if (target[0] == '#') type = "team";
    else if (target[0] == '*') type = "schedule";
    else if (target[0] == '^') type = "escalation";
    if (std::string_view("@#*^").find(target[0]) != std::string_view::npos) target.remove_prefix(1);
    std::string field = is_uuid(target) ? "id" : type == "user" ? "username" : "name";
    out.push_back({{"type", type}, {field, target}});
  }
  return out;
}

std::string opsgenie_priority(const Destination& dest, const Alert& alert) {
  if (auto p = dest.param("priority"); !p.empty()) return p;
  if (alert.severity == "critical") return "P1";
  if (alert.severity == "error") return "P2";
  if (alert.severity == "warning") return "P3";
  return "P5";
}

// Create (trigger, reminder, message) or close by alias (recovery).
void opsgenie_request(const Destination& dest, const Alert& alert, HttpRequest& req, json::value& body) {
  req.headers.push_back("Authorization: GenieKey " + dest.param("api_key"));
  std::string source = truncate_utf8(alert.source.empty() ? "ciutils" : alert.source, 100);
  if (alert.event == Event::recover) {
    req.url = dest.base + "/v2/alerts/" + percent_encode(alert.key) + "/close?identifierType=alias";
    body = json::object{{"source", source}, {"user", k_tool}, {"note", truncate_utf8(alert.message, 25000)}};
    return;
  }
  json::object details{{"status", status_word(alert)}};
  if (!alert.key.empty()) details["key"] = alert.key;
  if (alert.total) {
    details["failed"] = std::to_string(alert.failed.size());
    details["total"] = std::to_string(alert.total);
  }
  if (alert.failures) details["consecutive_failures"] = std::to_string(alert.failures);
  for (const auto& l : alert.links) details[l.text.empty() ? std::string("link") : l.text] = l.href;
  json::object o{{"message", truncate_utf8(alert.title, 130)},
                 {"description", plain_text(alert, 15000)},
                 {"source", source},
                 {"priority", opsgenie_priority(dest, alert)},
                 {"details", std::move(details)}};
  // The alias is the key: a reminder adds to the open alert, the recovery closes it.
  if (!alert.key.empty()) o["alias"] = truncate_utf8(alert.key, 512);
  if (auto r = opsgenie_responders(dest.param("responders")); !r.empty()) o["responders"] = std::move(r);
  if (auto tags = split_list(dest.param("tags")); !tags.empty()) {
    json::array t;
    for (auto& tag : tags) t.push_back(json::string(truncate_utf8(tag, 50)));
    o["tags"] = std::move(t);
  }
  if (auto e = dest.param("entity"); !e.empty()) o["entity"] = truncate_utf8(e, 512);
  body = std::move(o);
}

json::value discord_body(const Destination& dest, const Alert& alert) {
  json::object embed{{"title", truncate_utf8(alert.title, 256)},
                     {"color", std::stol(std::string(alert_colour(alert).substr(1)), nullptr, 16)}};
  if (auto text = plain_text(alert, 4096); !text.empty()) embed["description"] = text;
  if (!alert.links.empty()) {
    std::string links;
    for (const auto& l : alert.links)
      links += (links.empty() ? "" : " · ") + ("[" + (l.text.empty() ? l.href : l.text) + "](" + l.href + ")");
    embed["fields"] = json::array{{{"name", "Links"}, {"value", truncate_utf8(links, 1024)}}};
  }
  if (auto footer = context_line(alert); !footer.empty()) embed["footer"] = {{"text", truncate_utf8(footer, 2048)}};
  if (!alert.time.empty()) embed["timestamp"] = alert.time;
  // No mention in test output may ping anyone.
  json::object body{{"allowed_mentions", {{"parse", json::array{}}}}, {"embeds", json::array{std::move(embed)}}};
  if (auto name = dest.param("username"); !name.empty()) body["username"] = name;
  return body;
}

json::value gchat_body(const Alert& alert) {
  std::string text = "*" + truncate_utf8(alert.title, 500) + "*";
  if (auto t = plain_text(alert, 3000); !t.empty()) text += "\n" + t;
  for (const auto& l : alert.links) text += "\n<" + l.href + "|" + (l.text.empty() ? l.href : l.text) + ">";
  if (auto c = context_line(alert); !c.empty()) text += "\n" + c;
  json::object body{{"text", neutralise(truncate_utf8(text, 4000), {"<users/"})}};
  // One thread per incident: its trigger, reminders and recovery read as one conversation.
  if (!alert.key.empty())
    body["thread"] = {{"threadKey", alert.key + (alert.incident ? "@" + std::to_string(alert.incident) : "")}};
  return body;
}

// Mattermost and Rocket.Chat take Slack-style attachments.
json::value chat_attachment_body(const Destination& dest, const Alert& alert,
                                 std::initializer_list<std::string_view> mentions) {
  json::object attachment{{"fallback", neutralise(truncate_utf8(alert.title, 500), mentions)},
                          {"color", alert_colour(alert)},
                          {"title", neutralise(truncate_utf8(alert.title, 500), mentions)}};
  if (!alert.links.empty()) attachment["title_link"] = alert.links.front().href;
  std::string text = plain_text(alert, 4000);
  for (const auto& l : alert.links) text += "\n[" + (l.text.empty() ? l.href : l.text) + "](" + l.href + ")";
  if (!text.empty()) attachment["text"] = neutralise(text, mentions);
  json::array fields;
  if (!alert.key.empty()) fields.push_back({{"short", true}, {"title", "Key"}, {"value", alert.key}});
  if (!alert.source.empty()) fields.push_back({{"short", true}, {"title", "Source"}, {"value", alert.source}});
  if (!fields.empty()) attachment["fields"] = std::move(fields);
  json::object body{{"attachments", json::array{std::move(attachment)}}};
  if (auto name = dest.param("username"); !name.empty()) body["username"] = name;
  if (auto channel = dest.param("channel"); !channel.empty()) body["channel"] = channel;
  return body;
}

std::string html_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

json::value telegram_body(const Destination& dest, const Alert& alert) {
  std::string text = "<b>" + html_text(truncate_utf8(alert.title, 500)) + "</b>";
  if (auto t = plain_text(alert, 3000); !t.empty()) text += "\n" + html_text(t);
  for (const auto& l : alert.links)
    text += "\n<a href=\"" + html_text(l.href) + "\">" + html_text(truncate_utf8(l.text.empty() ? l.href : l.text, 100)) + "</a>";
  if (auto c = context_line(alert); !c.empty()) text += "\n<i>" + html_text(c) + "</i>";
  return json::object{{"chat_id", dest.param("chat_id")},
                      {"text", text},
                      {"parse_mode", "HTML"},
                      {"disable_web_page_preview", true}};
}

json::value ntfy_body(const Destination& dest, const Alert& alert) {
  int priority = alert.event == Event::recover      ? 3
                 : alert.severity == "critical"     ? 5
                 : alert.severity == "error"        ? 4
                                                    : 3;
  if (auto p = dest.param("priority"); !p.empty()) priority = p[0] - '0';
  json::array tags{json::string(alert.event == Event::recover ? "white_check_mark"
                                : is_alerting(alert.event)   ? "rotating_light"
                                                             : "information_source")};
  for (auto& t : split_list(dest.param("tags"))) tags.push_back(json::string(t));
  auto text = plain_text(alert, 4000);
  json::object body{{"topic", dest.param("topic")},
                    {"title", truncate_utf8(alert.title, 500)},
                    {"message", text.empty() ? status_word(alert) : text},
                    {"priority", priority},
                    {"tags", std::move(tags)}};
  if (!alert.links.empty()) {
    body["click"] = alert.links.front().href;
    json::array actions;
    for (std::size_t i = 0; i < alert.links.size() && i < 3; ++i)
      actions.push_back({{"action", "view"},
                         {"label", alert.links[i].text.empty() ? "Open" : alert.links[i].text},
                         {"url", alert.links[i].href}});
    body["actions"] = std::move(actions);
  }
  return body;
}

// Apprise's json:// body; ":field=value" parameters add or replace fields, "-field" drops one.
json::value json_body(const Destination& dest, const Alert& alert) {
  std::string type = alert.event == Event::recover ? "success"
                     : alert.severity == "warning" ? "warning"
                     : alert.severity == "info"    ? "info"
                     : alert.event == Event::message && alert.severity != "critical" && alert.severity != "error"
                         ? "info"
                         : "failure";
  json::object body{{"version", "1.0"},
                    {"title", alert.title},
                    {"message", plain_text(alert, 32000)},
                    {"attachments", json::array{}},
                    {"type", type}};
  for (const auto& [key, value] : dest.params) {
    if (key[0] == ':') body[key.substr(1)] = value;
    if (key[0] == '-') body.erase(key.substr(1));
  }
  return body;
}

}  // namespace

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '@') {
      out += c;
      for (std::string_view word : {"channel", "here", "everyone"})
        if (text.substr(i + 1, word.size()) == word) {
          out += "\u200B";  // zero-width space: shown the same, never a mention
          break;
        }
    } else {
      out += c;
    }
  }
  return out;
}

std::string sms_text(const Alert& alert) {
  std::string prefix = alert.event == Event::recover ? "RECOVERED: "
                       : alert.event == Event::remind ? "STILL FAILING: "
                       : alert.event == Event::trigger ? "FAILED: "
                                                       : "";
  std::string text = prefix + alert.title;
  if (!alert.failed.empty() && alert.event != Event::recover) {
    text += " (";
    for (std::size_t i = 0; i < alert.failed.size(); ++i)
      text += (i ? ", " : "") + alert.failed[i].name;
    text += ")";
  } else if (!alert.message.empty() && alert.event == Event::message) {
    text += ": " + alert.message;
  }
  for (auto& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  std::size_t limit = ascii ? k_sms_chars : 70;
  // Count characters (code points), not bytes.
  std::size_t chars = 0, cut = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == limit) {
      cut = i;
      break;
    }
    ++chars;
  }
  if (cut == text.size()) return text;
  // Room for the marker: step back over three characters.
  std::size_t back = cut;
  for (int n = 0; n < 3 && back > 0;) {
    --back;
    if ((static_cast<unsigned char>(text[back]) & 0xC0) != 0x80) ++n;
  }
  return text.substr(0, back) + "...";
}

std::string hmac_sha256_hex(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

HttpRequest build_http_request(const Destination& dest, const Alert& alert) {
  HttpRequest req;
  req.method = "POST";
  req.url = dest.url;
  req.timeout = dest.timeout;
  req.connect_timeout = std::min(dest.timeout, std::chrono::milliseconds(std::chrono::seconds(10)));
  req.headers = {"Content-Type: application/json"};
  json::value body;
  switch (dest.service) {
    case Service::webhook: body = webhook_body(dest, alert); break;
    case Service::slack: body = slack_body(alert); break;
    case Service::teams: body = teams_body(alert); break;
    case Service::victorops: body = victorops_body(alert); break;
    case Service::pagerduty: body = pagerduty_body(dest, alert); break;
    case Service::clickatell:
      body = clickatell_body(dest, alert);
      req.headers.push_back("Accept: application/json");
      req.headers.push_back("Authorization: " + dest.param("api_key"));
      break;
    case Service::opsgenie: opsgenie_request(dest, alert, req, body); break;
    case Service::discord: body = discord_body(dest, alert); break;
    case Service::gchat: body = gchat_body(alert); break;
    case Service::mattermost: body = chat_attachment_body(dest, alert, {"@channel", "@here", "@all"}); break;
    case Service::rocketchat: body = chat_attachment_body(dest, alert, {"@all", "@here"}); break;
    case Service::telegram: body = telegram_body(dest, alert); break;
    case Service::ntfy:
      body = ntfy_body(dest, alert);
      if (auto token = dest.param("token"); !token.empty()) req.headers.push_back("Authorization: Bearer " + token);
      else if (!dest.user.empty()) req.headers.push_back(basic_auth(dest));
      break;
    case Service::twilio:
      // Twilio's Messages resource takes a form, one recipient per request.
      req.headers = {"Content-Type: application/x-www-form-urlencoded", basic_auth(dest)};
      req.body = "To=" + percent_encode(dest.param("to")) + "&From=" + percent_encode(dest.param("from")) +
                 "&Body=" + percent_encode(sms_text(alert));
      return req;
    case Service::json:
      body = json_body(dest, alert);
      req.method = dest.param("method", "POST");
      if (!dest.user.empty()) req.headers.push_back(basic_auth(dest));
      for (const auto& [key, value] : dest.params) {
        if (key[0] != '+') continue;
        std::string name = key.substr(1);
        if (boost::algorithm::iequals(name, "Content-Type")) req.headers.erase(req.headers.begin());
        req.headers.push_back(name + ": " + value);
      }
      break;
    case Service::smtp: throw Error(ExitCode::tool_failed, "smtp is not an HTTP destination");
  }
  req.body = to_json(body);
  if (dest.service == Service::pagerduty && alert.event == Event::message && !dest.base.empty())
    req.url = dest.base + "/v2/change/enqueue";
  if (dest.service == Service::webhook)
    if (auto key = dest.param("hmac"); !key.empty())
      req.headers.push_back(dest.param("signature_header", "X-Signature-256") + ": sha256=" +
                            hmac_sha256_hex(key, req.body));
  return req;
}

std::string describe_request(const HttpRequest& request) {
  std::string out = request.method + " " + request.url + "\n";
  for (const auto& h : request.headers) out += h + "\n";
  out += "\n" + request.body + "\n";
  return out;
}

}  // namespace ciutils::notify
