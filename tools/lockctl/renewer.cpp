#include "renewer.h"

#include "scripts.h"

#include <unistd.h>

namespace ciutils::lockctl {

using Clock = std::chrono::steady_clock;

std::string lease_end_reason(const std::string& status) {
  if (status == "forced") return "the lease was force-released";
  if (status == "expired") return "the lease expired before it was renewed";
  if (status == "released") return "the lease was released elsewhere";
  return "the lease is no longer held";
}

Renewer::Renewer(RedisUrl url, const Grant& grant, int notify_fd)
    : m_url(std::move(url)),
      m_prefix(grant.prefix),
      m_token(grant.token),
      m_ttl(grant.ttl),
      m_min_replicas(grant.min_replicas),
      m_valid_until(Clock::now() + milliseconds(grant.expires_ms - grant.now_ms)),
      m_notify_fd(notify_fd),
      m_thread([this] { loop(); }) {}

Renewer::~Renewer() { stop(); }

void Renewer::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

std::optional<std::string> Renewer::lost() const {
  std::lock_guard lock(m_mutex);
  return m_lost;
}

void Renewer::mark_lost(std::string why) {
  {
    std::lock_guard lock(m_mutex);
    m_lost = std::move(why);
  }
  if (m_notify_fd >= 0) {
    char byte = 1;
    [[maybe_unused]] auto n = ::write(m_notify_fd, &byte, 1);
  }
}

void Renewer::loop() {
  const auto interval = std::max(m_ttl / 3, milliseconds(50));
  const auto retry = std::min(interval, milliseconds(250));
  std::optional<Redis> redis;
  auto next = Clock::now() + interval;
  while (true) {
    {
      std::unique_lock lock(m_mutex);
      if (m_cv.wait_until(lock, next, [this] { return m_stop; })) return;
    }
    const auto sent = Clock::now();
    try {
      if (!redis) {
        Redis::Options options;
        options.connect_timeout = std::min(interval, milliseconds(2000));
        options.command_timeout = std::min(interval, milliseconds(2000));
        redis.emplace(Redis::connect(m_url, options));
      }
      auto reply = call_lease_script(*redis, renew_script(), m_prefix, {m_token, std::to_string(m_ttl.count())});
      const std::string status = string_field(reply, "status");
      if (status != "renewed") {
        mark_lost(lease_end_reason(status));
        return;
      }
      // --min-replicas: only a renewal the replicas have counts, since a failover keeps
      // only what they have; without one the lease runs out as if Redis were unreachable.
      if (m_min_replicas > 0 && redis->wait_replicas(m_min_replicas, retry) < m_min_replicas) {
        if (Clock::now() >= m_valid_until) {
          mark_lost("fewer than " + std::to_string(m_min_replicas) +
                    " replicas acknowledged a renewal before the lease expired (--min-replicas)");
          return;
        }
        next = std::min(Clock::now() + retry, m_valid_until);
        continue;
      }
      m_valid_until = sent + m_ttl;
      next = sent + interval;
    } catch (const std::exception&) {
      redis.reset();
      if (Clock::now() >= m_valid_until) {
        mark_lost("Redis at " + m_url.redacted() + " stayed unreachable until the lease expired");
        return;
      }
      next = std::min(Clock::now() + retry, m_valid_until);
    }
  }
}

}  // namespace ciutils::lockctl
