#include "destination.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>

#include <algorithm>
#include <array>
#include <set>

namespace ciutils::notify {

namespace {

struct SchemeInfo {
  std::string_view scheme;
  Service service;
};

constexpr std::array k_schemes{
    SchemeInfo{"webhook+https", Service::webhook}, SchemeInfo{"webhook+http", Service::webhook},
    SchemeInfo{"slack", Service::slack},           SchemeInfo{"teams", Service::teams},
    SchemeInfo{"victorops", Service::victorops},   SchemeInfo{"pagerduty", Service::pagerduty},
    SchemeInfo{"clickatell", Service::clickatell}, SchemeInfo{"smtp", Service::smtp},
    SchemeInfo{"smtps", Service::smtp},           SchemeInfo{"opsgenie", Service::opsgenie},
    SchemeInfo{"discord", Service::discord},       SchemeInfo{"gchat", Service::gchat},
    SchemeInfo{"mmost", Service::mattermost},      SchemeInfo{"mmosts", Service::mattermost},
    SchemeInfo{"rocket", Service::rocketchat},     SchemeInfo{"rockets", Service::rocketchat},
    SchemeInfo{"tgram", Service::telegram},        SchemeInfo{"ntfy", Service::ntfy},
    SchemeInfo{"ntfys", Service::ntfy},            SchemeInfo{"twilio", Service::twilio},
    SchemeInfo{"json+https", Service::json},       SchemeInfo{"json+http", Service::json},
    SchemeInfo{"jsons", Service::json},            SchemeInfo{"json", Service::json},
};

std::string scheme_list() {
  std::string out;
  for (std::size_t i = 0; i < k_schemes.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == k_schemes.size() ? " or " : ", ") + std::string(k_schemes[i].scheme);
  return out;
}

const std::set<std::string, std::less<>> k_common_params{"endpoint", "url", "timeout", "retries",
                                                          "required", "rate"};

std::set<std::string, std::less<>> service_params(Service service) {
  switch (service) {
    case Service::webhook: return {"template", "hmac", "signature_header"};
    case Service::slack: return {};
    case Service::teams: return {};
    case Service::victorops: return {};
    case Service::pagerduty: return {"severity", "source", "component", "group", "class"};
    case Service::clickatell: return {"to", "from"};
    case Service::smtp: return {"from", "to", "cafile"};
    case Service::opsgenie: return {"region", "priority", "tags", "entity"};
    case Service::mattermost: return {"channel"};
    case Service::ntfy: return {"priority", "tags", "token"};
    case Service::json: return {"method"};
    case Service::discord:
    case Service::gchat:
    case Service::rocketchat:
    case Service::telegram:
    case Service::twilio: return {};
  }
  return {};
}

// Services whose own URL may carry a query (Workflows signatures, generic webhooks):
// parameters notify does not know are passed on to the target.
bool passes_query_on(Service service) {
  return service == Service::webhook || service == Service::teams || service == Service::json;
}

// A phone number as digits with an optional leading '+' (min_digits: 5 allows SMS short codes).
std::string phone_digits(std::string_view number, std::size_t min_digits, const std::string& where) {
  std::string n(number);
  if (n.starts_with("+")) n.erase(0, 1);
  if (n.size() < min_digits || n.size() > 15 || !std::all_of(n.begin(), n.end(), ::isdigit))
    throw UsageError(where + ": '" + std::string(number) + "' is not an international phone number");
  return n;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

// Non-empty parts of a path ("/a//b" → a, b).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (auto part : split(path, '/'))
    if (!part.empty()) out.push_back(part);
  return out;
}

bool parse_bool(std::string_view value, std::string_view where) {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  throw UsageError(std::string(where) + ": required: expected true or false, got '" +
                   std::string(value) + "'");
}

// Credentials must be ${VAR} references: a literal secret in a URL ends up in shell
// history, in ps output and in committed config files.
void require_reference(std::string_view raw, std::string_view where, std::string_view what) {
  if (raw.find("${") == std::string_view::npos)
    throw UsageError(std::string(where) + ": " + std::string(what) +
                     " must come from the environment as ${VAR}, not be written literally");
}

void require_http_url(std::string_view url, std::string_view where, std::string_view what) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    throw UsageError(std::string(where) + ": " + std::string(what) +
                     ": expected an http:// or https:// URL");
}

}  // namespace

std::string_view service_name(Service service) {
  switch (service) {
    case Service::webhook: return "webhook";
    case Service::slack: return "slack";
    case Service::teams: return "teams";
    case Service::victorops: return "victorops";
    case Service::pagerduty: return "pagerduty";
    case Service::clickatell: return "clickatell";
    case Service::smtp: return "smtp";
    case Service::opsgenie: return "opsgenie";
    case Service::discord: return "discord";
    case Service::gchat: return "gchat";
    case Service::mattermost: return "mattermost";
    case Service::rocketchat: return "rocketchat";
    case Service::telegram: return "telegram";
    case Service::ntfy: return "ntfy";
    case Service::twilio: return "twilio";
    case Service::json: return "json";
  }
  return "?";
}

std::string Destination::param(const std::string& key, const std::string& fallback) const {
  auto it = params.find(key);
  return it == params.end() ? fallback : it->second;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(k_hex[u >> 4]);
      out.push_back(k_hex[u & 15]);
    }
  }
  return out;
}

std::chrono::milliseconds parse_rate(std::string_view text, std::string_view where) {
  auto slash = text.find('/');
  std::string flag = std::string(where) + ": rate";
  if (slash == std::string_view::npos)
    throw UsageError(flag + ": expected COUNT/PERIOD such as 1/s or 20/1m, got '" +
                     std::string(text) + "'");
  auto count = parse_integer(text.substr(0, slash), flag, 1, 1'000'000);
  std::string period(text.substr(slash + 1));
  if (!period.empty() && !std::isdigit(static_cast<unsigned char>(period[0]))) period = "1" + period;
  auto span = parse_duration(period, flag);
  if (span.count() <= 0) throw UsageError(flag + ": the period must be positive");
  return std::chrono::milliseconds(span.count() / count);
}

Destination parse_destination(std::string_view spec, std::string_view where, Secrets& secrets) {
  std::string w(where);
  auto sep = spec.find("://");
  if (sep == std::string_view::npos || sep == 0)
    throw UsageError(w + ": '" + std::string(spec) + "' is not a destination URL (scheme://…)");
  std::string scheme(spec.substr(0, sep));
  auto info = std::find_if(k_schemes.begin(), k_schemes.end(),
                           [&](const SchemeInfo& s) { return s.scheme == scheme; });
  if (info == k_schemes.end())
    throw UsageError(w + ": unknown scheme '" + scheme + "' (expected " + scheme_list() + ")");

  Destination d;
  d.spec = std::string(spec);
  d.name = d.spec;
  d.scheme = scheme;
  d.service = info->service;
  // Slack documents one message per second per incoming webhook.
  if (d.service == Service::slack) d.rate_interval = std::chrono::seconds(1);
  // Telegram asks bots to send at most one message per second to a chat.
  if (d.service == Service::telegram) d.rate_interval = std::chrono::seconds(1);

  std::string_view rest = spec.substr(sep + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }

  auto known = service_params(d.service);
  std::string passed_query;
  std::optional<std::string> endpoint;
  std::optional<std::string> full_url;
  if (!query.empty()) {
    for (auto piece : split(query, '&')) {
      if (piece.empty()) continue;
      auto eq = piece.find('=');
      std::string key(piece.substr(0, eq));
      std::string raw(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1));
      std::string pw = w + ": " + key;
      if ((key == "hmac" && d.service == Service::webhook) || (key == "sig" && d.service == Service::teams))
        require_reference(raw, w, key);
      if (k_common_params.contains(key)) {
        auto value = percent_decode(expand_env(raw, pw, secrets));
        if (key == "endpoint") {
          endpoint = value;
        } else if (key == "url") {
          full_url = value;
        } else if (key == "timeout") {
          d.timeout = parse_duration(value, pw);
          if (d.timeout.count() <= 0) throw UsageError(pw + ": must be positive");
        } else if (key == "retries") {
          d.retries = static_cast<int>(parse_integer(value, pw, 0, 20));
        } else if (key == "required") {
          d.required = parse_bool(value, w);
        } else if (key == "rate") {
          d.rate_interval = parse_rate(value, w);
        }
      } else if (known.contains(key) ||
                 (d.service == Service::json && key.size() > 1 && (key[0] == '+' || key[0] == ':' || key[0] == '-'))) {
        // json: "+Name=value" adds a header, ":field=value" a field of the body, "-field" drops
        // one (Apprise's forms).
        d.params[key] = percent_decode(expand_env(raw, pw, secrets));
      } else if (passes_query_on(d.service)) {
        passed_query += (passed_query.empty() ? "" : "&") + expand_env(piece, pw, secrets);
      } else {
        throw UsageError(w + ": unknown parameter '" + key + "' for " + scheme + "://");
      }
    }
  }

  // The part before the first '/' may carry userinfo; ${VAR} names hold neither '@' nor '/'.
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.substr(authority.size());
  std::string_view userinfo;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  auto expanded_rest = expand_env(rest, w, secrets);
  auto expand = [&](std::string_view text) { return expand_env(text, w, secrets); };

  // Other tools' URL forms for the same schemes would send wrong requests here: refused.
  if (d.service == Service::teams && !userinfo.empty())
    throw UsageError(w + ": teams://GROUP@TENANT/… is the form for Office 365 connectors, which Teams retired; "
                         "give the Workflows webhook URL as teams://HOST/workflows/…?…&sig=${SIG}");
  if (d.service == Service::victorops && !userinfo.empty())
    throw UsageError(w + ": victorops://ROUTING_KEY@API_KEY is another tool's form; notify takes the REST "
                         "endpoint's parts in its order: victorops://${API_KEY}/ROUTING_KEY");
  if (d.service == Service::pagerduty && !userinfo.empty())
    throw UsageError(w + ": pagerduty://INTEGRATION_KEY@API_KEY is another tool's form; the Events API needs "
                         "only the integration's routing key: pagerduty://${ROUTING_KEY}");

  switch (d.service) {
    case Service::webhook:
    case Service::teams: {
      if (expanded_rest.empty() && !endpoint && !full_url) throw UsageError(w + ": " + scheme + ":// needs a host");
      std::string proto = d.scheme == "webhook+http" ? "http://" : "https://";
      auto slash = expanded_rest.find('/');
      d.base = proto + expanded_rest.substr(0, slash);
      d.path = slash == std::string::npos ? "" : expanded_rest.substr(slash);
      if (!passed_query.empty()) d.path += "?" + passed_query;
      break;
    }
    case Service::slack: {
      if (expanded_rest.empty())
        throw UsageError(w + ": slack:// needs the webhook path (slack://T000/B000/XXXX)");
      require_reference(rest, w, "the Slack webhook path");
      // The token (the path's last part) is secret on its own too, e.g. when a test prints it.
      if (auto slash = expanded_rest.rfind('/'); slash != std::string::npos && expanded_rest.size() - slash > 8)
        secrets.add(expanded_rest.substr(slash + 1));
      d.base = "https://hooks.slack.com";
      d.path = expanded_rest.starts_with("hooks.slack.com/") ? expanded_rest.substr(15)
                                                             : "/services/" + expanded_rest;
      break;
    }
    case Service::victorops: {
      auto parts = split(expanded_rest, '/');
      if (parts.size() != 2 || parts[0].empty() || parts[1].empty())
        throw UsageError(w + ": victorops:// expects API_KEY/ROUTING_KEY");
      require_reference(rest.substr(0, rest.find('/')), w, "the VictorOps API key");
      d.base = "https://alert.victorops.com";
      d.path = "/integrations/generic/20131114/alert/" + expanded_rest;
      break;
    }
    case Service::pagerduty: {
      if (expanded_rest.empty() || expanded_rest.find('/') != std::string::npos)
        throw UsageError(w + ": pagerduty:// expects the integration's ROUTING_KEY");
      require_reference(rest, w, "the PagerDuty routing key");
      d.params["routing_key"] = expanded_rest;
      d.base = "https://events.pagerduty.com";
      d.path = "/v2/enqueue";
      if (auto s = d.param("severity", "critical");
          s != "critical" && s != "error" && s != "warning" && s != "info")
        throw UsageError(w + ": severity: expected critical, error, warning or info, got '" + s + "'");
      break;
    }
    case Service::clickatell: {
      auto slash = expanded_rest.find('/');
      std::string key = expanded_rest.substr(0, slash);
      std::string to = slash == std::string::npos ? "" : expanded_rest.substr(slash + 1);
      if (auto extra = d.param("to"); !extra.empty()) to += (to.empty() ? "" : ",") + extra;
      if (key.empty()) throw UsageError(w + ": clickatell:// expects API_KEY/NUMBER[,NUMBER…]");
      require_reference(rest.substr(0, rest.find('/')), w, "the Clickatell API key");
      if (to.empty()) throw UsageError(w + ": clickatell:// needs at least one recipient number");
      for (auto number : split(to, ',')) {
        std::string n(number);
        if (n.starts_with("+")) n.erase(0, 1);
        if (n.size() < 6 || n.size() > 15 || !std::all_of(n.begin(), n.end(), ::isdigit))
          throw UsageError(w + ": clickatell: '" + std::string(number) +
                           "' is not an international phone number");
      }
      d.params["api_key"] = key;
      d.params["to"] = to;
      d.base = "https://platform.clickatell.com";
      d.path = "/v1/message";
      break;
    }
    case Service::opsgenie: {
      auto parts = segments(path);
      if (authority.empty() || !userinfo.empty())
        throw UsageError(w + ": opsgenie:// expects the API integration's key: "
                             "opsgenie://${OPSGENIE_KEY}[/@USER][/#TEAM][/*SCHEDULE][/^ESCALATION]");
      require_reference(authority, w, "the Opsgenie API key");
      d.params["api_key"] = expand(authority);
      std::string responders;
      for (auto part : parts) {
        auto target = percent_decode(expand(part));
        auto name = std::string_view(target).substr(std::string_view("@#*^").find(target[0]) == std::string_view::npos ? 0 : 1);
        if (name.empty()) throw UsageError(w + ": opsgenie: '" + target + "' names no responder");
        responders += (responders.empty() ? "" : "\n") + target;
      }
      d.params["responders"] = responders;
      auto region = d.param("region", "us");
      if (region != "us" && region != "eu")
        throw UsageError(w + ": region: expected us or eu, got '" + region + "'");
      if (auto p = d.param("priority"); !p.empty() && (p.size() != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '5'))
        throw UsageError(w + ": priority: expected P1, P2, P3, P4 or P5, got '" + p + "'");
      if (full_url)
        throw UsageError(w + ": url: not for opsgenie:// (closing an alert uses a path naming it); use endpoint=");
      d.base = region == "eu" ? "https://api.eu.opsgenie.com" : "https://api.opsgenie.com";
      d.path = "/v2/alerts";
      break;
    }
    case Service::discord: {
      auto parts = segments(path);
      if (authority.empty() || parts.size() != 1)
        throw UsageError(w + ": discord:// expects [BOTNAME@]WEBHOOK_ID/${WEBHOOK_TOKEN}");
      require_reference(parts[0], w, "the Discord webhook token");
      auto id = expand(authority);
      if (!std::all_of(id.begin(), id.end(), ::isdigit))
        throw UsageError(w + ": discord: the webhook ID '" + id + "' is not a number");
      if (!userinfo.empty()) d.params["username"] = percent_decode(expand(userinfo));
      d.base = "https://discord.com";
      d.path = "/api/webhooks/" + id + "/" + expand(parts[0]);
      break;
    }
    case Service::gchat: {
      auto parts = segments(path);
      if (authority.empty() || parts.size() != 2 || !userinfo.empty())
        throw UsageError(w + ": gchat:// expects SPACE/KEY/${TOKEN} (from the webhook URL "
                             ".../v1/spaces/SPACE/messages?key=KEY&token=TOKEN)");
      require_reference(parts[1], w, "the Google Chat webhook token");
      // A reply to the thread of the key's incident, or a new thread when there is none.
      d.base = "https://chat.googleapis.com";
      d.path = "/v1/spaces/" + percent_encode(expand(authority)) + "/messages?key=" +
               percent_encode(percent_decode(expand(parts[0]))) +
               "&token=" + percent_encode(percent_decode(expand(parts[1]))) +
               "&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD";
      break;
    }
    case Service::mattermost: {
      auto parts = segments(path);
      if (authority.empty() || parts.empty())
        throw UsageError(w + ": " + scheme + ":// expects [BOTNAME@]HOST[:PORT][/PATH]/${TOKEN}");
      require_reference(parts.back(), w, "the Mattermost webhook token");
      auto host = expand(authority);
      // Mattermost's own port unless the URL names one (as Apprise does).
      if (scheme == "mmost" && host.find(':') == std::string::npos) host += ":8065";
      if (!userinfo.empty()) d.params["username"] = percent_decode(expand(userinfo));
      d.base = (scheme == "mmosts" ? "https://" : "http://") + host;
      for (std::size_t i = 0; i + 1 < parts.size(); ++i) d.path += "/" + expand(parts[i]);
      d.path += "/hooks/" + expand(parts.back());
      break;
    }
    case Service::rocketchat: {
      if (userinfo.find(':') != std::string_view::npos)
        throw UsageError(w + ": " + scheme + "://USER:PASSWORD@… logs in to the REST API, which notify does not do; "
                             "give the incoming webhook: " + scheme + "://${RC_WEBHOOK}@HOST[/#CHANNEL]");
      if (userinfo.empty() || authority.empty())
        throw UsageError(w + ": " + scheme + ":// expects ${RC_WEBHOOK}@HOST[:PORT][/#CHANNEL|/@USER]");
      require_reference(userinfo, w, "the Rocket.Chat webhook");
      auto hook = percent_decode(expand(userinfo));
      if (auto slash = hook.rfind('/'); slash != std::string::npos && hook.size() - slash > 8)
        secrets.add(hook.substr(slash + 1));
      auto parts = segments(path);
      if (parts.size() > 1)
        throw UsageError(w + ": " + scheme + ":// takes one channel or user; give one destination for each");
      if (!parts.empty()) d.params["channel"] = percent_decode(expand(parts[0]));
      d.base = (scheme == "rockets" ? "https://" : "http://") + expand(authority);
      d.path = "/hooks/" + hook;
      break;
    }
    case Service::telegram: {
      auto parts = segments(path);
      if (authority.empty() || parts.empty() || !userinfo.empty())
        throw UsageError(w + ": tgram:// expects ${BOT_TOKEN}/CHAT_ID");
      if (parts.size() > 1) throw UsageError(w + ": tgram:// takes one chat; give one destination for each");
      require_reference(authority, w, "the Telegram bot token");
      auto token = expand(authority);
      if (auto colon = token.find(':'); colon != std::string::npos && token.size() - colon > 8)
        secrets.add(token.substr(colon + 1));
      d.params["chat_id"] = percent_decode(expand(parts[0]));
      d.base = "https://api.telegram.org";
      d.path = "/bot" + token + "/sendMessage";
      break;
    }
    case Service::ntfy: {
      auto parts = segments(path);
      std::string topic;
      if (parts.empty()) {  // ntfy://TOPIC: the public server
        topic = expand(authority);
        d.base = "https://ntfy.sh";
      } else if (parts.size() == 1) {
        topic = expand(parts[0]);
        d.base = (scheme == "ntfys" ? "https://" : "http://") + expand(authority);
      } else {
        throw UsageError(w + ": " + scheme + ":// takes one topic; give one destination for each");
      }
      if (topic.empty() || topic.size() > 64 ||
          !std::all_of(topic.begin(), topic.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }))
        throw UsageError(w + ": " + scheme + ": '" + topic + "' is not a topic (1-64 letters, digits, - and _)");
      if (!userinfo.empty()) {
        auto colon = userinfo.find(':');
        if (colon == std::string_view::npos)
          throw UsageError(w + ": " + scheme + "://USER@… needs a password (USER:${PASSWORD}@…), or use ?token=${TOKEN}");
        require_reference(userinfo.substr(colon + 1), w, "the ntfy password");
        d.user = percent_decode(expand(userinfo.substr(0, colon)));
        d.password = percent_decode(expand(userinfo.substr(colon + 1)));
      }
      if (query.find("token=") != std::string_view::npos && d.params.contains("token")) {
        for (auto piece : split(query, '&'))
          if (piece.starts_with("token=")) require_reference(piece.substr(6), w, "the ntfy access token");
      }
      if (auto p = d.param("priority"); !p.empty()) {
        static const std::array<std::string_view, 5> k_names{"min", "low", "default", "high", "max"};
        auto it = std::find(k_names.begin(), k_names.end(), p);
        if (it != k_names.end()) d.params["priority"] = std::to_string(it - k_names.begin() + 1);
        else if (p.size() != 1 || p[0] < '1' || p[0] > '5')
          throw UsageError(w + ": priority: expected 1-5 or min, low, default, high, max, got '" + p + "'");
      }
      d.params["topic"] = topic;
      d.path = "/";
      break;
    }
    case Service::twilio: {
      auto parts = segments(path);
      auto colon = userinfo.find(':');
      if (colon == std::string_view::npos || authority.empty() || parts.empty())
        throw UsageError(w + ": twilio:// expects ACCOUNT_SID:${AUTH_TOKEN}@FROM_NUMBER/TO_NUMBER");
      if (parts.size() > 1) throw UsageError(w + ": twilio:// takes one recipient; give one destination for each");
      require_reference(userinfo.substr(colon + 1), w, "the Twilio auth token");
      d.user = percent_decode(expand(userinfo.substr(0, colon)));
      d.password = percent_decode(expand(userinfo.substr(colon + 1)));
      if (d.user.size() != 34 || !d.user.starts_with("AC"))
        throw UsageError(w + ": twilio: '" + d.user + "' is not an account SID (AC and 32 characters)");
      auto from = phone_digits(percent_decode(expand(authority)), 5, w + ": twilio");
      // Short codes (5 or 6 digits) have no country prefix; other numbers are E.164.
      d.params["from"] = from.size() <= 6 ? from : "+" + from;
      d.params["to"] = "+" + phone_digits(percent_decode(expand(parts[0])), 6, w + ": twilio");
      d.base = "https://api.twilio.com";
      d.path = "/2010-04-01/Accounts/" + d.user + "/Messages.json";
      break;
    }
    case Service::json: {
      if (authority.empty() && !endpoint && !full_url) throw UsageError(w + ": " + scheme + ":// needs a host");
      if (!userinfo.empty()) {
        auto colon = userinfo.find(':');
        d.user = percent_decode(expand(userinfo.substr(0, colon)));
        if (colon != std::string_view::npos) {
          require_reference(userinfo.substr(colon + 1), w, "the password");
          d.password = percent_decode(expand(userinfo.substr(colon + 1)));
        }
      }
      if (auto m = d.param("method", "POST"); m != "POST" && m != "PUT")
        throw UsageError(w + ": method: expected POST or PUT, got '" + m + "'");
      for (const auto& [key, value] : d.params)
        if (key[0] == '+' && (value.find_first_of("\r\n") != std::string::npos ||
                              key.find_first_of(" :\r\n") != std::string::npos))
          throw UsageError(w + ": " + key + ": not a valid header");
      bool https = scheme == "json+https" || scheme == "jsons";
      d.base = (https ? "https://" : "http://") + expand(authority);
      d.path = expand(path);
      if (!passed_query.empty()) d.path += "?" + passed_query;
      break;
    }
    case Service::smtp: {
      if (!userinfo.empty()) {
        auto colon = userinfo.find(':');
        d.user = percent_decode(expand(userinfo.substr(0, colon)));
        if (colon != std::string_view::npos) {
          require_reference(userinfo.substr(colon + 1), w, "the SMTP password");
          d.password = percent_decode(expand(userinfo.substr(colon + 1)));
        }
      }
      auto host = expand(authority);
      if (host.empty() && !endpoint) throw UsageError(w + ": " + scheme + ":// needs a host");
      if (full_url) throw UsageError(w + ": url: not for " + scheme + ":// (endpoint=smtp://HOST:PORT replaces host and port)");
      if (!path.empty() && path != "/") throw UsageError(w + ": " + scheme + ":// takes no path");
      d.base = scheme + "://" + host;
      if (d.param("from").empty()) throw UsageError(w + ": " + scheme + ":// needs ?from=ADDRESS");
      if (d.param("to").empty()) throw UsageError(w + ": " + scheme + ":// needs ?to=ADDRESS[,ADDRESS…]");
      break;
    }
  }

  if (endpoint && full_url) throw UsageError(w + ": endpoint and url: give one");
  if (endpoint) {
    if (d.service == Service::smtp) {
      if (!endpoint->starts_with("smtp://") && !endpoint->starts_with("smtps://"))
        throw UsageError(w + ": endpoint: expected an smtp:// or smtps:// URL");
      // The endpoint replaces host and port; the scheme decides STARTTLS or implicit TLS.
      d.base = *endpoint;
    } else {
      // Scheme, host, port and a base path; the service's own path and query follow.
      require_http_url(*endpoint, w, "endpoint");
      if (endpoint->find_first_of("?#") != std::string::npos)
        throw UsageError(w + ": endpoint: takes scheme, host, port and path only (url= replaces the whole URL)");
      d.base = *endpoint;
      while (d.base.ends_with('/')) d.base.pop_back();
    }
  }
  d.url = d.base + d.path;
  if (full_url) {
    require_http_url(*full_url, w, "url");
    d.url = *full_url;
    d.base.clear();
    d.path.clear();
  }
  if (d.service == Service::webhook && d.url.find("://") + 3 == d.url.size())
    throw UsageError(w + ": " + scheme + ":// needs a host");
  return d;
}

}  // namespace ciutils::notify
