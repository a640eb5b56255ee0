// tick: enqueue every due slot of a set of schedules exactly once. Slots are computed here;
// schedules with nothing after their last decided slot are left out; one Lua script per
// queue batch dedups the rest against the last decided slot of each schedule, applies the
// catch-up and concurrency policies and XADDs, atomically.
#pragma once

#include "schedule_file.h"

#include "ciutils/redis.h"

#include <string>
#include <vector>

namespace ciutils::schedule {

struct TickDecision {
  std::string schedule;
  std::string slot;      // UTC, "2026-11-22T02:00:00Z"
  std::string decision;  // "enqueued", "missed: …", "skipped: …", "enqueued, replacing …"
};

// The slots a tick at `now` offers the script: the latest slot <= now, or for catch_up
// all the latest catch_up_max of them (oldest first).
std::vector<SysSeconds> tick_candidates(const Schedule& schedule, SysSeconds now);

// Task JSON head for a slot, without enqueued_at and payload (the script adds those).
std::string task_id(std::string_view schedule, SysSeconds slot);

// Schedules per script call: few round trips, and a script still holds Redis only
// milliseconds (about 2 µs of server time per schedule).
inline constexpr std::size_t k_default_batch = 2000;

// Runs the tick. `now` is Redis time unless the caller overrides it. With min_replicas,
// each batch's writes must be acknowledged by that many replicas (require_replicas).
std::vector<TickDecision> run_tick(Redis& redis, const KeySpace& space, const std::vector<Schedule>& schedules,
                                   SysSeconds now, std::size_t batch_size = k_default_batch, int min_replicas = 0);

// Redis server time.
SysSeconds redis_now(Redis& redis);

}  // namespace ciutils::schedule
