#include "serve_events.h"

#include "serve_pages.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

namespace ciutils::report {

namespace {

using std::chrono::milliseconds;
constexpr milliseconds k_block{1000};        // one XREAD BLOCK; stop() waits at most this long
constexpr milliseconds k_keepalive{15000};   // a comment line to every stream this often
constexpr milliseconds k_backoff_max{2000};  // between attempts while Redis is away

// A stream entry id "MS-SEQ" as two numbers, to tell which of two ids is newer.
std::pair<unsigned long long, unsigned long long> id_parts(const std::string& id) {
  unsigned long long ms = 0, seq = 0;
  auto dash = id.find('-');
  std::from_chars(id.data(), id.data() + std::min(dash, id.size()), ms);
  if (dash != std::string::npos) std::from_chars(id.data() + dash + 1, id.data() + id.size(), seq);
  return {ms, seq};
}

// The newest entry of the runs stream, nullopt when there is none.
std::optional<RunPoint> newest_run(Redis& redis, const KeySpace& keys) {
  Reply newest = redis.command({"XREVRANGE", runs_key(keys), "+", "-", "COUNT", "1"});
  if (newest.size() == 0) return std::nullopt;
  return run_point_of(newest[0]);
}

}  // namespace

std::string run_event(const RunPoint& run) {
  std::string data = run_json(run);
  return "id: " + run.id + "\nevent: run\ndata: " + data + "\n\n";
}

RunEvents::RunEvents(RedisUrl url, KeySpace keys) : m_url(std::move(url)), m_keys(std::move(keys)) {
  m_thread = std::thread([this] { follow(); });
}

RunEvents::~RunEvents() { stop(); }

void RunEvents::subscribe(const std::shared_ptr<ServerReply>& reply, const std::optional<std::string>& since,
                          Redis& redis) {
  reply->start_stream({200,
                       {{"content-type", "text/event-stream"}, {"cache-control", "no-store"},
                        {"x-accel-buffering", "no"}},
                       ""});
  reply->write("retry: 5000\n: waiting for runs\n\n");
  {
    std::lock_guard lock(m_mutex);
    if (m_stopped) {
      reply->finish();
      return;
    }
    m_subscribers.push_back(reply);
  }
  ServerReply* raw = reply.get();  // not the shared_ptr: the reply keeps its callbacks
  reply->on_close([this, raw] {
    std::lock_guard lock(m_mutex);
    std::erase_if(m_subscribers, [raw](const auto& r) { return r.get() == raw; });
  });
  // Subscribed first, then read: a run stored meanwhile is sent by follow() too, never lost.
  if (!since) return;
  auto newest = newest_run(redis, m_keys);
  if (newest && newest->id != *since) reply->write(run_event(*newest));
}

void RunEvents::stop() {
  std::vector<std::shared_ptr<ServerReply>> subscribers;
  {
    std::lock_guard lock(m_mutex);
    m_stopped = true;
    subscribers.swap(m_subscribers);
  }
  m_stopping.notify_all();
  for (auto& reply : subscribers) reply->finish();
  if (m_thread.joinable()) m_thread.join();
}

void RunEvents::broadcast(const std::string& event) {
  std::vector<std::shared_ptr<ServerReply>> subscribers;
  {
    std::lock_guard lock(m_mutex);
    subscribers = m_subscribers;
  }
  for (auto& reply : subscribers) reply->write(event);
}

bool RunEvents::sleep_unless_stopped(milliseconds d) {
  std::unique_lock lock(m_mutex);
  return !m_stopping.wait_for(lock, d, [this] { return m_stopped; });
}

void RunEvents::follow() {
  using Clock = std::chrono::steady_clock;
  const std::string key = runs_key(m_keys);
  std::optional<Redis> redis;
  std::string last;  // the newest run seen; empty until read
  milliseconds backoff{100};
  auto keepalive_at = Clock::now() + k_keepalive;
  while (true) {
    {
      std::lock_guard lock(m_mutex);
      if (m_stopped) return;
    }
    try {
      if (!redis) {
        Redis::Options options;
        options.command_timeout = k_block + std::chrono::seconds(5);
        redis.emplace(Redis::connect(m_url, options));
        // From the newest run on; after an outage from where it was, unless Redis lost the
        // stream meanwhile (then the runs stored since are missed, not waited for forever).
        auto newest = newest_run(*redis, m_keys);
        std::string now = newest ? newest->id : "0-0";
        if (last.empty() || id_parts(now) < id_parts(last)) last = now;
      }
      Reply reply = redis->command(
          {"XREAD", "COUNT", "100", "BLOCK", std::to_string(k_block.count()), "STREAMS", key, last});
      if (!reply.is_nil() && reply.size() > 0) {
        Reply entries = reply[0][1];
        for (std::size_t i = 0; i < entries.size(); ++i) {
          RunPoint run = run_point_of(entries[i]);
          last = run.id;
          broadcast(run_event(run));
        }
      }
      backoff = milliseconds(100);
    } catch (const std::exception&) {
      // Redis away or the connection broken: try again, the pages keep their streams.
      redis.reset();
      if (!sleep_unless_stopped(backoff)) return;
      backoff = std::min(backoff * 2, k_backoff_max);
    }
    if (Clock::now() >= keepalive_at) {
      broadcast(": keep-alive\n\n");
      keepalive_at = Clock::now() + k_keepalive;
    }
  }
}

}  // namespace ciutils::report
