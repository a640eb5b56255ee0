#include "serve_state.h"

#include "ciutils/error.h"

#include <algorithm>
#include <map>

namespace ciutils::report {

namespace {

Reply command(Redis& redis, const std::vector<std::string>& args) {
  try {
    return redis.command(args);
  } catch (const RedisReplyError& e) {
    throw ServiceError("redis " + args.front() + ": " + e.reply());
  }
}

// Every key matching `pattern` (SCAN, so the server is never blocked for long).
std::vector<std::string> scan_keys(Redis& redis, const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    Reply reply = command(redis, {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = reply[0].string();
    for (auto& k : reply[1].strings()) keys.push_back(std::move(k));
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat a key
  return keys;
}

// The part of `key` between `prefix` and `suffix`.
std::string between(const std::string& key, const std::string& prefix, std::string_view suffix) {
  return key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
}

std::vector<AlertState> load_alerts(Redis& redis, const KeySpace& keys) {
  std::string prefix = keys.name() + ":{notify:";
  std::vector<AlertState> alerts;
  for (const auto& key : scan_keys(redis, glob_escape(prefix) + "*}:state")) {
    auto fields = command(redis, {"HMGET", key, "alerting", "failures"}).strings();
    AlertState a;
    a.key = between(key, prefix, "}:state");
    a.alerting = fields.at(0) == "1";
    try {
      a.failures = fields.at(1).empty() ? 0 : std::stoll(fields.at(1));
    } catch (const std::exception&) {
      a.failures = 0;
    }
    alerts.push_back(std::move(a));
  }
  return alerts;
}

std::vector<RunningTasks> load_running(Redis& redis, const KeySpace& keys) {
  std::string prefix = keys.name() + ":{q:";
  std::vector<RunningTasks> running;
  for (const auto& key : scan_keys(redis, glob_escape(prefix) + "*}:inflight")) {
    std::string queue = between(key, prefix, "}:inflight");
    std::map<std::string, std::size_t> by_schedule;
    for (const auto& id : command(redis, {"HKEYS", key}).strings()) ++by_schedule[id.substr(0, id.find('@'))];
    for (const auto& [schedule, n] : by_schedule) running.push_back({queue, schedule, n});
  }
  return running;
}

}  // namespace

std::pair<std::string, std::string> split_test_id(std::string_view id) {
  auto at = id.find("::");
  if (at == std::string_view::npos) return {std::string(), std::string(id)};
  return {std::string(id.substr(0, at)), std::string(id.substr(at + 2))};
}

std::string glob_escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

LiveState load_live_state(Redis& redis, const KeySpace& keys, std::size_t max_tests) {
  LiveState s;
  s.finished = load_finished(redis, keys);
  auto ids = stored_test_ids(redis, keys);
  s.stored_tests = ids.size();
  if (ids.size() > max_tests) ids.resize(max_tests);
  s.latest = read_histories(redis, keys, ids, 1);
  s.running = load_running(redis, keys);
  s.alerts = load_alerts(redis, keys);
  auto runs = load_runs(redis, keys, 1);
  if (!runs.empty()) s.last_run = runs.back();
  return s;
}

}  // namespace ciutils::report
