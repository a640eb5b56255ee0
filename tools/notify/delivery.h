// Sending prepared requests: shared rate limit, retries honouring Retry-After, outcomes.
#pragma once

#include "alert.h"
#include "destination.h"
#include "email.h"

#include <ciutils/http.h>
#include <ciutils/redis.h>
#include <ciutils/secrets.h>

#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>

namespace ciutils::notify {

// One destination's request, built (and so validated) before anything is sent.
struct Outbound {
  Destination dest;
  Alert alert;
  std::optional<HttpRequest> http;
  std::optional<EmailMessage> email;
};

Outbound prepare(const Destination& dest, const Alert& alert);

// The request as --dry-run prints it, secrets redacted.
std::string describe(const Outbound& out, const Secrets& secrets);

// rejected: a 4xx retrying cannot fix; withdrawn: a recovery not sent because the trigger
// of its incident was still spooled for that destination (both were dropped).
enum class Outcome { accepted, rejected, failed, withdrawn };

struct DeliveryResult {
  std::string destination;
  std::string service;
  bool required = true;
  Outcome outcome = Outcome::failed;
  long http_status = 0;
  int attempts = 0;
  std::string error;   // redacted
  bool spooled = false;
};

std::string_view outcome_name(Outcome outcome);
boost::json::value result_to_json(const DeliveryResult& result);

struct DeliveryContext {
  Redis* redis = nullptr;  // for the shared rate limit; none: no limit
  const KeySpace* keys = nullptr;
  const Secrets* secrets = nullptr;
  // Hears progress lines (retries, rate-limit waits), already redacted.
  std::function<void(const std::string&)> log;
};

DeliveryResult deliver(const Outbound& out, const DeliveryContext& ctx);

}  // namespace ciutils::notify
