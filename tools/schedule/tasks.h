// Taking and finishing tasks on a queue's stream: lease (consumer group pending entry),
// reclaim after the visibility timeout, ack, retry later, dead-letter, hand back.
// Every state change is one Lua script using Redis time.
#pragma once

#include "keys.h"

#include "ciutils/redis.h"

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::schedule {

struct Task {
  std::string entry;     // stream entry id
  std::string json;      // task JSON as enqueued
  int attempt = 1;       // attempt of this delivery (retries and reclaims count)
  bool cancelled = false;  // replaced by a newer run before it started
  boost::json::object doc;  // parsed json, with "attempt" set to `attempt`

  std::string id() const;
  std::string schedule() const;  // empty for tasks without one
};

// Takes one task without blocking: retries that are due move back onto the stream, an
// entry idle longer than `visibility` is reclaimed, else a new entry is read.
std::optional<Task> take_now(Redis& redis, const QueueKeys& keys, const std::string& consumer,
                             std::chrono::milliseconds visibility);

// Waits up to `wait` for a task (XREADGROUP BLOCK on `blocking`, its own connection).
std::optional<Task> take(Redis& redis, Redis& blocking, const QueueKeys& keys, const std::string& consumer,
                         std::chrono::milliseconds visibility, std::chrono::milliseconds wait);

// Resets the entry's idle time (XCLAIM to ourselves) and extends the schedule's lease.
// Returns false when the task is no longer ours (reclaimed or finished elsewhere);
// `cancelled` is set when a newer run replaced it.
bool heartbeat(Redis& redis, const QueueKeys& keys, const std::string& consumer, const Task& task,
               std::chrono::milliseconds visibility, bool& cancelled);

// Work of a queue that is not finished although nothing can be taken now: entries leased
// by workers (alive, or dead and not yet reclaimable) and retries waiting to fall due.
struct Backlog {
  long long leased = 0;
  long long delayed = 0;
  std::chrono::milliseconds next_due{0};  // until the earliest retry is due (delayed > 0)

  bool empty() const { return leased == 0 && delayed == 0; }
};
Backlog backlog(Redis& redis, const QueueKeys& keys);

// Who finishes a task. A shell (`schedule ack ID`) names the task by id and finishes
// whichever delivery holds it; a worker names its own delivery (entry, consumer, attempt).
struct Finisher {
  std::string id;
  std::string entry;  // empty: by id
  std::string consumer;
  int attempt = 1;

  static Finisher by_id(std::string id) { return {std::move(id), {}, {}, 1}; }
  static Finisher of(const Task& task, const std::string& consumer) {
    return {task.id(), task.entry, consumer, task.attempt};
  }
};

// What finishing found: done; by id, no worker holds the task; a worker's own delivery was
// no longer its own (a Redis failover lost its take, or another worker took it over after
// the visibility timeout): nothing was changed, and another run of the task may exist.
enum class Finished { done, not_held, lost };

Finished ack(Redis& redis, const QueueKeys& keys, const Finisher& who);
// Back to the queue after `delay` as attempt+1 (or, with `count` false, the same attempt).
Finished retry(Redis& redis, const QueueKeys& keys, const Finisher& who, std::chrono::milliseconds delay,
               bool count = true);
Finished dead_letter(Redis& redis, const QueueKeys& keys, const Finisher& who, const std::string& reason);

// The task a worker holds, by id (for `schedule fail` from a shell).
std::optional<Task> held_task(Redis& redis, const QueueKeys& keys, const std::string& id);

// Ad-hoc task; returns its JSON.
std::string enqueue(Redis& redis, const QueueKeys& keys, const std::string& name, const boost::json::object& payload);

struct DeadLetter {
  std::string entry;
  std::string task;
  std::string reason;
  std::string at;
};
std::vector<DeadLetter> dead_letters(Redis& redis, const QueueKeys& keys, std::size_t limit);
// Moves every dead letter back onto the queue as attempt 1; returns how many.
std::size_t requeue_dead_letters(Redis& redis, const QueueKeys& keys);

// Run history, a capped stream per schedule.
void record_history(Redis& redis, const KeySpace& space, const std::string& schedule,
                    const std::vector<std::pair<std::string, std::string>>& fields);
std::vector<std::vector<std::pair<std::string, std::string>>> read_history(Redis& redis, const KeySpace& space,
                                                                           const std::string& schedule,
                                                                           std::size_t limit);

}  // namespace ciutils::schedule
