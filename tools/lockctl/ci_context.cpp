#include "ci_context.h"

#include <unistd.h>

#include <climits>

namespace ciutils::lockctl {

CiContext detect_ci_context(const EnvLookup& env) {
  CiContext ci;
  if (auto run_id = env("GITHUB_RUN_ID")) {
    ci.system = "github";
    std::string server = env("GITHUB_SERVER_URL").value_or("https://github.com");
    if (auto repo = env("GITHUB_REPOSITORY")) {
      ci.job_url = server + "/" + *repo + "/actions/runs/" + *run_id;
      if (auto attempt = env("GITHUB_RUN_ATTEMPT")) {
        ci.job_url += "/attempts/" + *attempt;
      }
    }
    std::string workflow = env("GITHUB_WORKFLOW").value_or("");
    std::string job = env("GITHUB_JOB").value_or("");
    ci.job = workflow.empty() ? job : (job.empty() ? workflow : workflow + " / " + job);
  } else if (auto build_url = env("BUILD_URL")) {
    ci.system = "jenkins";
    ci.job_url = *build_url;
    ci.job = env("JOB_NAME").value_or("");
    if (auto number = env("BUILD_NUMBER"); number && !ci.job.empty()) {
      ci.job += " #" + *number;
    }
  } else if (auto job_url = env("CI_JOB_URL")) {
    ci.system = "gitlab";
    ci.job_url = *job_url;
    ci.job = env("CI_JOB_NAME").value_or("");
  } else if (auto bk = env("BUILDKITE_BUILD_URL")) {
    ci.system = "buildkite";
    ci.job_url = *bk;
    ci.job = env("BUILDKITE_PIPELINE_SLUG").value_or("");
  } else if (auto circle = env("CIRCLE_BUILD_URL")) {
    ci.system = "circleci";
    ci.job_url = *circle;
    ci.job = env("CIRCLE_JOB").value_or("");
  }
  return ci;
}

boost::json::object to_json(const CiContext& ci) {
  boost::json::object out;
  if (!ci.system.empty()) {
    out["system"] = ci.system;
    out["job_url"] = ci.job_url;
    out["job"] = ci.job;
  }
  return out;
}

std::string default_owner() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  std::string name = host[0] != '\0' ? host : "localhost";
  return name + ":" + std::to_string(getpid());
}

}  // namespace ciutils::lockctl
