// lockctl serve: the locks over HTTP (docs/lockctl-api.yaml) for jobs without Redis access.
// Every route runs the same code and scripts as the commands (lock_store.h, status_view.h).
#pragma once

#include "options.h"

#include <ostream>

namespace ciutils::lockctl {

// Serves until SIGTERM/SIGINT, then drains; returns the exit status (0). Logs one line per
// request to err (never a key). Throws UsageError/ServiceError before serving.
int run_serve(const ServeCli& cli, std::ostream& err);

// HTTP status for a lockctl exit code (docs/lockctl-api.yaml): 0 200, 1 410, 2 400, 3 503, 75 409.
int http_status_of(int exit_code);

}  // namespace ciutils::lockctl
