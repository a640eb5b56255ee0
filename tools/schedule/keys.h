// Redis key names for one queue. Every key a queue's scripts touch carries the hash tag
// {q:<queue>}, so each script stays in one cluster slot; run history is per schedule.
#pragma once

#include "ciutils/redis.h"

#include <chrono>
#include <string>
#include <string_view>

namespace ciutils::schedule {

inline constexpr std::string_view k_group = "workers";
// How long the decisions about a slot are kept (for explain), from the last one recorded.
inline constexpr std::chrono::hours k_decided_ttl{24 * 7};

struct QueueKeys {
  QueueKeys(const KeySpace& space, std::string queue_name)
      : queue(std::move(queue_name)),
        prefix(space.key("q:" + queue, "")),
        tasks(prefix + ":tasks"),
        delayed(prefix + ":delayed"),
        dead(prefix + ":dead"),
        last(prefix + ":last"),
        inflight(prefix + ":inflight"),
        cancel(prefix + ":cancel") {}

  std::string lease(std::string_view schedule) const { return prefix + ":lease:" + std::string(schedule); }
  // List of the decisions about one slot (UTC, "2026-11-22T02:00:00Z"), kept k_decided_ttl,
  // each "name\tdecided at\tdecision"; a trigger's name is "<name>/trigger".
  std::string decided(std::string_view slot) const { return prefix + ":decided:" + std::string(slot); }

  std::string queue;
  std::string prefix;    // <ns>:{q:<queue>}
  std::string tasks;     // stream of tasks, consumer group "workers"
  std::string delayed;   // sorted set of tasks waiting to be retried, scored by due time (ms)
  std::string dead;      // stream of dead letters
  std::string last;      // hash: schedule → last decided slot (Unix seconds)
  std::string inflight;  // hash: task id → stream entry id, while a worker holds it
  std::string cancel;    // set of task ids replaced by a newer run (concurrency replace)
};

inline std::string history_key(const KeySpace& space, std::string_view schedule) {
  return space.key("sched:" + std::string(schedule), "history");
}

}  // namespace ciutils::schedule
