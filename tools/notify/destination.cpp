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
    SchemeInfo{"smtps", Service::smtp},
};

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
  }
  return {};
}

// Services whose own URL may carry a query (Workflows signatures, generic webhooks):
// parameters notify does not know are passed on to the target.
bool passes_query_on(Service service) {
  return service == Service::webhook || service == Service::teams;
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
    throw UsageError(w + ": unknown scheme '" + scheme +
                     "' (expected webhook+https, webhook+http, slack, teams, victorops, "
                     "pagerduty, clickatell, smtp or smtps)");

  Destination d;
  d.spec = std::string(spec);
  d.name = d.spec;
  d.scheme = scheme;
  d.service = info->service;
  // Slack documents one message per second per incoming webhook.
  if (d.service == Service::slack) d.rate_interval = std::chrono::seconds(1);

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
      } else if (known.contains(key)) {
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
