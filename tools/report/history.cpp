#include "history.h"
#include "run_stats.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace ciutils::report {

namespace {

constexpr std::size_t k_batch = 2000;  // tests per script call

// KEYS[1] runs stream, KEYS[2] test index, KEYS[3] finished-runs counters, KEYS[4..] one
// stream per test.
// ARGV: max_runs, max_per_test, ttl_ms, run_id, commit, branch, write_run (1/0: the last
//       batch adds the run, so a reader of the runs stream finds all of its results),
//       tests, failures, flaky, skipped, duration, S, then S counter fields
//       ("status:suite", one per suite of the run), then per test: id, status, duration.
const Script k_store_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local suites = tonumber(ARGV[13])
for i = 1, suites do redis.call('HINCRBY', KEYS[3], ARGV[13 + i], 1) end
local a = 14 + suites
for k = 4, #KEYS do
  local id, status, duration = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  a = a + 3
  redis.call('XADD', KEYS[k], 'MAXLEN', '~', ARGV[2], '*', 'at', now, 'run_id', ARGV[4], 'commit', ARGV[5],
             'status', status, 'duration_s', duration)
  redis.call('PEXPIRE', KEYS[k], ttl)
  redis.call('ZADD', KEYS[2], now, id)
end
if ARGV[7] == '1' then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'at', now, 'run_id', ARGV[4], 'commit', ARGV[5],
             'branch', ARGV[6], 'tests', ARGV[8], 'failures', ARGV[9], 'flaky', ARGV[10], 'skipped', ARGV[11],
             'duration_s', ARGV[12])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ttl) end
return #KEYS - 3
)lua");

// KEYS: test streams. ARGV[1]: entries per stream. Each stream's newest entries, newest
// first: one round trip for a batch of tests (all keys share the {report} tag).
const Script k_read_script(R"lua(
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('XREVRANGE', key, '+', '-', 'COUNT', ARGV[1])
end
return out
)lua");

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string test_key(const KeySpace& keys, const std::string& id) { return keys.key("report", "test:" + id); }

std::string finished_key(const KeySpace& keys) { return keys.key("report", "finished"); }

std::int64_t stream_ms(const std::string& entry_id) {
  try {
    return std::stoll(entry_id.substr(0, entry_id.find('-')));
  } catch (const std::exception&) {
    return 0;
  }
}

// Field/value pairs of one XRANGE entry.
std::string field(const Reply& fields, std::string_view name) {
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].string() == name) return fields[i + 1].string();
  }
  return {};
}

double to_double(const std::string& s) {
  try {
    return std::stod(s);
  } catch (const std::exception&) {
    return 0;
  }
}

Reply command(Redis& redis, const std::vector<std::string>& args) {
  try {
    return redis.command(args);
  } catch (const RedisReplyError& e) {
    throw ServiceError("redis " + args.front() + ": " + e.reply());
  }
}

}  // namespace

RunInfo run_info_from_env(const std::vector<TestResult>& results, RunInfo flags) {
  auto first_env = [](std::initializer_list<const char*> names) -> std::string {
    for (const char* n : names) {
      if (auto v = env_value(n)) return *v;
    }
    return {};
  };
  if (flags.run_id.empty()) {
    for (const auto& r : results) {
      if (!r.run_id.empty()) {
        flags.run_id = r.run_id;
        break;
      }
    }
  }
  if (flags.run_id.empty()) flags.run_id = first_env({"GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_TAG"});
  if (flags.run_id.empty()) flags.run_id = format_utc(std::chrono::system_clock::now(), 3);
  if (flags.commit.empty()) flags.commit = first_env({"GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT"});
  if (flags.branch.empty()) {
    flags.branch = first_env({"GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BRANCH_NAME", "GIT_BRANCH"});
  }
  return flags;
}

void store_run(Redis& redis, const KeySpace& keys, const std::vector<TestResult>& results, const RunInfo& run,
               const StoreOptions& o) {
  RunStats stats = run_stats(results);
  std::size_t start = 0;
  bool first = true;
  do {
    std::size_t end = std::min(results.size(), start + k_batch);
    std::vector<std::string> k{runs_key(keys), keys.key("report", "tests"), finished_key(keys)};
    std::vector<std::string> a{std::to_string(o.max_runs),      std::to_string(o.max_per_test),
                               std::to_string(o.ttl_ms),        run.run_id,
                               run.commit,                      run.branch,
                               end == results.size() ? "1" : "0", std::to_string(stats.total),
                               std::to_string(stats.failures()), std::to_string(stats.count(Status::flaky)),
                               std::to_string(stats.count(Status::skipped)), number(stats.duration_s)};
    if (first) {
      auto suites = suite_outcomes(results);
      a.push_back(std::to_string(suites.size()));
      for (const auto& [suite, status] : suites) a.push_back(std::string(status_name(status)) + ":" + suite);
    } else {
      a.push_back("0");
    }
    for (std::size_t i = start; i < end; ++i) {
      std::string id = test_id(results[i]);
      k.push_back(test_key(keys, id));
      a.push_back(id);
      a.push_back(status_name(results[i].status));
      a.push_back(number(results[i].duration_s));
    }
    try {
      redis.eval(k_store_script, k, a);
    } catch (const RedisReplyError& e) {
      throw ServiceError("redis: storing the run failed: " + e.reply());
    }
    first = false;
    start = end;
  } while (start < results.size());
}

std::vector<std::pair<std::string, Status>> suite_outcomes(const std::vector<TestResult>& results) {
  std::map<std::string, Status> worst;
  for (const auto& r : results) {
    auto [it, added] = worst.emplace(r.classname, r.status);
    if (!added && severity(r.status) > severity(it->second)) it->second = r.status;
  }
  return {worst.begin(), worst.end()};
}

std::vector<FinishedRuns> load_finished(Redis& redis, const KeySpace& keys) {
  auto pairs = command(redis, {"HGETALL", finished_key(keys)}).strings();
  std::vector<FinishedRuns> out;
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
    auto colon = pairs[i].find(':');
    auto status = parse_status(pairs[i].substr(0, colon));
    if (colon == std::string::npos || !status) continue;
    out.push_back({pairs[i].substr(colon + 1), *status, static_cast<std::uint64_t>(to_double(pairs[i + 1]))});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.suite != b.suite ? a.suite < b.suite : severity(a.status) < severity(b.status);
  });
  return out;
}

HistoryStats history_stats(const TestHistory& h) {
  HistoryStats s;
  double total = 0;
  std::size_t timed = 0;
  std::optional<bool> was_failing;
  for (const auto& p : h.points) {
    ++s.runs;
    if (p.status == Status::skipped) {
      ++s.skipped;
      continue;
    }
    bool failing = is_failure(p.status);
    if (was_failing && *was_failing != failing) ++s.flips;
    was_failing = failing;
    if (p.status == Status::passed) ++s.passed;
    else if (p.status == Status::flaky) ++s.flaky;
    else ++s.failed;
    total += p.duration_s;
    ++timed;
  }
  std::size_t counted = s.runs - s.skipped;
  if (counted > 0) {
    s.pass_rate = static_cast<double>(s.passed + s.flaky) / static_cast<double>(counted);
    s.flake_rate = static_cast<double>(s.flaky) / static_cast<double>(counted);
  }
  if (timed > 0) s.mean_duration = total / static_cast<double>(timed);
  std::vector<double> d;
  for (const auto& p : h.points) {
    if (p.status != Status::skipped) d.push_back(p.duration_s);
  }
  if (d.size() >= 2) {
    std::size_t half = d.size() / 2;
    double older = 0, newer = 0;
    for (std::size_t i = 0; i < half; ++i) older += d[i];
    for (std::size_t i = d.size() - half; i < d.size(); ++i) newer += d[i];
    if (older > 0) s.trend = newer / older - 1;
  }
  return s;
}

std::string runs_key(const KeySpace& keys) { return keys.key("report", "runs"); }

RunPoint run_point_of(const Reply& entry) {
  Reply fields = entry[1];
  RunPoint r;
  r.id = entry[0].string();
  r.at_ms = stream_ms(r.id);
  r.run_id = field(fields, "run_id");
  r.commit = field(fields, "commit");
  r.branch = field(fields, "branch");
  r.tests = static_cast<std::size_t>(to_double(field(fields, "tests")));
  r.failures = static_cast<std::size_t>(to_double(field(fields, "failures")));
  r.flaky = static_cast<std::size_t>(to_double(field(fields, "flaky")));
  r.skipped = static_cast<std::size_t>(to_double(field(fields, "skipped")));
  r.duration_s = to_double(field(fields, "duration_s"));
  return r;
}

std::vector<RunPoint> load_runs(Redis& redis, const KeySpace& keys, std::size_t last) {
  Reply reply = command(redis, {"XREVRANGE", runs_key(keys), "+", "-", "COUNT", std::to_string(last)});
  std::vector<RunPoint> runs;
  for (std::size_t i = reply.size(); i-- > 0;) runs.push_back(run_point_of(reply[i]));
  return runs;
}

HistorySort parse_history_sort(std::string_view text) {
  if (text == "flaky") return HistorySort::flaky;
  if (text == "failures") return HistorySort::failures;
  if (text == "recent") return HistorySort::recent;
  if (text == "name") return HistorySort::name;
  throw UsageError("--sort: '" + std::string(text) + "' is not one of flaky, failures, recent, name");
}

void sort_histories(std::vector<TestHistory>& histories, HistorySort sort) {
  if (sort == HistorySort::recent) return;
  if (sort == HistorySort::name) {
    std::stable_sort(histories.begin(), histories.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return;
  }
  std::vector<std::pair<HistoryStats, std::size_t>> keyed;
  keyed.reserve(histories.size());
  for (std::size_t i = 0; i < histories.size(); ++i) keyed.emplace_back(history_stats(histories[i]), i);
  auto before = [sort](const auto& a, const auto& b) {
    const HistoryStats &x = a.first, &y = b.first;
    if (sort == HistorySort::flaky) {
      if (x.flake_rate != y.flake_rate) return x.flake_rate > y.flake_rate;
      if (x.flips != y.flips) return x.flips > y.flips;
    }
    if (x.failed != y.failed) return x.failed > y.failed;
    return a.second < b.second;
  };
  std::sort(keyed.begin(), keyed.end(), before);
  std::vector<TestHistory> sorted;
  sorted.reserve(histories.size());
  for (const auto& k : keyed) sorted.push_back(std::move(histories[k.second]));
  histories = std::move(sorted);
}

std::vector<std::string> stored_test_ids(Redis& redis, const KeySpace& keys) {
  return command(redis, {"ZREVRANGE", keys.key("report", "tests"), "0", "-1"}).strings();
}

std::vector<TestHistory> read_histories(Redis& redis, const KeySpace& keys, const std::vector<std::string>& ids,
                                        std::size_t last) {
  std::vector<TestHistory> out;
  for (std::size_t start = 0; start < ids.size(); start += k_batch) {
    std::size_t end = std::min(ids.size(), start + k_batch);
    std::vector<std::string> streams;
    for (std::size_t i = start; i < end; ++i) streams.push_back(test_key(keys, ids[i]));
    Reply batch = [&] {
      try {
        return redis.eval(k_read_script, streams, {std::to_string(last)});
      } catch (const RedisReplyError& e) {
        throw ServiceError("redis: reading the history failed: " + e.reply());
      }
    }();
    for (std::size_t k = 0; k < batch.size(); ++k) {
      Reply reply = batch[k];
      if (reply.size() == 0) continue;
      TestHistory h;
      h.id = ids[start + k];
      for (std::size_t i = reply.size(); i-- > 0;) {
        Reply entry = reply[i];
        Reply fields = entry[1];
        HistoryPoint p;
        p.at_ms = stream_ms(entry[0].string());
        p.run_id = field(fields, "run_id");
        p.commit = field(fields, "commit");
        p.status = parse_status(field(fields, "status")).value_or(Status::error);
        p.duration_s = to_double(field(fields, "duration_s"));
        h.points.push_back(std::move(p));
      }
      out.push_back(std::move(h));
    }
  }
  return out;
}

std::vector<TestHistory> load_history(Redis& redis, const KeySpace& keys, std::size_t last, std::size_t max_tests,
                                      const std::optional<std::string>& test, HistorySort sort) {
  std::vector<std::string> ids;
  if (test && test->find("::") != std::string::npos) {
    ids.push_back(*test);
  } else {
    for (auto& id : stored_test_ids(redis, keys)) {
      if (test) {
        // a name may itself hold "::": match "::<name>" at the end
        if (id.size() < test->size() + 2 || id.compare(id.size() - test->size(), test->size(), *test) != 0 ||
            id.compare(id.size() - test->size() - 2, 2, "::") != 0) {
          continue;
        }
      }
      ids.push_back(std::move(id));
      if (sort == HistorySort::recent && ids.size() >= max_tests) break;
    }
  }
  std::vector<TestHistory> out = read_histories(redis, keys, ids, last);
  sort_histories(out, sort);
  if (out.size() > max_tests) out.resize(max_tests);
  return out;
}

}  // namespace ciutils::report
