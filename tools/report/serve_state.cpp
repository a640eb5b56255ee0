#include "serve_state.h"

#include "ciutils/error.h"

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

// The part of `key` between `prefix` and `suffix`, when it has both.
std::optional<std::string> between(const std::string& key, const std::string& prefix, std::string_view suffix) {
  if (key.size() < prefix.size() + suffix.size() || key.compare(0, prefix.size(), prefix) != 0 ||
      key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  return key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
}

std::vector<AlertState> load_alerts(Redis& redis, const KeySpace& keys, const std::vector<std::string>& names) {
  std::string prefix = keys.name() + ":{notify:";
  std::vector<AlertState> alerts;
  for (const auto& key : names) {
    auto fields = command(redis, {"HMGET", key, "alerting", "failures"}).strings();
    if (fields.at(0).empty() && fields.at(1).empty()) continue;  // gone since it was found
    AlertState a;
    a.key = between(key, prefix, "}:state").value_or(key);
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

std::vector<RunningTasks> load_running(Redis& redis, const KeySpace& keys, const std::vector<std::string>& names) {
  std::string prefix = keys.name() + ":{q:";
  std::vector<RunningTasks> running;
  for (const auto& key : names) {
    std::string queue = between(key, prefix, "}:inflight").value_or(key);
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

LiveKeys::Found LiveKeys::get(Redis& redis, const KeySpace& keys) {
  std::lock_guard lock(m_mutex);
  auto now = std::chrono::steady_clock::now();
  if (m_at && now - *m_at < m_max_age) return m_found;
  // One pass for both kinds: <ns>:{notify:…} and <ns>:{q:…}, told apart here.
  Found found;
  std::string notify = keys.name() + ":{notify:", queue = keys.name() + ":{q:";
  for (auto& key : redis.scan(glob_escape(keys.name() + ":{") + "[nq]*")) {
    if (between(key, notify, "}:state")) found.alerts.push_back(std::move(key));
    else if (between(key, queue, "}:inflight")) found.inflight.push_back(std::move(key));
  }
  m_found = std::move(found);
  m_at = now;
  return m_found;
}

LiveState load_live_state(Redis& redis, const KeySpace& keys, std::size_t max_tests, LiveKeys& live_keys) {
  LiveState s;
  auto ids = stored_test_ids(redis, keys);
  s.stored_tests = ids.size();
  if (ids.size() > max_tests) ids.resize(max_tests);
  s.latest = read_histories(redis, keys, ids, 1);
  // After the results: a run whose result is shown is counted (a run stored in between is
  // counted before its result shows, never the other way round).
  s.finished = load_finished(redis, keys);
  LiveKeys::Found found = live_keys.get(redis, keys);
  s.running = load_running(redis, keys, found.inflight);
  s.alerts = load_alerts(redis, keys, found.alerts);
  auto runs = load_runs(redis, keys, 1);
  if (!runs.empty()) s.last_run = runs.back();
  return s;
}

}  // namespace ciutils::report
