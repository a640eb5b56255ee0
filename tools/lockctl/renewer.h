// Keeps a lease alive from a thread with its own Redis connection: renews every TTL/3,
// and reports the lease lost when the server says it ended (force-released, expired)
// or when Redis stays unreachable past the lease's expiry.
#pragma once

#include "lock_store.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace ciutils::lockctl {

// Text for a renew/release status that means the lease is gone.
std::string lease_end_reason(const std::string& status);

class Renewer {
public:
  // notify_fd (may be -1) gets one byte when the lease is lost.
  Renewer(RedisUrl url, const Grant& grant, int notify_fd);
  ~Renewer();
  Renewer(const Renewer&) = delete;
  Renewer& operator=(const Renewer&) = delete;

  void stop();
  // Why the lease was lost, once it was.
  std::optional<std::string> lost() const;

private:
  void loop();
  void mark_lost(std::string why);

  RedisUrl m_url;
  std::string m_prefix;
  std::string m_token;
  std::chrono::milliseconds m_ttl;
  int m_min_replicas;
  std::chrono::steady_clock::time_point m_valid_until;
  int m_notify_fd;
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stop = false;
  std::optional<std::string> m_lost;
  std::thread m_thread;
};

}  // namespace ciutils::lockctl
