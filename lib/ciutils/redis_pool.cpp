#include "ciutils/redis_pool.h"

namespace ciutils {

RedisPool::RedisPool(RedisUrl url, std::size_t max_idle) : m_url(std::move(url)), m_max_idle(max_idle) {}

RedisPool::Lease::Lease(RedisPool& pool, Redis redis) : m_pool(pool), m_redis(std::move(redis)) {}

RedisPool::Lease::~Lease() {
  if (m_redis) m_pool.give_back(std::move(*m_redis));
}

RedisPool::Lease RedisPool::take() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      Redis redis = std::move(m_idle.back());
      m_idle.pop_back();
      return Lease(*this, std::move(redis));
    }
  }
  return Lease(*this, Redis::connect(m_url));
}

std::size_t RedisPool::idle() const {
  std::lock_guard lock(m_mutex);
  return m_idle.size();
}

void RedisPool::give_back(Redis redis) {
  std::lock_guard lock(m_mutex);
  if (m_idle.size() < m_max_idle) m_idle.push_back(std::move(redis));
}

}  // namespace ciutils
