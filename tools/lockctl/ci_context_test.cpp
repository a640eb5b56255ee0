#include "ci_context.h"

#include <gtest/gtest.h>

#include <map>

namespace ciutils::lockctl {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

TEST(CiContext, GitHubRunUrl) {
  auto ci = detect_ci_context(env_of({{"GITHUB_RUN_ID", "42"},
                                      {"GITHUB_SERVER_URL", "https://github.example"},
                                      {"GITHUB_REPOSITORY", "acme/web"},
                                      {"GITHUB_WORKFLOW", "e2e"},
                                      {"GITHUB_JOB", "uat"}}));
  EXPECT_EQ(ci.system, "github");
  EXPECT_EQ(ci.job_url, "https://github.example/acme/web/actions/runs/42");
  EXPECT_EQ(ci.job, "e2e / uat");
}

TEST(CiContext, JenkinsAndGitLab) {
  auto jenkins = detect_ci_context(env_of({{"BUILD_URL", "https://ci/job/x/7/"}, {"JOB_NAME", "x"}, {"BUILD_NUMBER", "7"}}));
  EXPECT_EQ(jenkins.system, "jenkins");
  EXPECT_EQ(jenkins.job_url, "https://ci/job/x/7/");
  EXPECT_EQ(jenkins.job, "x #7");
  auto gitlab = detect_ci_context(env_of({{"CI_JOB_URL", "https://gl/j/1"}}));
  EXPECT_EQ(gitlab.system, "gitlab");
  EXPECT_EQ(gitlab.job_url, "https://gl/j/1");
}

TEST(CiContext, NoneOutsideCi) {
  auto ci = detect_ci_context(env_of({}));
  EXPECT_TRUE(ci.system.empty());
  EXPECT_TRUE(to_json(ci).empty());
}

TEST(CiContext, OwnerIsHostColonPid) {
  auto owner = default_owner();
  EXPECT_NE(owner.find(':'), std::string::npos);
  EXPECT_EQ(owner.substr(owner.find(':') + 1), std::to_string(getpid()));
}

}  // namespace
}  // namespace ciutils::lockctl
