#include "ci_context.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>

#include <unistd.h>

namespace ciutils::notify {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

std::string default_source() {
  auto repo = env_value("GITHUB_REPOSITORY");
  if (repo) {
    auto wf = env_value("GITHUB_WORKFLOW");
    return *repo + (wf ? " / " + *wf : "");
  }
  if (auto job = env_value("JOB_NAME")) return *job;
  return host_name();
}

std::vector<Link> ci_links(const std::vector<std::string>& extra) {
  std::vector<Link> links;
  auto server = env_value("GITHUB_SERVER_URL");
  auto repo = env_value("GITHUB_REPOSITORY");
  auto run = env_value("GITHUB_RUN_ID");
  if (server && repo && run) links.push_back({*server + "/" + *repo + "/actions/runs/" + *run, "CI run"});
  if (auto build = env_value("BUILD_URL")) links.push_back({*build, "Jenkins build"});
  for (const auto& l : extra) {
    auto eq = l.find('=');
    auto scheme = l.find("://");
    Link link;
    if (eq != std::string::npos && (scheme == std::string::npos || eq < scheme)) {
      link = {l.substr(eq + 1), l.substr(0, eq)};
    } else {
      link = {l, ""};
    }
    if (!link.href.starts_with("http://") && !link.href.starts_with("https://"))
      throw UsageError("--link: expected URL or TEXT=URL with an http(s) URL, got '" + l + "'");
    links.push_back(link);
  }
  return links;
}

}  // namespace ciutils::notify
