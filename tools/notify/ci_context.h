// What the CI system tells about the run: a source name and links back to it.
#pragma once

#include "alert.h"

#include <string>
#include <vector>

namespace ciutils::notify {

// "$GITHUB_REPOSITORY / $GITHUB_WORKFLOW", Jenkins' $JOB_NAME, or the host name.
std::string default_source();

// The CI run's link (GitHub Actions run, Jenkins $BUILD_URL) and each --link (URL or TEXT=URL).
std::vector<Link> ci_links(const std::vector<std::string>& extra);

}  // namespace ciutils::notify
