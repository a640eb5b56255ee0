// What 'report serve' shows, read from Redis in a few round trips: the stored history
// ('report store'), the tasks schedule workers are running now, and notify's alert state.
#pragma once

#include "history.h"

#include "ciutils/redis.h"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

// One notify key's alert state (<ns>:{notify:KEY}:state).
struct AlertState {
  std::string key;
  bool alerting = false;
  long long failures = 0;  // consecutive failed runs
};

// Tasks of one schedule a worker holds now (<ns>:{q:QUEUE}:inflight).
struct RunningTasks {
  std::string queue;
  std::string schedule;
  std::size_t count = 0;
};

struct LiveState {
  std::vector<FinishedRuns> finished;
  std::vector<TestHistory> latest;  // each test's newest result, most recently run first
  std::size_t stored_tests = 0;     // tests in the index; latest holds at most max_tests of them
  std::vector<RunningTasks> running;
  std::vector<AlertState> alerts;
  std::optional<RunPoint> last_run;
};

// The names of notify's alert-state hashes and of schedule's in-flight hashes, found with
// one SCAN of the namespace's keys and reused for `max_age`: a scrape does not walk a
// large keyspace every time (new alert keys and queues show up within max_age). Thread-safe.
class LiveKeys {
 public:
  explicit LiveKeys(std::chrono::milliseconds max_age) : m_max_age(max_age) {}
  struct Found {
    std::vector<std::string> alerts;    // <ns>:{notify:KEY}:state
    std::vector<std::string> inflight;  // <ns>:{q:QUEUE}:inflight
  };
  Found get(Redis& redis, const KeySpace& keys);

 private:
  std::chrono::milliseconds m_max_age;
  std::mutex m_mutex;
  std::optional<std::chrono::steady_clock::time_point> m_at;
  Found m_found;
};

// max_tests: the most recently run tests whose newest result is read.
LiveState load_live_state(Redis& redis, const KeySpace& keys, std::size_t max_tests, LiveKeys& live_keys);

// The suite (classname) and name of a stored test id: split at the first "::".
std::pair<std::string, std::string> split_test_id(std::string_view id);

// A SCAN pattern matching `literal` exactly where it holds glob characters.
std::string glob_escape(std::string_view literal);

}  // namespace ciutils::report
