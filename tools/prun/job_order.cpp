#include "job_order.h"

#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <numeric>

namespace ciutils::prun {

Timings read_timings(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--timings: " + path.string() + ": cannot open");
  Timings timings;
  JsonlReader reader(in, path.string());
  while (auto value = reader.next()) {
    if (!value->is_object()) continue;
    const auto& obj = value->as_object();
    auto name = obj.if_contains("name");
    auto duration = obj.if_contains("duration_s");
    if (name == nullptr || !name->is_string() || duration == nullptr || !duration->is_number()) continue;
    timings[std::string(name->as_string())] = duration->to_number<double>();
  }
  return timings;
}

History read_history(const std::filesystem::path& path, const std::string& flag) {
  History history;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return history;
  std::ifstream in(path);
  if (!in) throw UsageError(flag + ": " + path.string() + ": cannot open");
  JsonlReader reader(in, path.string());
  while (auto value = reader.next()) {
    if (!value->is_object()) continue;
    const auto& obj = value->as_object();
    auto name = obj.if_contains("name");
    auto status = obj.if_contains("status");
    auto command = obj.if_contains("command");
    if (name == nullptr || !name->is_string() || status == nullptr || !status->is_string()) continue;
    std::string key(name->as_string());
    if (history.last.find(key) == history.last.end()) history.names.push_back(key);
    auto& last = history.last[key];
    last.status = std::string(status->as_string());
    if (command != nullptr && command->is_string()) last.command = std::string(command->as_string());
  }
  return history;
}

void order_by_timings(std::vector<Job>& jobs, const Timings& timings) {
  auto known = [&](const Job& job) -> double {
    auto it = timings.find(job.name);
    return it == timings.end() ? -1.0 : it->second;
  };
  std::stable_sort(jobs.begin(), jobs.end(), [&](const Job& a, const Job& b) {
    double da = known(a);
    double db = known(b);
    bool ua = da < 0;
    bool ub = db < 0;
    if (ua != ub) return ua;
    return da > db;
  });
}

std::vector<Job> select_shard(const std::vector<Job>& jobs, const Timings& timings, Shard shard) {
  double sum = 0;
  std::size_t count = 0;
  for (const auto& job : jobs) {
    if (auto it = timings.find(job.name); it != timings.end()) {
      sum += it->second;
      ++count;
    }
  }
  double fallback = count == 0 ? 1.0 : sum / static_cast<double>(count);
  std::vector<double> cost(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    auto it = timings.find(jobs[i].name);
    cost[i] = it == timings.end() ? fallback : it->second;
  }
  std::vector<std::size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (cost[a] != cost[b]) return cost[a] > cost[b];
    if (jobs[a].name != jobs[b].name) return jobs[a].name < jobs[b].name;
    return a < b;
  });
  std::vector<double> load(static_cast<std::size_t>(shard.total), 0.0);
  std::vector<bool> mine(jobs.size(), false);
  for (std::size_t i : order) {
    auto least = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[least] += cost[i];
    mine[i] = static_cast<int>(least) + 1 == shard.index;
  }
  std::vector<Job> out;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (mine[i]) out.push_back(jobs[i]);
  }
  return out;
}

}  // namespace ciutils::prun
