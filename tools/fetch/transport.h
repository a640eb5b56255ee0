// The connection settings every request of fetch shares: TLS verification (--cacert,
// --client-cert/--client-key, --insecure), --proxy and ~/.netrc credentials.
#pragma once

#include "fetch_options.h"

#include <string>

typedef void CURL;

namespace ciutils::fetch {

void apply_transport(CURL* easy, const NetOptions& net);

// Whether two absolute URLs have the same scheme, host and port: --header values go to
// the original one only.
bool same_origin(const std::string& a, const std::string& b);

}  // namespace ciutils::fetch
