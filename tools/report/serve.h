// report serve: the live dashboard, /metrics and /api/runs over HTTP, read from Redis on
// every request.
#pragma once

#include "serve_pages.h"
#include "serve_state.h"

#include "ciutils/http_server.h"
#include "ciutils/redis.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace ciutils::report {

struct ServeOptions {
  PageOptions page;
  std::size_t last = 30;           // runs shown, results per test on a suite's page
  std::size_t max_tests = 5000;    // tests on a page, most recently run first
  std::size_t max_series = 10000;  // samples of /metrics
  // Told how many series /metrics left out, on every scrape.
  std::function<void(std::size_t dropped)> on_dropped;
  // Alert-state and in-flight keys found by a scan, reused this long.
  std::shared_ptr<LiveKeys> live_keys = std::make_shared<LiveKeys>(std::chrono::seconds(10));
};

// The answer to one request: GET / (every suite), /suite/NAME, /metrics, /api/runs[?last=N],
// /health; 404 for other paths, 405 for other methods, 400 for a bad ?last. Throws what
// Redis throws (ServiceError when it is unreachable).
ServerResponse respond(Redis& redis, const KeySpace& keys, const ServerRequest& request, const ServeOptions& options);

}  // namespace ciutils::report
