// Control of named schedules without editing the file: pause (until a time, with a reason),
// resume, and trigger now. Pauses live in one small hash, <ns>:{sched}:paused (name → JSON),
// read once per tick; a trigger is one script per queue, deduplicated per minute.
#pragma once

#include "keys.h"
#include "schedule_file.h"

#include "ciutils/redis.h"

#include <map>
#include <optional>
#include <string>

namespace ciutils::schedule {

struct Pause {
  std::string since;  // UTC, when it was paused
  std::optional<SysSeconds> until;
  std::string reason;

  // " until 2026-12-02T00:00:00Z (maintenance)": what decisions and status show after "paused".
  std::string describe() const;
};

std::string paused_key(const KeySpace& space);

// The pauses in effect at `now` (expired ones left out).
std::map<std::string, Pause> read_pauses(Redis& redis, const KeySpace& space, SysSeconds now);

// Pauses a schedule (replacing an earlier pause). Returns the stored pause.
Pause pause_schedule(Redis& redis, const KeySpace& space, const std::string& name, std::optional<SysSeconds> until,
                     const std::string& reason);
// Returns false when it was not paused (or the pause had expired).
bool resume_schedule(Redis& redis, const KeySpace& space, const std::string& name, SysSeconds now);

struct Triggered {
  std::string task;  // task JSON
  bool enqueued;     // false: the same schedule was already triggered this minute
};
// Enqueues a run of the schedule now, with its payload: id "<name>@<minute UTC>/trigger".
// A second trigger within the same minute (Redis time) enqueues nothing and answers the first.
Triggered trigger_schedule(Redis& redis, const KeySpace& space, const Schedule& schedule);

}  // namespace ciutils::schedule
