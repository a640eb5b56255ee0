#include "lock_store.h"

#include "names.h"
#include "pool_change.h"
#include "scripts.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

namespace ciutils::lockctl {

namespace json = boost::json;

std::string resource_prefix(const KeySpace& keys, const std::string& resource) {
  return keys.key("lock:" + resource, "") + ":";
}

std::string pool_prefix(const KeySpace& keys, const std::string& pool) {
  return keys.key("lock:pool:" + pool, "") + ":";
}

NameInfo read_name(Redis& redis, const KeySpace& keys, const std::string& name) {
  Reply reply = redis.command({"HMGET", resource_prefix(keys, name) + "name", "pool", "is_pool"});
  NameInfo info;
  info.pool = reply[0].optional_string();
  info.is_pool = !reply[1].is_nil();
  return info;
}

std::string scope_prefix(Redis& redis, const KeySpace& keys, const Target& target) {
  if (target.pool) {
    return pool_prefix(keys, target.name);
  }
  std::optional<std::string> common_pool;
  for (std::size_t i = 0; i < target.names.size(); ++i) {
    const std::string& name = target.names[i];
    NameInfo info = read_name(redis, keys, name);
    if (info.is_pool) {
      throw UsageError("RESOURCE: '" + name + "' is a pool (use --pool " + name + ")");
    }
    if (target.names.size() == 1) {
      return info.pool ? pool_prefix(keys, *info.pool) : resource_prefix(keys, name);
    }
    if (!info.pool) {
      throw UsageError("RESOURCE: resources taken together must be members of one pool, and '" + name +
                       "' is in none (lockctl pool add POOL " + join(target.names, " ") + ")");
    }
    if (i > 0 && *info.pool != *common_pool) {
      throw UsageError("RESOURCE: resources taken together must be members of one pool: '" + target.names.front() +
                       "' is in pool '" + *common_pool + "', '" + name + "' in pool '" + *info.pool + "'");
    }
    common_pool = info.pool;
  }
  return pool_prefix(keys, *common_pool);
}

std::string scope_prefix_for_name(Redis& redis, const KeySpace& keys, const std::string& name) {
  NameInfo info = read_name(redis, keys, name);
  if (info.pool) return pool_prefix(keys, *info.pool);
  if (info.is_pool) return pool_prefix(keys, name);
  return resource_prefix(keys, name);
}

json::object decode_reply(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object() || !v.as_object().contains("status")) {
    throw std::runtime_error("unexpected reply from a lockctl script: " + text.substr(0, 200));
  }
  return std::move(v.as_object());
}

json::object call_script(Redis& redis, const Script& script, const std::string& prefix,
                         const std::vector<std::string>& args) {
  return decode_reply(redis.eval(script, {prefix}, args).string());
}

json::object call_lease_script(Redis& redis, const Script& script, std::string& prefix,
                               const std::vector<std::string>& args) {
  for (int hops = 0;; ++hops) {
    json::object reply = call_script(redis, script, prefix, args);
    const std::string status = string_field(reply, "status");
    if (status == "pending") {
      // Maybe on its way here with its resource: finish the pool change, then look again.
      if (hops == 8) return json::object{{"status", "not-held"}};
      settle_moves(redis, prefix);
      continue;
    }
    if (status != "moved" || hops == 8) return reply;
    prefix = string_field(reply, "prefix");
  }
}

std::vector<std::string> string_list(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& e : v.as_array()) {
      out.emplace_back(e.is_string() ? std::string(e.as_string()) : json::serialize(e));
    }
  }
  return out;
}

namespace {
long long to_integer(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<long long>(v.as_uint64());
  if (v.is_double()) return static_cast<long long>(v.as_double());
  if (v.is_string()) return std::stoll(std::string(v.as_string()));
  return 0;
}
}  // namespace

std::vector<long long> integer_list(const json::value& v) {
  std::vector<long long> out;
  if (v.is_array()) {
    for (const auto& e : v.as_array()) out.push_back(to_integer(e));
  }
  return out;
}

long long integer_field(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v ? to_integer(*v) : 0;
}

std::string string_field(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string request_json(const AcquireRequest& request, const std::string& token, bool wait) {
  json::object o;
  o["kind"] = request.target.pool ? "pool" : "resource";
  o["name"] = request.target.name;
  if (request.target.pool) {
    if (const auto& label = request.target.label) {
      json::array postfix;
      for (const auto& t : label->postfix) postfix.emplace_back(t);
      o["label"] = std::move(postfix);
      o["label_text"] = label->text;
    }
  } else {
    json::array names;
    for (const auto& n : request.target.names) names.emplace_back(n);
    o["names"] = std::move(names);
  }
  o["quantity"] = request.target.quantity;
  o["slots"] = request.slots.value_or(0);
  o["ttl_ms"] = request.ttl.count();
  o["priority"] = request.priority;
  o["token"] = token;
  o["owner"] = request.owner;
  o["host"] = request.owner.substr(0, request.owner.find(':'));
  o["pid"] = static_cast<long long>(getpid());
  o["ci"] = to_json(request.ci);
  o["wait"] = wait;
  o["heartbeat_ms"] = k_waiter_heartbeat.count();
  return json::serialize(o);
}

Grant decode_grant(const json::object& reply, std::string prefix, std::string token, milliseconds ttl) {
  Grant g;
  g.prefix = std::move(prefix);
  g.token = std::move(token);
  g.resources = string_list(reply.at("resources"));
  g.fences = integer_list(reply.at("fences"));
  if (const json::value* props = reply.if_contains("props")) {
    for (const auto& p : string_list(*props)) {
      json::error_code ec;
      json::value v = json::parse(p, ec);
      g.props.push_back(!ec && v.is_object() ? std::move(v.as_object()) : json::object{});
    }
  }
  g.expires_ms = integer_field(reply, "expires");
  g.now_ms = integer_field(reply, "now");
  g.waited_ms = integer_field(reply, "waited_ms");
  g.ttl = ttl;
  if (g.resources.empty() || g.resources.size() != g.fences.size() || g.resources.size() != g.props.size()) {
    throw std::runtime_error("malformed grant reply: " + json::serialize(reply));
  }
  return g;
}

namespace {

// Leaves the queue on every way out of the wait that is not a grant.
class QueueSeat {
public:
  QueueSeat(Redis& redis, std::string prefix, std::string token)
      : m_redis(redis), m_prefix(std::move(prefix)), m_token(std::move(token)) {}
  ~QueueSeat() {
    if (!m_seated) return;
    try {
      call_script(m_redis, leave_script(), m_prefix, {m_token});
    } catch (...) {
      // Redis gone: the heartbeat lapses and the next script drops the seat.
    }
  }
  QueueSeat(const QueueSeat&) = delete;
  QueueSeat& operator=(const QueueSeat&) = delete;
  void seated(bool on) { m_seated = on; }

private:
  Redis& m_redis;
  std::string m_prefix;
  std::string m_token;
  bool m_seated = false;
};

[[noreturn]] void throw_signal(int sig, const Target& target) {
  std::string what = "interrupted by SIG" + signal_name(sig) + " while waiting for " +
                     std::string(target.pool ? "pool " : "") + target.name;
  throw Error(static_cast<ExitCode>(128 + sig), what);
}

}  // namespace

std::optional<Grant> acquire_lease(Redis& redis, const KeySpace& keys, const AcquireRequest& request,
                                   SignalWatch& signals, const Note& note) {
  WaitControl control;
  control.check = [&] {
    for (int sig : signals.read()) {
      if (sig != SIGCHLD) throw_signal(sig, request.target);
    }
  };
  control.fd = signals.fd();
  return acquire_lease(redis, keys, request, control, note);
}

std::optional<Grant> acquire_lease(Redis& redis, const KeySpace& keys, const AcquireRequest& request,
                                   const WaitControl& control, const Note& note) {
  using Clock = std::chrono::steady_clock;
  std::string prefix = scope_prefix(redis, keys, request.target);
  const std::string token = request.token.empty() ? new_token() : request.token;
  const bool wait = !request.wait || request.wait->count() > 0;
  const auto deadline = request.wait ? Clock::now() + *request.wait : Clock::time_point::max();

  std::optional<QueueSeat> seat;
  seat.emplace(redis, prefix, token);
  std::optional<Redis> blocking;
  std::string wake_key = prefix + "wake:" + token;
  int moves = 0;
  bool in_outage = false;
  Clock::time_point outage_since{};
  milliseconds backoff = k_reconnect_first;
  while (true) {
    control.check();
    json::object reply;
    try {
      reply = call_script(redis, acquire_script(), prefix, {request_json(request, token, wait)});
    } catch (const ServiceError& e) {
      // Redis restarting or out of reach: ride it out within --wait, reconnecting with backoff.
      const auto* refused = dynamic_cast<const RedisRefusedError*>(&e);
      if (!wait || (refused && !refused->transient())) throw;
      const auto now = Clock::now();
      if (!in_outage) {
        in_outage = true;
        outage_since = now;
        note(std::string(e.what()) + "; reconnecting while waiting");
      }
      const auto give_up = request.wait ? deadline : outage_since + k_waiter_outage_limit;
      if (now >= give_up) throw;
      blocking.reset();
      pollfd p{control.fd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(std::chrono::duration_cast<milliseconds>(std::min<Clock::duration>(backoff, give_up - now)).count()));
      backoff = std::min(backoff * 2, k_reconnect_max);
      continue;
    }
    const std::string status = string_field(reply, "status");
    if (in_outage) {
      std::string where = status == "queued"
          ? (reply.contains("requeued") && reply.at("requeued").as_bool() ? "queued again at position "
                                                                         : "kept position ") +
                std::to_string(integer_field(reply, "position"))
          : status;
      note("Redis is back after " +
           format_duration(std::chrono::duration_cast<milliseconds>(Clock::now() - outage_since)) + "; " + where);
      in_outage = false;
      backoff = k_reconnect_first;
    }
    if (status == "granted") {
      seat->seated(false);
      return decode_grant(reply, prefix, token, request.ttl);
    }
    if ((status == "moved" || status == "pending") && ++moves < 100) {
      // A pool change moved the resource, or is moving it (the script dropped our seat):
      // finish the change if need be, and queue where the resource is now.
      seat->seated(false);
      if (status == "pending") settle_moves(redis, prefix);
      prefix = scope_prefix(redis, keys, request.target);
      seat.emplace(redis, prefix, token);
      wake_key = prefix + "wake:" + token;
      continue;
    }
    if (status == "is-pool") {
      const std::string name = string_field(reply, "name");
      throw UsageError("RESOURCE: '" + name + "' is a pool (use --pool " + name + ")");
    }
    if (status == "no-match") {
      throw UsageError("--label: no member of pool '" + request.target.name + "' matches '" +
                       request.target.label->text + "'");
    }
    if (status == "unknown-pool") {
      throw UsageError("--pool: unknown pool '" + request.target.name + "' (define it with: lockctl pool set " +
                       request.target.name + " MEMBER...)");
    }
    if (status == "too-many") {
      const std::string members = std::to_string(integer_field(reply, "members"));
      if (request.target.label) {
        throw UsageError("--quantity: " + std::to_string(request.target.quantity) + " is more than the " + members +
                         " member(s) of pool '" + request.target.name + "' matching '" +
                         request.target.label->text + "'");
      }
      throw UsageError("--quantity: " + std::to_string(request.target.quantity) + " is more than pool '" +
                       request.target.name + "' has (" + members + " members)");
    }
    if (status == "busy") {
      return std::nullopt;
    }
    if (status != "queued") {
      throw std::runtime_error("unexpected acquire reply: " + json::serialize(reply));
    }
    seat->seated(true);
    auto now = Clock::now();
    if (now >= deadline) {
      return std::nullopt;  // the seat leaves the queue
    }
    auto block = std::min<Clock::duration>(k_recheck, deadline - now);
    auto block_ms = std::max<long long>(10, std::chrono::duration_cast<milliseconds>(block).count());
    if (!blocking) {
      Redis::Options options;
      options.command_timeout = k_recheck + std::chrono::seconds(5);
      blocking.emplace(Redis::connect(redis.url(), options));
    }
    char timeout[32];
    std::snprintf(timeout, sizeof timeout, "%.3f", static_cast<double>(block_ms) / 1000.0);
    try {
      blocking->command({"BLPOP", wake_key, timeout});
    } catch (const ServiceError&) {
      // The next script call tells whether Redis is really gone; until then, re-check.
      blocking.reset();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

}  // namespace ciutils::lockctl
