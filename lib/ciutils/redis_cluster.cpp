#include "ciutils/redis_cluster.h"

#include "ciutils/error.h"
#include "ciutils/key_slot.h"

#include <algorithm>
#include <charconv>
#include <thread>

namespace ciutils {

std::optional<Redirect> parse_redirect(std::string_view reply, const std::string& answering_host) {
  Redirect out;
  if (reply.starts_with("MOVED ")) {
    reply.remove_prefix(6);
  } else if (reply.starts_with("ASK ")) {
    reply.remove_prefix(4);
    out.ask = true;
  } else {
    return std::nullopt;
  }
  auto space = reply.find(' ');
  auto colon = reply.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space) return std::nullopt;
  std::string_view slot = reply.substr(0, space);
  std::string_view port = reply.substr(colon + 1);
  if (std::from_chars(slot.data(), slot.data() + slot.size(), out.slot).ec != std::errc() ||
      std::from_chars(port.data(), port.data() + port.size(), out.node.port).ec != std::errc() || out.slot < 0 ||
      out.slot >= k_cluster_slots || out.node.port <= 0 || out.node.port > 65535) {
    return std::nullopt;
  }
  out.node.host = std::string(reply.substr(space + 1, colon - space - 1));
  if (out.node.host.size() > 2 && out.node.host.front() == '[' && out.node.host.back() == ']') {
    out.node.host = out.node.host.substr(1, out.node.host.size() - 2);
  }
  if (out.node.host.empty() || out.node.host == "?") out.node.host = answering_host;
  return out;
}

Redis::Cluster::Cluster(RedisUrl url, Options options)
    : m_url(std::move(url)), m_options(options), m_owner(k_cluster_slots, -1) {}

Redis& Redis::Cluster::node(const RedisUrl::Node& where) {
  auto& slot = m_nodes[name_of(where)];
  if (!slot) {
    RedisUrl url = m_url;
    url.cluster.clear();
    url.host = where.host;
    url.port = where.port;
    slot.reset(new Redis(std::move(url), m_options));
  }
  return *slot;
}

void Redis::Cluster::refresh() {
  std::vector<RedisUrl::Node> candidates = m_masters;
  for (const auto& seed : m_url.cluster) {
    bool known = std::any_of(candidates.begin(), candidates.end(),
                             [&](const RedisUrl::Node& n) { return name_of(n) == name_of(seed); });
    if (!known) candidates.push_back(seed);
  }
  std::string failures;
  for (const auto& asked : candidates) {
    try {
      Reply map = node(asked).command_once({"CLUSTER", "SLOTS"});
      std::vector<RedisUrl::Node> masters;
      std::vector<int> owner(k_cluster_slots, -1);
      for (std::size_t i = 0; i < map.size(); ++i) {
        Reply range = map[i];
        Reply master = range[2];
        RedisUrl::Node n{master[0].string(), static_cast<int>(master[1].integer())};
        if (n.host.empty() || n.host == "?") n.host = asked.host;
        auto known = std::find_if(masters.begin(), masters.end(),
                                  [&](const RedisUrl::Node& m) { return name_of(m) == name_of(n); });
        int index = static_cast<int>(known - masters.begin());
        if (known == masters.end()) masters.push_back(n);
        long long first = std::clamp(range[0].integer(), 0LL, k_cluster_slots - 1LL);
        long long last = std::clamp(range[1].integer(), 0LL, k_cluster_slots - 1LL);
        for (long long s = first; s <= last; ++s) owner[static_cast<std::size_t>(s)] = index;
      }
      if (masters.empty()) {
        failures += "; " + name_of(asked) + ": serves no slot (is the cluster created?)";
        continue;
      }
      m_masters = std::move(masters);
      m_owner = std::move(owner);
      m_mapped = true;
      return;
    } catch (const RedisReplyError& e) {
      if (e.reply().find("cluster support disabled") != std::string::npos) {
        throw ServiceError("Redis at " + name_of(asked) + " (in " + m_url.redacted() +
                           ") is not a cluster node: use a redis:// URL for a single server");
      }
      failures += "; " + name_of(asked) + ": " + e.reply();
    } catch (const RedisRefusedError&) {
      throw;  // a wrong password or a missing permission: no other node says otherwise
    } catch (const ServiceError& e) {
      failures += "; " + std::string(e.what());
    } catch (const std::runtime_error& e) {
      failures += "; " + name_of(asked) + ": unexpected CLUSTER SLOTS reply (" + e.what() + ")";
    }
  }
  throw ServiceError("cannot read the slot map of the Redis Cluster at " + m_url.redacted() + " (" +
                     failures.substr(2) + ")");
}

void Redis::Cluster::own_slot(int slot, const RedisUrl::Node& owner) {
  auto known = std::find_if(m_masters.begin(), m_masters.end(),
                            [&](const RedisUrl::Node& m) { return name_of(m) == name_of(owner); });
  if (known == m_masters.end()) known = m_masters.insert(m_masters.end(), owner);
  m_owner[static_cast<std::size_t>(slot)] = static_cast<int>(known - m_masters.begin());
}

Reply Redis::Cluster::route(const std::optional<std::string>& key, bool follow_ask, const Send& send) {
  const auto deadline = std::chrono::steady_clock::now() + m_options.command_timeout;
  const int slot = key ? key_slot(*key) : -1;
  std::optional<RedisUrl::Node> ask;
  auto backoff = std::chrono::milliseconds(10);
  auto owner = [&] {
    int index = slot < 0 ? 0 : m_owner[static_cast<std::size_t>(slot)];
    return index < 0 ? m_masters.front() : m_masters[static_cast<std::size_t>(index)];
  };
  // What to do with an error reply: follow a redirect, wait for the cluster, or give up.
  enum class Next { redirected, waited, fail };
  auto handle = [&](const std::string& reply, const RedisUrl::Node& target, int hops) {
    auto redirect = parse_redirect(reply, target.host);
    if (redirect && redirect->ask && !follow_ask) {
      // A script reaches keys of its hash tag that it does not declare, so it never runs
      // on a slot half moved: it waits until the slot has one owner again (then MOVED).
      if (std::chrono::steady_clock::now() + backoff >= deadline) {
        throw ServiceError("Redis Cluster at " + m_url.redacted() + ": slot " + std::to_string(redirect->slot) +
                           " was still being moved to " + name_of(redirect->node) +
                           " when the command timed out (" + reply + ")");
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
      return Next::waited;
    }
    if (redirect && redirect->ask) {
      if (hops >= 16) return Next::fail;
      ask = redirect->node;
      return Next::redirected;
    }
    if (redirect) {
      // The node that answers knows best: nodes learn a slot's new owner one after the
      // other, so a map read now from another may still name the old one.
      ask.reset();
      own_slot(redirect->slot, redirect->node);
      if (hops < 2) return Next::redirected;
      // Redirected back and forth while the nodes agree: wait a little, within the timeout.
      if (std::chrono::steady_clock::now() + backoff >= deadline) {
        throw ServiceError("Redis Cluster at " + m_url.redacted() + ": the nodes still disagreed about slot " +
                           std::to_string(redirect->slot) + " when the command timed out (" + reply + ")");
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
      return Next::redirected;
    }
    bool wait = reply.starts_with("TRYAGAIN") || reply.starts_with("CLUSTERDOWN");
    if (!wait || std::chrono::steady_clock::now() + backoff >= deadline) return Next::fail;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
    ask.reset();
    m_mapped = false;
    return Next::waited;
  };
  for (int hops = 0;; ++hops) {
    if (!m_mapped) refresh();
    const RedisUrl::Node target = ask ? *ask : owner();
    Redis& conn = node(target);
    try {
      conn.ensure_connected();
    } catch (const RedisRefusedError&) {
      throw;
    } catch (const ServiceError&) {
      // Nothing was sent. When the slot map (read from the other nodes) names another
      // owner now (a failover), send it there; else the node is down.
      if (ask || std::chrono::steady_clock::now() >= deadline) throw;
      refresh();
      if (name_of(owner()) == name_of(target)) throw;
      continue;
    }
    const bool asking = ask.has_value();
    try {
      return send(conn, asking);
    } catch (const RedisRefusedError& e) {
      if (e.reply().empty() || handle(e.reply(), target, hops) == Next::fail) throw;
    } catch (const RedisReplyError& e) {
      if (handle(e.reply(), target, hops) == Next::fail) throw;
    }
  }
}

Reply Redis::Cluster::command(const std::vector<std::string>& args) {
  return route(command_key(args), true, [&](Redis& node, bool asking) {
    if (asking) node.command_once({"ASKING"});
    return node.command_once(args);
  });
}

Reply Redis::Cluster::eval(const Script& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  std::optional<std::string> key = keys.empty() ? std::nullopt : std::optional(keys.front());
  return route(key, false, [&](Redis& node, bool asking) {
    return Redis::evalsha(script, keys, args, [&](const std::vector<std::string>& argv) {
      if (asking) node.command_once({"ASKING"});
      return node.command_once(argv);
    });
  });
}

std::vector<Redis*> Redis::Cluster::masters() {
  refresh();
  std::vector<Redis*> out;
  for (const auto& m : m_masters) {
    Redis& conn = node(m);
    conn.ensure_connected();
    out.push_back(&conn);
  }
  return out;
}

void Redis::Cluster::set_command_timeout(std::chrono::milliseconds timeout) {
  m_options.command_timeout = timeout;
  for (auto& [name, conn] : m_nodes) conn->set_command_timeout(timeout);
}

}  // namespace ciutils
