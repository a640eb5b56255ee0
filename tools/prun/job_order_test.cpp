#include "job_order.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace ciutils::prun {
namespace {

std::vector<Job> jobs_named(std::initializer_list<const char*> names) {
  std::vector<Job> jobs;
  for (const char* n : names) {
    Job j;
    j.name = n;
    j.command = n;
    jobs.push_back(j);
  }
  return jobs;
}

std::vector<std::string> names(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
  for (const auto& j : jobs) out.push_back(j.name);
  return out;
}

TEST(TimingsTest, UnknownFirstThenLongest) {
  auto jobs = jobs_named({"a", "b", "c", "d", "e"});
  Timings t{{"a", 1.0}, {"b", 5.0}, {"d", 3.0}};
  order_by_timings(jobs, t);
  EXPECT_EQ(names(jobs), (std::vector<std::string>{"c", "e", "b", "d", "a"}));
}

TEST(TimingsTest, ReadsResultsFile) {
  std::string path = ::testing::TempDir() + "/timings.jsonl";
  {
    std::ofstream out(path);
    out << R"({"name":"a","duration_s":1.5})" << "\n\n"
        << R"({"name":"b"})" << "\n"
        << R"({"name":"a","duration_s":2.5})" << "\n";
  }
  auto t = read_timings(path);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_DOUBLE_EQ(t["a"], 2.5);
  std::remove(path.c_str());
}

TEST(ShardTest, SplitIsDeterministicCompleteAndBalanced) {
  auto jobs = jobs_named({"a", "b", "c", "d", "e", "f", "g"});
  Timings t{{"a", 10}, {"b", 9}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 8}, {"g", 1}};
  std::vector<std::string> all;
  double load[2] = {0, 0};
  for (int i = 1; i <= 2; ++i) {
    auto part = select_shard(jobs, t, {i, 2});
    auto again = select_shard(jobs, t, {i, 2});
    EXPECT_EQ(names(part), names(again));
    for (const auto& j : part) {
      all.push_back(j.name);
      load[i - 1] += t[j.name];
    }
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  EXPECT_EQ(load[0], 14.0);  // a + four short ones
  EXPECT_EQ(load[1], 17.0);  // b + f
}

TEST(ShardTest, UnknownJobsSpreadByName) {
  auto jobs = jobs_named({"d", "c", "b", "a"});
  auto first = select_shard(jobs, {}, {1, 2});
  // Sorted by name: a→1, b→2, c→1, d→2; input order is kept within the shard.
  EXPECT_EQ(names(first), (std::vector<std::string>{"c", "a"}));
}

}  // namespace
}  // namespace ciutils::prun
