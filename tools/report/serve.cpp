#include "serve.h"

#include "commands.h"
#include "serve_events.h"
#include "serve_metrics.h"
#include "serve_state.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/redis_pool.h"
#include "ciutils/timestamp.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>

namespace ciutils::report {

namespace {

ServerResponse text(int status, std::string body) {
  return {status, {{"content-type", "text/plain; charset=utf-8"}}, std::move(body)};
}

ServerResponse page(std::string body) {
  return {200,
          {{"content-type", "text/html; charset=utf-8"}, {"cache-control", "no-store"},
           {"x-content-type-options", "nosniff"}},
          std::move(body)};
}

// Read before the page's data: a run stored in between reloads the page once more, never
// leaves it stale.
PageOptions page_options(Redis& redis, const KeySpace& keys, const ServeOptions& o) {
  PageOptions p = o.page;
  p.generated_at = format_utc(std::chrono::system_clock::now(), 0);
  if (p.refresh_s > 0) {
    auto newest = load_runs(redis, keys, 1);
    p.events = "/events?since=" + (newest.empty() ? std::string("0-0") : newest.back().id);
  }
  return p;
}

ServerResponse suite(Redis& redis, const KeySpace& keys, const std::string& name, const ServeOptions& o) {
  PageOptions po = page_options(redis, keys, o);
  std::vector<std::string> ids;
  for (auto& id : stored_test_ids(redis, keys)) {
    if (split_test_id(id).first == name) ids.push_back(std::move(id));
    if (ids.size() >= o.max_tests) break;
  }
  auto histories = read_histories(redis, keys, ids, o.last);
  if (histories.empty()) return text(404, "no stored results for suite '" + name + "'\n");
  return page(render_suite_page(name, histories, po));
}

ServerResponse overview(Redis& redis, const KeySpace& keys, const ServeOptions& o) {
  PageOptions po = page_options(redis, keys, o);
  auto ids = stored_test_ids(redis, keys);
  if (ids.size() > o.max_tests) ids.resize(o.max_tests);
  auto latest = read_histories(redis, keys, ids, 1);
  return page(render_overview(latest, load_finished(redis, keys), load_runs(redis, keys, o.last), po));
}

ServerResponse metrics(Redis& redis, const KeySpace& keys, const ServeOptions& o) {
  // Each test takes two series: reading more than fit would be wasted.
  LiveState state = load_live_state(redis, keys, o.max_series / 2, *o.live_keys);
  RenderedMetrics m = render_live_metrics(state, o.max_series);
  if (o.on_dropped) o.on_dropped(m.dropped_series);
  return {200, {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}}, std::move(m.text)};
}

}  // namespace

ServerResponse respond(Redis& redis, const KeySpace& keys, const ServerRequest& request, const ServeOptions& o) {
  if (request.method != "GET") {
    ServerResponse r = text(405, "only GET\n");
    r.headers.emplace_back("allow", "GET");
    return r;
  }
  const std::string& path = request.path;
  if (path == "/") return overview(redis, keys, o);
  if (path.rfind("/suite/", 0) == 0) return suite(redis, keys, path.substr(7), o);
  if (path == "/metrics") return metrics(redis, keys, o);
  if (path == "/api/runs") {
    std::size_t last = o.last;
    if (auto v = request.query_value("last")) {
      try {
        last = static_cast<std::size_t>(parse_integer(*v, "?last", 1, 100000));
      } catch (const UsageError& e) {
        return text(400, std::string(e.what()) + "\n");
      }
    }
    return {200, {{"content-type", "application/json"}}, runs_json(load_runs(redis, keys, last))};
  }
  if (path == "/health") {
    redis.command({"PING"});
    return text(200, "ok\n");
  }
  return text(404, "not found: " + path + "\n");
}

namespace {

// HOST:PORT, [IPV6]:PORT; UsageError naming --listen.
std::pair<std::string, int> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw UsageError("--listen: '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = static_cast<int>(parse_integer(text.substr(colon + 1), "--listen", 0, 65535));
  return {host, port};
}

}  // namespace

int cmd_serve(Invocation& inv) {
  const std::string tls_cert = inv.flag("tls-cert").value_or(""), tls_key = inv.flag("tls-key").value_or("");
  ServeOptions o;
  o.page.title = inv.flag("title").value_or("Test dashboard");
  auto refresh_ms = parse_duration(inv.flag("refresh").value_or("10s"), "--refresh").count();
  if (refresh_ms < 0 || refresh_ms > 24LL * 3600 * 1000) throw UsageError("--refresh: must be between 0 and 24h");
  o.page.refresh_s = static_cast<int>((refresh_ms + 999) / 1000);
  o.last = static_cast<std::size_t>(parse_integer(inv.flag("last").value_or("30"), "--last", 1, 10000));
  o.max_tests = static_cast<std::size_t>(parse_integer(inv.flag("limit").value_or("5000"), "--limit", 1, 1000000));
  o.max_series = static_cast<std::size_t>(parse_integer(inv.flag("max-series").value_or("10000"), "--max-series", 100, 10000000));
  auto rescan_ms = parse_duration(inv.flag("rescan").value_or("10s"), "--rescan");
  if (rescan_ms.count() < 0) throw UsageError("--rescan: must not be negative");
  o.live_keys = std::make_shared<LiveKeys>(rescan_ms);
  if (tls_cert.empty() != tls_key.empty()) {
    throw UsageError(std::string(tls_key.empty() ? "--tls-key" : "--tls-cert") +
                     ": missing (--tls-cert and --tls-key go together)");
  }
  HttpServerSettings settings;
  std::tie(settings.host, settings.port) = parse_listen(inv.flag("listen").value_or("127.0.0.1:8080"));
  settings.tls_cert = tls_cert;
  settings.tls_key = tls_key;
  KeySpace keys = inv.key_space();
  RedisUrl url = inv.redis_url();
  RedisPool pool(url);
  pool.take();  // Redis unreachable at start: exit 3 before serving
  std::atomic<std::size_t> last_dropped{0};
  o.on_dropped = [&](std::size_t dropped) {
    if (last_dropped.exchange(dropped) != dropped && dropped > 0) {
      warn_on_stderr("/metrics left out " + std::to_string(dropped) + " series to stay within --max-series " +
                     std::to_string(o.max_series));
    }
  };
  RunEvents events(url, keys);
  HttpServer server(settings, [&](const ServerRequest& request, std::shared_ptr<ServerReply> reply) {
    try {
      auto redis = pool.take();
      if (request.path == "/events" && request.method == "GET") {
        auto since = request.query_value("since");
        events.subscribe(reply, since ? since : request.header("last-event-id"), *redis);
      } else {
        reply->send(respond(*redis, keys, request, o));
      }
    } catch (const std::exception& e) {
      // A connection that failed reconnects on its next request's first command.
      reply->send(text(503, std::string("redis: ") + e.what() + "\n"));
    }
  });
  if (!inv.common.quiet) inv.err << "report: serving " << server.url() << " from " << url.redacted() << std::endl;
  int signal = server.run();
  events.stop();
  return signal ? 128 + signal : 0;
}

}  // namespace ciutils::report
