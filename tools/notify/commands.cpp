#include "commands.h"

#include "alert.h"
#include "ci_context.h"
#include "config.h"
#include "delivery.h"
#include "destination.h"
#include "options.h"
#include "results.h"
#include "spool.h"
#include "state.h"

#include <ciutils/clean_text.h>
#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/http.h>
#include <ciutils/json.h>
#include <ciutils/redis.h>
#include <ciutils/secrets.h>
#include <ciutils/timestamp.h>

#include <boost/json.hpp>

#include <iostream>
#include <iterator>
#include <memory>

namespace ciutils::notify {

namespace json = boost::json;

namespace {

constexpr std::size_t k_message_max = 64 * 1024;

// Resolves --to/positional names and URLs and --tag into the destination list.
std::vector<Destination> select_destinations(const Options& o, const std::vector<std::string>& positional,
                                             const std::optional<Config>& config, Secrets& secrets) {
  std::vector<Destination> out;
  auto add = [&](const Destination& d) {
    for (const auto& existing : out)
      if (existing.name == d.name) return;
    out.push_back(d);
  };
  std::vector<std::pair<std::string, std::string>> wanted;
  for (const auto& p : positional) wanted.push_back({p, "destination"});
  for (const auto& t : o.to) wanted.push_back({t, "--to"});
  for (const auto& [spec, flag] : wanted) {
    if (spec.find("://") != std::string::npos) {
      add(parse_destination(spec, flag, secrets));
    } else if (config && config->find(spec)) {
      add(*config->find(spec));
    } else {
      throw UsageError(flag + ": unknown destination '" + spec + "'" +
                       (config ? " (not in " + o.config + ")" : " (no --config given)"));
    }
  }
  for (const auto& tag : o.tags) {
    if (!config) throw UsageError("--tag: needs --config FILE");
    auto tagged = config->tagged(tag);
    if (tagged.empty()) throw UsageError("--tag: unknown tag '" + tag + "' (no destination in " + o.config + " has it)");
    for (const auto* d : tagged) add(*d);
  }
  if (out.empty()) throw UsageError("no destination: give DEST, --to or --tag");
  return out;
}

std::string read_message(const Options& o) {
  std::string text = o.message;
  std::string flag = "--message";
  if (o.stdin_message) {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    flag = "--stdin";
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  }
  if (text.size() > k_message_max)
    throw UsageError(flag + ": the message is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                     std::to_string(k_message_max));
  return text;
}

Redis connect_redis(const Invocation& inv) { return Redis::connect(inv.redis_url()); }

std::string title_for(const Alert& a, const Options& o, const Transition& t) {
  std::string base;
  switch (a.event) {
    case Event::trigger:
      if (!o.title.empty()) return o.title;
      if (a.failed.size() == 1 && a.total <= 1) return a.key + ": 1 test failed";
      if (!a.failed.empty())
        return a.key + ": " + std::to_string(a.failed.size()) + (a.total ? " of " + std::to_string(a.total) : "") +
               " tests failed";
      return a.key + " failed";
    case Event::remind:
      base = o.title.empty() ? a.key : o.title;
      return base + " still failing (" + std::to_string(t.failures) + " runs)";
    case Event::recover:
      return o.title.empty() ? a.key + " recovered" : "Recovered: " + o.title;
    case Event::message: break;
  }
  return o.title;
}

struct Reporter {
  bool json = false;
  bool quiet = false;
  std::ostream& err;
  void note(const std::string& text) const {
    if (!quiet) err << "notify: " << text << "\n";
  }
  // Undelivered alerts are reported even with -q.
  void warn(const std::string& text) const { err << "notify: " << text << "\n"; }
};

// A lifecycle event supersedes what its key left spooled for the same destination: the
// older entries are withdrawn. A recovery whose incident's trigger was among them is not
// sent either (the destination never saw the incident); that result is returned.
std::optional<DeliveryResult> withdraw_superseded(const Outbound& out, Spool& spool, const Secrets& secrets,
                                                  const Reporter& rep) {
  if (out.alert.version <= 0) return std::nullopt;
  std::vector<Spool::Withdrawn> gone;
  try {
    gone = spool.withdraw(out.alert.key, out.dest.spec, out.alert.version);
  } catch (const std::exception& e) {
    rep.warn(out.dest.name + ": could not look for superseded alerts in the " + spool.describe() + ": " +
             secrets.redact(e.what()));
    return std::nullopt;
  }
  if (gone.empty()) return std::nullopt;
  bool trigger_unsent = false;
  for (const auto& w : gone)
    if (w.event == Event::trigger && w.incident == out.alert.incident) trigger_unsent = true;
  rep.note(secrets.redact(out.dest.name + ": withdrew " + std::to_string(gone.size()) + " spooled alert" +
                          (gone.size() == 1 ? "" : "s") + " of " + out.alert.key + " superseded by this " +
                          std::string(event_name(out.alert.event))));
  if (out.alert.event != Event::recover || !trigger_unsent) return std::nullopt;
  DeliveryResult r;
  r.destination = out.dest.name;
  r.service = std::string(service_name(out.dest.service));
  r.required = out.dest.required;
  r.outcome = Outcome::withdrawn;
  r.error = "the trigger was still spooled; neither is sent";
  return r;
}

// Delivers every outbound request; spools what failed. Returns the results.
std::vector<DeliveryResult> send_all(const std::vector<Outbound>& outs, Redis* redis, const KeySpace& keys,
                                     const Secrets& secrets, Spool* spool, const Reporter& rep) {
  DeliveryContext ctx;
  ctx.redis = redis;
  ctx.keys = &keys;
  ctx.secrets = &secrets;
  ctx.log = [&](const std::string& line) { rep.note(secrets.redact(line)); };
  std::vector<DeliveryResult> results;
  for (const auto& out : outs) {
    auto r = spool ? withdraw_superseded(out, *spool, secrets, rep) : std::nullopt;
    if (!r) r = deliver(out, ctx);
    if (r->outcome == Outcome::failed) {
      if (spool) {
        try {
          spool->push(spool_entry_json(out.dest, out.alert, format_utc(std::chrono::system_clock::now())));
          r->spooled = true;
        } catch (const std::exception& e) {
          rep.note(out.dest.name + ": could not spool: " + secrets.redact(e.what()));
        }
      }
    }
    std::string line = out.dest.name + " (" + r->service + "): " + std::string(outcome_name(r->outcome));
    if (r->http_status) line += " (HTTP " + std::to_string(r->http_status) + ")";
    if (!r->error.empty() && r->outcome != Outcome::accepted) line += ": " + r->error;
    if (r->spooled) line += "; spooled to " + spool->describe();
    else if (r->outcome == Outcome::failed) line += "; not spooled";
    if (r->outcome == Outcome::rejected || r->outcome == Outcome::failed) rep.warn(secrets.redact(line));
    else if (!rep.json) rep.note(secrets.redact(line));
    results.push_back(std::move(*r));
  }
  return results;
}

// Text from the command line, stdin and test output goes out as valid UTF-8 without
// terminal escapes (what clean_text does for report), with known secrets redacted.
void sanitize_alert(Alert& alert, const Secrets& secrets) {
  auto clean = [&](std::string& text) { text = secrets.redact(clean_text(secrets.redact(text))); };
  clean(alert.title);
  clean(alert.message);
  clean(alert.source);
  for (auto& f : alert.failed) {
    clean(f.name);
    clean(f.message);
  }
  for (auto& l : alert.links) {
    clean(l.href);
    clean(l.text);
  }
}

int exit_code_for(const std::vector<DeliveryResult>& results) {
  for (const auto& r : results)
    if (r.required && r.outcome != Outcome::accepted && r.outcome != Outcome::withdrawn)
      return to_int(ExitCode::unavailable);
  return 0;
}

json::array results_json(const std::vector<DeliveryResult>& results) {
  json::array arr;
  for (const auto& r : results) arr.push_back(result_to_json(r));
  return arr;
}

std::optional<Spool> open_spool(const Options& o, Redis* redis, const KeySpace& keys) {
  std::string dir = o.spool.empty() ? env_value("NOTIFY_SPOOL").value_or("") : o.spool;
  if (!dir.empty()) return Spool::directory(dir);
  if (redis) return Spool::redis_list(*redis, keys);
  return std::nullopt;
}

}  // namespace

int cmd_flush(Invocation& inv) {
  const Options o = options_of(inv);
  const KeySpace keys = inv.key_space();
  const Reporter rep{o.common.json, o.common.quiet, inv.err};
  Secrets secrets;
  auto claim_timeout = Spool::k_default_claim_timeout;
  if (!o.claim_timeout.empty()) {
    claim_timeout = parse_duration(o.claim_timeout, "--claim-timeout");
    if (claim_timeout <= std::chrono::milliseconds(0)) throw UsageError("--claim-timeout: must be more than 0");
  }
  std::unique_ptr<Redis> redis;
  std::string dir = o.spool.empty() ? env_value("NOTIFY_SPOOL").value_or("") : o.spool;
  if (dir.empty() || inv.redis_named()) {
    try {
      redis = std::make_unique<Redis>(connect_redis(inv));
    } catch (const Error&) {
      if (dir.empty()) throw;
    }
  }
  auto spool = open_spool(o, redis.get(), keys);
  spool->set_claim_timeout(claim_timeout);
  std::vector<DeliveryResult> results;
  std::size_t sent = 0, left = 0, dropped = 0, superseded = 0;
  DeliveryContext ctx;
  ctx.redis = redis.get();
  ctx.keys = &keys;
  ctx.secrets = &secrets;
  ctx.log = [&](const std::string& line) { rep.note(secrets.redact(line)); };
  if (o.dry_run) {
    // Shows what would be sent; claims nothing, so it never delays a real flush.
    for (const auto& entry : spool->list()) {
      std::string where = dir.empty() ? spool->describe() : entry.id;
      try {
        auto [dest, alert] = parse_spool_entry(entry.text, where, secrets);
        inv.out << describe(prepare(dest, alert), secrets) << "\n";
      } catch (const UsageError& e) {
        rep.note(secrets.redact(e.what()));
      }
      ++left;
    }
  }
  // Each entry is claimed before it is sent, so concurrent flushes never send one twice.
  // What could not be delivered stays claimed until the end, then goes back to the spool.
  std::vector<SpoolEntry> unsent;
  auto put_back = [&] {
    for (auto it = unsent.rbegin(); it != unsent.rend(); ++it) {
      try {
        spool->release(*it);
      } catch (const std::exception& e) {
        rep.warn(secrets.redact(e.what()));
      }
    }
    unsent.clear();
  };
  try {
    while (!o.dry_run) {
      auto entry = spool->claim();
      if (!entry) break;
      std::string where = dir.empty() ? spool->describe() : entry->home;
      std::optional<Outbound> out;
      try {
        auto [dest, alert] = parse_spool_entry(entry->text, where, secrets);
        out = prepare(dest, alert);
      } catch (const UsageError& e) {
        // An entry that can no longer be built (a ${VAR} now unset) stays for a later flush.
        rep.note(secrets.redact(e.what()));
        unsent.push_back(std::move(*entry));
        ++left;
        continue;
      }
      if (redis && out->alert.version > 0 &&
          current_version(*redis, keys, out->alert.key) > out->alert.version) {
        // A later event of the key (a recovery, a new trigger) was decided meanwhile.
        if (!spool->remove(*entry))
          rep.warn(out->dest.name + ": the claim outlived --claim-timeout and was taken over");
        rep.note(secrets.redact(out->dest.name + ": spooled " + std::string(event_name(out->alert.event)) +
                                " superseded by a later event of " + out->alert.key + "; dropped"));
        ++superseded;
        continue;
      }
      auto r = deliver(*out, ctx);
      if (r.outcome == Outcome::failed) {
        unsent.push_back(std::move(*entry));
        ++left;
      } else {
        if (!spool->remove(*entry))
          rep.warn(out->dest.name + ": the claim outlived --claim-timeout and was taken over; another flush may send it again");
        ++(r.outcome == Outcome::accepted ? sent : dropped);
      }
      std::string line = out->dest.name + " (" + r.service + "): " + std::string(outcome_name(r.outcome));
      if (!r.error.empty()) line += ": " + r.error;
      if (r.outcome == Outcome::rejected) line += "; removed from the spool";
      if (r.outcome != Outcome::accepted || !rep.json) rep.note(secrets.redact(line));
      results.push_back(std::move(r));
    }
  } catch (...) {
    put_back();
    throw;
  }
  put_back();
  if (rep.json) {
    json::object doc{{"sent", sent},           {"rejected", dropped},
                     {"superseded", superseded}, {"remaining", left},
                     {"deliveries", results_json(results)}};
    inv.out << secrets.redact(to_json(doc)) << "\n";
  } else {
    rep.note("flushed " + std::to_string(sent) + ", " + std::to_string(left) + " left in the " + spool->describe());
  }
  return left || dropped ? to_int(ExitCode::unavailable) : 0;
}

int cmd_send(Invocation& inv) {
  Options o = options_of(inv);
  const Reporter rep{o.common.json, o.common.quiet, inv.err};
  const std::vector<std::string>& positional = o.destinations;

  // 1. Everything that can be wrong with the input, before any state changes or sends.
  if (o.stdin_message && o.message_given) throw UsageError("--message and --stdin: give one");
  if (o.stdin_message && o.from == "-") throw UsageError("--stdin and --from -: only one can read stdin");
  if (!o.status.empty() && o.status != "failed" && o.status != "passed")
    throw UsageError("--status: expected failed or passed, got '" + o.status + "'");
  if (o.key.empty()) {
    for (const char* flag : {"status", "threshold", "recover-after", "remind", "state-ttl"})
      if (inv.vm.count(flag)) throw UsageError(std::string("--") + flag + ": needs --key");
    if (o.title.empty() && o.from.empty()) throw UsageError("--title: required for a message without --key");
  } else {
    check_key(o.key, "--key");
    if (o.status.empty() && o.from.empty()) throw UsageError("--key: needs --status or --from");
  }
  if (!o.severity.empty() && o.severity != "critical" && o.severity != "error" && o.severity != "warning" &&
      o.severity != "info")
    throw UsageError("--severity: expected critical, error, warning or info, got '" + o.severity + "'");

  LifecycleOptions lifecycle;
  if (!o.threshold.empty()) lifecycle.threshold = parse_threshold(o.threshold, "--threshold");
  if (!o.recover_after.empty())
    lifecycle.recover_after = static_cast<int>(parse_integer(o.recover_after, "--recover-after", 1, 1000));
  if (!o.remind.empty()) {
    lifecycle.remind = parse_duration(o.remind, "--remind");
    if (lifecycle.remind.count() <= 0) throw UsageError("--remind: must be positive");
  }
  if (!o.state_ttl.empty()) {
    auto ttl = parse_duration(o.state_ttl, "--state-ttl");
    if (ttl < std::chrono::seconds(1)) throw UsageError("--state-ttl: must be at least 1s");
    lifecycle.ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
  }
  lifecycle.dry_run = o.dry_run;
  auto keys = inv.key_space();

  Secrets secrets;
  std::optional<Config> config;
  if (o.config.empty()) o.config = env_value("NOTIFY_CONFIG").value_or("");
  if (!o.config.empty()) config = read_config(o.config, secrets);
  auto destinations = select_destinations(o, positional, config, secrets);

  Alert alert;
  alert.key = o.key;
  alert.message = read_message(o);
  alert.source = o.source.empty() ? default_source() : o.source;
  alert.links = ci_links(o.links);
  alert.time = format_utc(std::chrono::system_clock::now());
  alert.severity = o.severity.empty() ? (o.key.empty() ? "info" : "critical") : o.severity;
  bool failed = o.status == "failed";
  if (!o.from.empty()) {
    auto outcome = read_results_file(o.from);
    alert.failed = std::move(outcome.failed_tests);
    alert.total = outcome.total;
    if (o.status.empty()) failed = outcome.failed;
  }
  if (o.key.empty() && o.title.empty())
    alert.title = alert.failed.empty() ? "All " + std::to_string(alert.total) + " tests passed"
                                       : std::to_string(alert.failed.size()) + " of " + std::to_string(alert.total) +
                                             " tests failed";

  // A secret that leaked into test output is not sent on to chat rooms and phones.
  sanitize_alert(alert, secrets);

  // Build every request once as a trigger to validate templates and addresses.
  {
    Alert probe = alert;
    probe.event = o.key.empty() ? Event::message : Event::trigger;
    probe.title = o.title.empty() ? (alert.title.empty() ? o.key : alert.title) : o.title;
    for (const auto& d : destinations) prepare(d, probe);
  }

  // 2. The lifecycle decision (one Lua script) when there is a key.
  std::unique_ptr<Redis> redis;
  Transition transition;
  if (!o.key.empty()) {
    redis = std::make_unique<Redis>(connect_redis(inv));
    transition = record_outcome(*redis, keys, o.key, failed, lifecycle);
    alert.failures = transition.failures;
    alert.version = transition.version;
    alert.incident = transition.incident;
    switch (transition.decision) {
      case Decision::trigger: alert.event = Event::trigger; break;
      case Decision::remind: alert.event = Event::remind; break;
      case Decision::recover: alert.event = Event::recover; break;
      case Decision::none: break;
    }
    if (transition.decision == Decision::none) {
      std::string state = failed ? "failing (" + std::to_string(transition.failures) + " runs" +
                                       (transition.history.find('F') != std::string::npos &&
                                                lifecycle.threshold.failures > 1
                                            ? ", history " + transition.history
                                            : "") +
                                       ")"
                 : transition.passes > 0 ? "passing " + std::to_string(transition.passes) + " of " +
                                               std::to_string(lifecycle.recover_after) + " runs before a recovery"
                                         : "passing";
      if (rep.json) {
        json::object doc{{"key", o.key}, {"status", failed ? "failed" : "passed"}, {"event", "none"},
                         {"failures", transition.failures}, {"history", transition.history},
                         {"dry_run", o.dry_run}, {"deliveries", json::array{}}};
        if (transition.passes > 0) doc["passes"] = transition.passes;
        inv.out << to_json(doc) << "\n";
      } else if (o.common.verbose) {
        rep.note(o.key + ": " + state + "; no alert");
      }
      return 0;
    }
  } else if (inv.redis_named()) {
    try {
      redis = std::make_unique<Redis>(connect_redis(inv));
    } catch (const Error& e) {
      rep.note("no shared rate limit or Redis spool: " + secrets.redact(e.what()));
    }
  }
  if (o.key.empty()) {
    if (!o.title.empty()) alert.title = o.title;  // else "N of M tests failed" from --from
  } else {
    alert.title = title_for(alert, o, transition);
  }
  if (alert.event == Event::recover && alert.message.empty() && transition.since_ms > 0)
    alert.message = "Passing again after " + std::to_string(transition.failures) + " failed run" +
                    (transition.failures == 1 ? "" : "s") + " (failing since " +
                    format_utc(SysTime(std::chrono::milliseconds(transition.since_ms)), 0) + ").";
  sanitize_alert(alert, secrets);

  std::vector<Outbound> outs;
  for (const auto& d : destinations) outs.push_back(prepare(d, alert));

  json::object doc{{"event", event_name(alert.event)}, {"dry_run", o.dry_run}};
  if (!o.key.empty()) {
    doc["key"] = o.key;
    doc["status"] = failed ? "failed" : "passed";
    doc["failures"] = transition.failures;
    doc["history"] = transition.history;
  }

  if (o.dry_run) {
    if (rep.json) {
      json::array reqs;
      for (const auto& out : outs)
        reqs.push_back({{"destination", out.dest.name}, {"service", service_name(out.dest.service)},
                        {"request", describe(out, secrets)}});
      doc["requests"] = std::move(reqs);
      inv.out << secrets.redact(to_json(doc)) << "\n";
    } else {
      for (const auto& out : outs) inv.out << "# " << out.dest.name << "\n" << describe(out, secrets) << "\n";
    }
    return 0;
  }

  // 3. Delivery; what fails is spooled.
  auto spool = open_spool(o, redis.get(), keys);
  auto results = send_all(outs, redis.get(), keys, secrets, spool ? &*spool : nullptr, rep);
  if (rep.json) {
    doc["deliveries"] = results_json(results);
    inv.out << secrets.redact(to_json(doc)) << "\n";
  }
  return exit_code_for(results);
}

}  // namespace ciutils::notify
