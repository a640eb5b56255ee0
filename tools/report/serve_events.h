// report serve's /events: the runs 'report store' adds, told to the pages that watch as
// server-sent events (text/event-stream), so a page reloads when a run is stored. One thread
// follows the runs stream with XREAD BLOCK (its own Redis connection) and writes each new run
// to every subscriber; a comment line every 15 s keeps idle streams open through proxies.
#pragma once

#include "history.h"

#include "ciutils/http_server.h"
#include "ciutils/redis.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ciutils::report {

// "id: ID\nevent: run\ndata: {run as in /api/runs}\n\n"
std::string run_event(const RunPoint& run);

class RunEvents {
 public:
  // Starts following the runs stream of `keys` (waits for Redis to come back when it goes).
  RunEvents(RedisUrl url, KeySpace keys);
  ~RunEvents();
  RunEvents(const RunEvents&) = delete;
  RunEvents& operator=(const RunEvents&) = delete;

  // Streams the runs stored from now on to `reply` until the client leaves or stop().
  // `since`: the newest run id the client knows (?since= or Last-Event-ID); when the newest
  // stored run is another, that run is sent at once. `redis` reads it.
  void subscribe(const std::shared_ptr<ServerReply>& reply, const std::optional<std::string>& since, Redis& redis);

  // Ends every stream and the thread; call before the server goes (a reply must not outlive it).
  void stop();

 private:
  void follow();
  void broadcast(const std::string& event);
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  RedisUrl m_url;
  KeySpace m_keys;
  std::mutex m_mutex;
  std::condition_variable m_stopping;
  bool m_stopped = false;
  std::vector<std::shared_ptr<ServerReply>> m_subscribers;
  std::thread m_thread;
};

}  // namespace ciutils::report
