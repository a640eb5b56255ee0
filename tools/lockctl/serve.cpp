#include "serve.h"

#include "lock_store.h"
#include "names.h"
#include "scripts.h"
#include "serve_keys.h"
#include "status_view.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/http_server.h"
#include "ciutils/redis_pool.h"
#include "ciutils/sha256.h"

#include <boost/json.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace ciutils::lockctl {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

int http_status_of(int exit_code) {
  switch (exit_code) {
  case 0: return 200;
  case 1: return 410;
  case 2: return 400;
  case 3: return 503;
  case 75: return 409;
  default: return 500;
  }
}

namespace {

ServerResponse json_response(int status, const json::value& body) {
  return {status, {{"content-type", "application/json"}}, json::serialize(body)};
}

ServerResponse error_response(int status, const std::string& message) {
  return json_response(status, json::object{{"error", message}});
}

// A token bucket per key: `rate` requests a second, bursts of 2 * rate.
class RateLimiter {
public:
  explicit RateLimiter(double rate) : m_rate(rate) {}
  bool allow(const std::string& key) {
    if (m_rate <= 0) return true;
    std::lock_guard lock(m_mutex);
    auto now = Clock::now();
    auto [it, fresh] = m_buckets.try_emplace(key, Bucket{2 * m_rate, now});
    Bucket& b = it->second;
    b.tokens = std::min(2 * m_rate, b.tokens + std::chrono::duration<double>(now - b.last).count() * m_rate);
    b.last = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  double m_rate;
  std::mutex m_mutex;
  std::map<std::string, Bucket> m_buckets;
};

// The waits of /v1/acquire, each on its own thread with its own connections; the server
// waits for them all before it exits.
class Waiters {
public:
  template <class F>
  void spawn(F body) {
    {
      std::lock_guard lock(m_mutex);
      ++m_running;
    }
    std::thread([this, body = std::optional<F>(std::move(body))]() mutable {
      (*body)();
      body.reset();  // the captures end here, before the server may go
      std::lock_guard lock(m_mutex);
      --m_running;
      m_done.notify_all();
    }).detach();
  }
  void wait_all() {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return m_running == 0; });
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_done;
  int m_running = 0;
};

json::array string_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

json::object grant_json(const Grant& g) {
  json::object o;
  o["resources"] = string_array(g.resources);
  o["token"] = g.token;
  json::array fences;
  for (long long f : g.fences) fences.emplace_back(f);
  o["fence"] = g.fences.front();
  o["fences"] = std::move(fences);
  o["expires_at"] = iso_ms(g.expires_ms);
  o["waited_ms"] = g.waited_ms;
  return o;
}

const json::value* field(const json::object& body, const char* name) { return body.if_contains(name); }

std::optional<std::string> string_of(const json::object& body, const char* name) {
  const json::value* v = field(body, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw UsageError(std::string(name) + ": expected a string");
  return std::string(v->as_string());
}

class LockServer {
public:
  LockServer(const ServeCli& cli, ApiKeys keys, std::ostream& err)
      : m_cli(cli), m_keys(std::move(keys)), m_keyspace(cli.parsed.connection.ns),
        m_pool(parse_redis_url(cli.parsed.connection.redis_url)), m_limiter(cli.rate_limit), m_err(err) {}

  void handle(const ServerRequest& request, std::shared_ptr<ServerReply> reply) {
    std::string who = "-";
    auto answer = [&](ServerResponse response) {
      log(request, who, response.status);
      reply->send(std::move(response));
    };
    try {
      if (request.path == "/healthz") {
        if (request.method != "GET") return answer(error_response(405, "method not allowed"));
        auto redis = m_pool.take();
        (*redis).command({"PING"});
        return answer({200, {{"content-type", "text/plain"}}, "ok\n"});
      }
      const ApiKey* key = nullptr;
      if (auto presented = request.header("x-api-key")) key = m_keys.find(*presented);
      if (!key) return answer(error_response(401, "missing or unknown X-API-KEY"));
      who = key->name;
      if (!m_limiter.allow(key->name)) {
        auto response = error_response(429, "too many requests for key " + key->name);
        response.headers.emplace_back("retry-after", "1");
        return answer(std::move(response));
      }
      if (request.path == "/maybe") return answer(maybe(request, *key));
      if (request.path == "/v1/acquire") {
        if (request.method != "POST") return answer(error_response(405, "method not allowed"));
        return acquire(request, *key, reply);
      }
      if (request.path == "/v1/renew" || request.path == "/v1/release") {
        if (request.method != "POST") return answer(error_response(405, "method not allowed"));
        return answer(lease_change(request, *key, request.path == "/v1/renew"));
      }
      if (request.path == "/v1/status" || request.path == "/v1/history" || request.path == "/v1/pools") {
        if (request.method != "GET") return answer(error_response(405, "method not allowed"));
        return answer(read(request, *key));
      }
      return answer(error_response(404, "no such route: " + request.path));
    } catch (const Error& e) {
      return answer(error_response(http_status_of(to_int(e.code())), e.what()));
    } catch (const std::exception& e) {
      return answer(error_response(500, e.what()));
    }
  }

  void finish() { m_waiters.wait_all(); }

private:
  void log(const ServerRequest& request, const std::string& who, int status) {
    if (m_cli.parsed.common.quiet) return;
    std::lock_guard lock(m_log_mutex);
    m_err << "lockctl: " << request.peer << " " << who << " " << request.method << " " << request.target << " " << status
          << "\n";
    m_err.flush();
  }
  void log_line(const std::string& line) {
    std::lock_guard lock(m_log_mutex);
    m_err << "lockctl: " << line << "\n";
    m_err.flush();
  }

  static void check_allowed(const ApiKey& key, const std::string& name) {
    if (!key.allows(name)) throw Error(ExitCode::usage, "key " + key.name + " may not lock '" + name + "'");
  }

  // call-me's API: one slot per environment, the lease token fixed per environment, so any
  // holder of a key may release it (as call-me does); leases last --default-ttl.
  ServerResponse maybe(const ServerRequest& request, const ApiKey& key) {
    auto environment = request.query_value("environment");
    if (!environment) return error_response(400, "missing ?environment=NAME");
    validate_name(*environment, "environment");
    if (!key.allows(*environment)) return error_response(403, "key " + key.name + " may not lock '" + *environment + "'");
    auto redis = m_pool.take();
    Target target = Target::of_resources({*environment});
    const std::string token = sha256_hex("maybe:" + m_keyspace.name() + ":" + *environment).substr(0, 32);
    if (request.method == "GET") {
      json::object view = read_status(*redis, scope_prefix(*redis, m_keyspace, target), target);
      const auto& resources = view.at("resources").as_array();
      bool free = view.at("queue").as_array().empty();
      for (const auto& r : resources) {
        const auto& o = r.as_object();
        long long slots = std::max<long long>(1, integer_field(o, "slots"));
        free = free && integer_field(o, "held") < slots && o.at("reserved").is_null();
      }
      return {free ? 200 : 403, {}, ""};
    }
    if (request.method == "POST") {
      AcquireRequest acquire;
      acquire.target = target;
      acquire.ttl = m_cli.default_ttl;
      acquire.wait = milliseconds(0);
      acquire.owner = "http:" + key.name;
      acquire.token = token;
      auto grant = acquire_lease(*redis, m_keyspace, acquire, WaitControl{[] {}, -1}, [](const std::string&) {});
      return {grant ? 201 : 403, {}, ""};
    }
    if (request.method == "DELETE") {
      std::string prefix = scope_prefix_for_name(*redis, m_keyspace, *environment);
      call_lease_script(*redis, release_script(), prefix, {token, *environment});
      return {204, {}, ""};
    }
    return error_response(405, "method not allowed");
  }

  static json::object body_object(const ServerRequest& request) {
    json::error_code ec;
    json::value v = json::parse(request.body, ec);
    if (ec || !v.is_object()) throw UsageError("body: expected a JSON object");
    return std::move(v.as_object());
  }

  AcquireRequest acquire_request(const json::object& body, const ApiKey& key) {
    AcquireRequest r;
    auto resource = string_of(body, "resource");
    auto pool = string_of(body, "pool");
    if (resource.has_value() == pool.has_value()) throw UsageError("give \"resource\" or \"pool\"");
    if (resource) {
      validate_name(*resource, "resource");
      check_allowed(key, *resource);
      r.target = Target::of_resources({*resource});
    } else {
      validate_name(*pool, "pool");
      check_allowed(key, *pool);
      r.target = Target::of_pool(*pool);
      if (const json::value* q = field(body, "quantity")) {
        if (!q->is_int64() || q->as_int64() < 1 || q->as_int64() > 1000) throw UsageError("quantity: expected 1..1000");
        r.target.quantity = static_cast<int>(q->as_int64());
      }
    }
    r.ttl = m_cli.default_ttl;
    if (auto ttl = string_of(body, "ttl")) r.ttl = parse_duration(*ttl, "ttl");
    if (r.ttl < milliseconds(1000) || r.ttl > std::chrono::hours(24)) throw UsageError("ttl: expected 1s..1d");
    r.wait = milliseconds(0);
    if (auto wait = string_of(body, "wait")) r.wait = parse_duration(*wait, "wait");
    if (*r.wait > m_cli.max_wait) throw UsageError("wait: longer than this server's --max-wait " + format_duration(m_cli.max_wait));
    if (const json::value* p = field(body, "priority")) {
      if (!p->is_int64() || p->as_int64() < -1000 || p->as_int64() > 1000) throw UsageError("priority: expected -1000..1000");
      r.priority = static_cast<int>(p->as_int64());
    }
    r.owner = "http:" + key.name;
    if (auto owner = string_of(body, "owner")) {
      if (owner->empty() || owner->size() > 200) throw UsageError("owner: must be 1 to 200 characters");
      r.owner = *owner;
    }
    return r;
  }

  // A grant nobody will hear of (the client left, the server stops) is released at once.
  void release_unheard(Redis& redis, const Grant& grant) {
    std::string prefix = grant.prefix;
    call_lease_script(redis, release_script(), prefix, {grant.token, grant.resources.front()});
    log_line("released a grant of " + grant.resources.front() + " nobody was left to receive");
  }

  void acquire(const ServerRequest& request, const ApiKey& key, std::shared_ptr<ServerReply> reply) {
    AcquireRequest acquire = acquire_request(body_object(request), key);
    auto not_acquired = [acquire] {
      std::string what = acquire.target.pool ? "pool " + acquire.target.name : acquire.target.name;
      return error_response(409, "could not acquire " + what +
                                     (acquire.wait->count() == 0 ? ": busy" : " within wait " + format_duration(*acquire.wait)));
    };
    if (acquire.wait->count() == 0) {
      auto redis = m_pool.take();
      auto grant = acquire_lease(*redis, m_keyspace, acquire, WaitControl{[] {}, -1}, [](const std::string&) {});
      log(request, key.name, grant ? 200 : 409);
      reply->send(grant ? json_response(200, grant_json(*grant)) : not_acquired());
      return;
    }
    m_waiters.spawn([this, acquire, reply, request, who = key.name, not_acquired]() mutable {
      ServerResponse response;
      try {
        Redis redis = Redis::connect(m_pool.url());
        WaitControl control;
        control.check = [&reply] {
          if (reply->closed()) throw Error(ExitCode::terminated, "the client left or the server is stopping");
        };
        auto grant = acquire_lease(redis, m_keyspace, acquire, control, [](const std::string&) {});
        if (grant && reply->closed()) {
          release_unheard(redis, *grant);
          response = error_response(503, "the server is stopping");
        } else {
          response = grant ? json_response(200, grant_json(*grant)) : not_acquired();
        }
      } catch (const Error& e) {
        response = e.code() == ExitCode::terminated ? error_response(503, "the server is stopping")
                                                    : error_response(http_status_of(to_int(e.code())), e.what());
      } catch (const std::exception& e) {
        response = error_response(500, e.what());
      }
      log(request, who, response.status);
      reply->send(std::move(response));
      reply.reset();
    });
  }

  ServerResponse lease_change(const ServerRequest& request, const ApiKey& key, bool renew) {
    json::object body = body_object(request);
    auto resource = string_of(body, "resource");
    auto token = string_of(body, "token");
    if (!resource || !token) throw UsageError("give \"resource\" and \"token\"");
    validate_name(*resource, "resource");
    validate_token(*token, "token");
    check_allowed(key, *resource);
    milliseconds ttl = m_cli.default_ttl;
    if (auto t = string_of(body, "ttl")) ttl = parse_duration(*t, "ttl");
    if (ttl < milliseconds(1000) || ttl > std::chrono::hours(24)) throw UsageError("ttl: expected 1s..1d");
    auto redis = m_pool.take();
    std::string prefix = scope_prefix_for_name(*redis, m_keyspace, *resource);
    json::object reply = renew ? call_lease_script(*redis, renew_script(), prefix, {*token, std::to_string(ttl.count())})
                               : call_lease_script(*redis, release_script(), prefix, {*token, *resource});
    const std::string status = string_field(reply, "status");
    json::object out{{"resource", *resource}, {"status", status}};
    if (status == "renewed") {
      out["expires_at"] = iso_ms(integer_field(reply, "expires"));
      return json_response(200, out);
    }
    if (!renew && (status == "released" || status == "already-released")) return json_response(200, out);
    return json_response(410, out);
  }

  ServerResponse read(const ServerRequest& request, const ApiKey& key) {
    auto redis = m_pool.take();
    if (request.path == "/v1/pools") return json_response(200, read_pools(*redis, m_keyspace));
    auto resource = request.query_value("resource");
    auto pool = request.query_value("pool");
    if (request.path == "/v1/history") {
      if (!resource) throw UsageError("missing ?resource=NAME");
      validate_name(*resource, "resource");
      check_allowed(key, *resource);
      long long limit = 50;
      if (auto l = request.query_value("limit")) limit = parse_integer(*l, "limit", 1, 10000);
      std::vector<std::string> prefixes{resource_prefix(m_keyspace, *resource)};
      if (std::string home = scope_prefix_for_name(*redis, m_keyspace, *resource); home != prefixes.front()) {
        prefixes.push_back(home);
      }
      return json_response(200, read_history(*redis, prefixes, *resource, limit));
    }
    if (resource.has_value() == pool.has_value()) throw UsageError("give ?resource=NAME or ?pool=NAME");
    const std::string& name = resource ? *resource : *pool;
    validate_name(name, resource ? "resource" : "pool");
    check_allowed(key, name);
    Target target = pool ? Target::of_pool(*pool) : Target::of_resources({*resource});
    const std::string prefix = pool ? pool_prefix(m_keyspace, *pool) : scope_prefix_for_name(*redis, m_keyspace, *resource);
    return json_response(200, read_status(*redis, prefix, target));
  }

  const ServeCli& m_cli;
  ApiKeys m_keys;
  KeySpace m_keyspace;
  RedisPool m_pool;
  RateLimiter m_limiter;
  Waiters m_waiters;
  std::ostream& m_err;
  std::mutex m_log_mutex;
};

}  // namespace

int run_serve(const ServeCli& cli, std::ostream& err) {
  ApiKeys keys = ApiKeys::load(cli.api_keys);
  {
    Redis redis = Redis::connect(parse_redis_url(cli.parsed.connection.redis_url));
    redis.command({"PING"});  // unreachable Redis: exit 3 before serving
  }
  LockServer locks(cli, std::move(keys), err);
  HttpServerSettings settings;
  settings.host = cli.host;
  settings.port = cli.port;
  settings.tls_cert = cli.tls_cert;
  settings.tls_key = cli.tls_key;
  settings.max_connections = cli.max_connections;
  settings.read_timeout = cli.read_timeout;
  settings.threads = 4;
  HttpServer server(settings, [&locks](const ServerRequest& request, std::shared_ptr<ServerReply> reply) {
    locks.handle(request, std::move(reply));
  });
  err << "lockctl: listening on " << server.url() << "\n";
  err.flush();
  int signal = server.run();
  locks.finish();
  if (!cli.parsed.common.quiet) {
    err << "lockctl: stopped" << (signal ? " on SIG" + signal_name(signal) : "") << "\n";
  }
  return 0;
}

}  // namespace ciutils::lockctl
