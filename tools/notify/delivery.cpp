#include "delivery.h"

#include "payload.h"
#include "state.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/http.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <random>
#include <thread>

namespace ciutils::notify {

namespace json = boost::json;

namespace {

std::string new_message_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) | rd());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return std::string(buf) + ".notify@ciutils";
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

void wait_for_slot(const Outbound& out, const DeliveryContext& ctx) {
  if (!ctx.redis || out.dest.rate_interval.count() <= 0) return;
  // libcurl is loaded on first use (ciutils/lazy_library.h): load it before taking a slot,
  // so the request follows its slot at once instead of after the loading.
  curl_global();
  auto wait = reserve_send_slot(*ctx.redis, *ctx.keys, destination_id(out.dest.url), out.dest.rate_interval);
  if (wait.count() > 0) {
    if (ctx.log) ctx.log(out.dest.name + ": rate limit, waiting " + format_duration(wait));
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace

Outbound prepare(const Destination& dest, const Alert& alert) {
  Outbound out{dest, alert, std::nullopt, std::nullopt};
  if (dest.service == Service::smtp) {
    std::random_device rd;
    auto boundary = "=_ciutils_" + std::to_string(rd()) + std::to_string(rd());
    out.email = build_email(dest, alert, rfc5322_date(), boundary, new_message_id());
  } else {
    out.http = build_http_request(dest, alert);
  }
  return out;
}

std::string describe(const Outbound& out, const Secrets& secrets) {
  if (out.http) {
    auto req = *out.http;
    req.url = redact_url(req.url);
    return secrets.redact(describe_request(req));
  }
  std::string text = "SMTP " + redact_url(out.email->url) + "\nMAIL FROM:<" + out.email->from + ">\n";
  for (const auto& to : out.email->to) text += "RCPT TO:<" + to + ">\n";
  text += "\n" + out.email->data;
  // CRLF on the wire; LF when shown.
  std::string shown;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) shown += text[i];
  return secrets.redact(shown);
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::accepted: return "accepted";
    case Outcome::rejected: return "rejected";
    case Outcome::failed: return "failed";
    case Outcome::withdrawn: return "withdrawn";
  }
  return "?";
}

json::value result_to_json(const DeliveryResult& r) {
  json::object o{{"destination", r.destination},
                 {"service", r.service},
                 {"required", r.required},
                 {"outcome", outcome_name(r.outcome)},
                 {"attempts", r.attempts},
                 {"spooled", r.spooled}};
  if (r.http_status) o["http_status"] = r.http_status;
  if (!r.error.empty()) o["error"] = r.error;
  return o;
}

DeliveryResult deliver(const Outbound& out, const DeliveryContext& ctx) {
  DeliveryResult r;
  r.destination = out.dest.name;
  r.service = std::string(service_name(out.dest.service));
  r.required = out.dest.required;
  auto redact = [&](const std::string& text) { return ctx.secrets ? ctx.secrets->redact(text) : text; };
  RetryPolicy policy;
  policy.retries = out.dest.retries;

  if (out.email) {
    for (int attempt = 1;; ++attempt) {
      r.attempts = attempt;
      wait_for_slot(out, ctx);
      try {
        send_email(*out.email, out.dest);
        r.outcome = Outcome::accepted;
        r.error.clear();
        return r;
      } catch (const SmtpError& e) {
        r.error = redact(e.what());
        if (e.permanent) {
          // No STARTTLS, login denied, a recipient refused: another attempt cannot help.
          r.outcome = Outcome::rejected;
          return r;
        }
      } catch (const Error& e) {
        r.error = redact(e.what());
      }
      if (attempt > policy.retries) break;
      auto wait = backoff_delay(attempt, policy);
      if (ctx.log)
        ctx.log(out.dest.name + ": " + r.error + "; retrying in " + format_duration(wait) + " (attempt " +
                std::to_string(attempt + 1) + " of " + std::to_string(policy.retries + 1) + ")");
      std::this_thread::sleep_for(wait);
    }
    r.outcome = Outcome::failed;
    return r;
  }

  wait_for_slot(out, ctx);
  try {
    auto response = http_send_with_retry(
        *out.http, policy, [&](int attempt, std::chrono::milliseconds wait, std::string_view why) {
          r.attempts = attempt;
          if (ctx.redis && why == "HTTP 429") {
            try {
              hold_destination(*ctx.redis, *ctx.keys, destination_id(out.dest.url), wait);
            } catch (const std::exception&) {
              // The shared hold is a courtesy to other jobs; this send goes on regardless.
            }
          }
          if (ctx.log)
            ctx.log(out.dest.name + ": " + redact(std::string(why)) + "; retrying in " + format_duration(wait) +
                    " (attempt " + std::to_string(attempt + 1) + " of " + std::to_string(policy.retries + 1) + ")");
        });
    r.attempts = std::max(r.attempts + 1, 1);
    r.http_status = response.status;
    if (response.status >= 200 && response.status < 300) {
      r.outcome = Outcome::accepted;
    } else {
      r.outcome = retryable_status(response.status) ? Outcome::failed : Outcome::rejected;
      std::string body = response.body.substr(0, 200);
      for (auto& c : body)
        if (c == '\n' || c == '\r') c = ' ';
      r.error = redact("HTTP " + std::to_string(response.status) + (body.empty() ? "" : ": " + body));
    }
  } catch (const Error& e) {
    r.attempts = policy.retries + 1;
    r.outcome = Outcome::failed;
    r.error = redact(e.what());
  }
  return r;
}

}  // namespace ciutils::notify
