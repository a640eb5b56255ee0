// Alert state per key and shared send rates per destination, kept in Redis. Every
// decision is one Lua script using Redis TIME, so parallel CI jobs agree.
#pragma once

#include <ciutils/redis.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ciutils::notify {

// --threshold N/M: trigger after N failures within the last M runs.
struct Threshold {
  int failures = 1;
  int window = 1;
};
Threshold parse_threshold(std::string_view text, std::string_view flag);

// An alert key ("opm/opm-tests-1"): 1–200 printable characters, no braces (they would
// break the Redis Cluster hash tag). Throws UsageError naming `flag`.
void check_key(std::string_view key, std::string_view flag);

enum class Decision { none, trigger, remind, recover };

struct Transition {
  Decision decision = Decision::none;
  // Consecutive failed runs, this one included, and when that streak began (Unix ms);
  // for a recovery, the streak that just ended. 0 and 0 when passing.
  long long failures = 0;
  long long since_ms = 0;
  std::string history;  // the last M outcomes, oldest first: "FPF"
  // The key's version after this run: the Redis time (ms) of its latest event, strictly
  // increasing. An event sent now carries it; a spooled alert with an older version was
  // superseded. incident: the version of the trigger that opened the incident this event
  // belongs to (0 for none).
  long long version = 0;
  long long incident = 0;
  long long passes = 0;  // passes in a row while still alerting (--recover-after)
};

struct LifecycleOptions {
  Threshold threshold;
  int recover_after = 1;                // passes in a row before a recovery
  std::chrono::milliseconds remind{0};  // 0: never remind
  std::chrono::seconds ttl{std::chrono::hours(24 * 30)};
  bool dry_run = false;  // decide, but change nothing
};

// Records one run's outcome for key and returns what should be sent.
Transition record_outcome(Redis& redis, const KeySpace& keys, std::string_view key, bool failed,
                          const LifecycleOptions& options);

// The version of key's latest event (0 when the key has no state).
long long current_version(Redis& redis, const KeySpace& keys, std::string_view key);

// Reserves the next send slot for a destination rate-limited to one send per interval;
// returns how long to wait before sending (0 when free now).
std::chrono::milliseconds reserve_send_slot(Redis& redis, const KeySpace& keys, std::string_view dest_id,
                                            std::chrono::milliseconds interval);

// A service asked everyone to back off (429 + Retry-After): no slot before now + wait.
void hold_destination(Redis& redis, const KeySpace& keys, std::string_view dest_id,
                      std::chrono::milliseconds wait);

// A stable id for a destination's rate key that does not reveal its secrets.
std::string destination_id(std::string_view expanded_url);

}  // namespace ciutils::notify
