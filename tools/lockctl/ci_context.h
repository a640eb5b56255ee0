// Who holds a lock: owner name and the CI job found in the environment.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

namespace ciutils::lockctl {

struct CiContext {
  std::string system;   // github, jenkins, gitlab, buildkite, circleci; empty when none
  std::string job_url;  // a link to the run or build
  std::string job;      // job or workflow name when known
};

using EnvLookup = std::function<std::optional<std::string>(const char*)>;

// Looks at GITHUB_SERVER_URL/GITHUB_REPOSITORY/GITHUB_RUN_ID, BUILD_URL (Jenkins),
// CI_JOB_URL (GitLab), BUILDKITE_BUILD_URL and CIRCLE_BUILD_URL, in that order.
CiContext detect_ci_context(const EnvLookup& env);

boost::json::object to_json(const CiContext& ci);

// host:pid of this process.
std::string default_owner();

}  // namespace ciutils::lockctl
