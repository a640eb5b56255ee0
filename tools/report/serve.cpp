#include "serve.h"

#include "commands.h"
#include "serve_events.h"
#include "serve_metrics.h"
#include "serve_state.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>

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

// Connections to Redis, one per handler thread at most (a Redis is not shared by threads).
class RedisPool {
 public:
  explicit RedisPool(RedisUrl url) : m_url(std::move(url)) {}
  std::unique_ptr<Redis> take() {
    {
      std::lock_guard lock(m_mutex);
      if (!m_free.empty()) {
        auto r = std::move(m_free.back());
        m_free.pop_back();
        return r;
      }
    }
    return std::make_unique<Redis>(Redis::connect(m_url));
  }
  void give_back(std::unique_ptr<Redis> redis) {
    std::lock_guard lock(m_mutex);
    m_free.push_back(std::move(redis));
  }

 private:
  RedisUrl m_url;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<Redis>> m_free;
};

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

int cmd_serve(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string listen = "127.0.0.1:8080", redis_url, ns, tls_cert, tls_key, refresh = "10s", last = "30",
              limit = "5000", max_series = "10000", title = "Test dashboard", rescan = "10s";
  po::options_description visible("Options");
  visible.add_options()("listen", po::value(&listen)->value_name("HOST:PORT"),
                        "address to serve on (default 127.0.0.1:8080; port 0: any free port)");
  add_redis_options(visible, redis_url, ns);
  visible.add_options()(
      "tls-cert", po::value(&tls_cert)->value_name("FILE"), "PEM certificate chain: serve HTTPS only (with --tls-key)")(
      "tls-key", po::value(&tls_key)->value_name("FILE"), "PEM private key of --tls-cert")(
      "refresh", po::value(&refresh)->value_name("D"),
      "pages reload when a run is stored; without JavaScript, this often (default 10s; 0: never)")(
      "last", po::value(&last), "runs shown, and results per test on a suite's page (default 30)")(
      "limit", po::value(&limit), "tests on a page, most recently run first (default 5000)")(
      "max-series", po::value(&max_series),
      "at most N samples on /metrics; what is left out is counted in ciutils_report_series_dropped (default 10000)")(
      "rescan", po::value(&rescan)->value_name("D"),
      "/metrics looks for new alert keys and queues (a SCAN of the namespace) this often (default 10s; 0: "
      "every scrape)")(
      "title", po::value(&title), "page title (default: Test dashboard)");
  po::options_description all;
  po::variables_map vm;
  if (!parse(args, visible, false, common, "report serve [--listen HOST:PORT] [--redis URL] [--namespace NS]",
             "Serves the history stored by 'report store', live: / lists every suite, /suite/NAME shows a\n"
             "suite's tests with their last runs and flakiness, /metrics is Prometheus text (runs finished\n"
             "by suite and status, running schedule tasks, each test's last status and duration, notify's\n"
             "alert state), /api/runs is JSON, /events sends each run stored (server-sent events; the pages\n"
             "reload on them), /health answers ok while Redis does. Runs until SIGTERM or\n"
             "SIGINT (exit 143 / 130 after finishing the requests in flight).",
             "Environment:\n  REDIS_URL          Redis URL when --redis is not given\n"
             "  CIUTILS_NAMESPACE  key prefix when --namespace is not given (default ciutils)\n\n"
             "report serve exits 130 after SIGINT and 143 after SIGTERM, once the requests in flight\n"
             "are answered; 3 when Redis cannot be reached at start.\n",
             all, vm)) {
    return 0;
  }
  ServeOptions o;
  o.page.title = title;
  auto refresh_ms = parse_duration(refresh, "--refresh").count();
  if (refresh_ms < 0 || refresh_ms > 24LL * 3600 * 1000) throw UsageError("--refresh: must be between 0 and 24h");
  o.page.refresh_s = static_cast<int>((refresh_ms + 999) / 1000);
  o.last = static_cast<std::size_t>(parse_integer(last, "--last", 1, 10000));
  o.max_tests = static_cast<std::size_t>(parse_integer(limit, "--limit", 1, 1000000));
  o.max_series = static_cast<std::size_t>(parse_integer(max_series, "--max-series", 100, 10000000));
  auto rescan_ms = parse_duration(rescan, "--rescan");
  if (rescan_ms.count() < 0) throw UsageError("--rescan: must not be negative");
  o.live_keys = std::make_shared<LiveKeys>(rescan_ms);
  if (tls_cert.empty() != tls_key.empty()) throw UsageError("--tls-cert and --tls-key go together");
  HttpServerSettings settings;
  std::tie(settings.host, settings.port) = parse_listen(listen);
  settings.tls_cert = tls_cert;
  settings.tls_key = tls_key;
  KeySpace keys = key_space(vm, ns);
  RedisUrl url = parse_redis_url(redis_url.empty() ? redis_url_from_env() : redis_url);
  RedisPool pool(url);
  pool.give_back(pool.take());  // Redis unreachable at start: exit 3 before serving
  std::atomic<std::size_t> last_dropped{0};
  o.on_dropped = [&](std::size_t dropped) {
    if (last_dropped.exchange(dropped) != dropped && dropped > 0) {
      warn_on_stderr("/metrics left out " + std::to_string(dropped) + " series to stay within --max-series " +
                     std::to_string(o.max_series));
    }
  };
  RunEvents events(url, keys);
  HttpServer server(settings, [&](const ServerRequest& request, std::shared_ptr<ServerReply> reply) {
    std::unique_ptr<Redis> redis;
    try {
      redis = pool.take();
      if (request.path == "/events" && request.method == "GET") {
        auto since = request.query_value("since");
        events.subscribe(reply, since ? since : request.header("last-event-id"), *redis);
      } else {
        reply->send(respond(*redis, keys, request, o));
      }
      pool.give_back(std::move(redis));
    } catch (const std::exception& e) {
      // A connection that failed is dropped; the next request connects again.
      reply->send(text(503, std::string("redis: ") + e.what() + "\n"));
    }
  });
  if (!common.quiet) std::cerr << "report: serving " << server.url() << " from " << url.redacted() << std::endl;
  int signal = server.run();
  events.stop();
  return signal ? 128 + signal : 0;
}

}  // namespace ciutils::report
