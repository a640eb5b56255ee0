// Connections to one Redis for a server's request handlers (report serve, lockctl serve): a
// request takes one, uses it alone and gives it back when its lease ends. A Redis is never
// used by two threads at once. One that lost its server reconnects on its next command
// (redis.h), so a connection given back after an error is still fit to lend.
#pragma once

#include "ciutils/redis.h"

#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace ciutils {

class RedisPool {
public:
  // Keeps at most max_idle connections open between requests; more are closed on return.
  explicit RedisPool(RedisUrl url, std::size_t max_idle = 16);

  // One connection, lent until the lease ends (also by an exception).
  class Lease {
  public:
    Lease(RedisPool& pool, Redis redis);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Redis& operator*() { return *m_redis; }
    Redis* operator->() { return &*m_redis; }

  private:
    RedisPool& m_pool;
    std::optional<Redis> m_redis;
  };

  // An idle connection, else a new one (ServiceError when Redis cannot be reached).
  Lease take();
  const RedisUrl& url() const { return m_url; }
  // Connections open and not lent.
  std::size_t idle() const;

private:
  void give_back(Redis redis);

  RedisUrl m_url;
  std::size_t m_max_idle;
  mutable std::mutex m_mutex;
  std::vector<Redis> m_idle;
};

}  // namespace ciutils
