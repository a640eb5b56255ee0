// Redis Cluster routing behind ciutils::Redis: the slot map from CLUSTER SLOTS, one
// connection per node made on first use, MOVED (map refreshed, command sent again), ASK
// (ASKING, then to the node named; a script waits for the move to end instead), TRYAGAIN
// and CLUSTERDOWN retried with backoff within the command timeout. Internal to redis.cpp and redis_cluster.cpp.
#pragma once

#include "ciutils/redis.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ciutils {

// Where a MOVED or ASK reply sends a command: "MOVED 3999 127.0.0.1:6381" (an empty
// host, ":6381", means the host of the node that answered).
struct Redirect {
  bool ask = false;
  int slot = 0;
  RedisUrl::Node node;
};
std::optional<Redirect> parse_redirect(std::string_view reply, const std::string& answering_host);

class Redis::Cluster {
public:
  Cluster(RedisUrl url, Options options);

  // One command, sent to the node that owns its key (any node for a command without one).
  Reply command(const std::vector<std::string>& args);
  // EVALSHA to the node that owns keys[0], SCRIPT LOAD there on NOSCRIPT.
  Reply eval(const Script& script, const std::vector<std::string>& keys, const std::vector<std::string>& args);
  // A connection to every master (the slot map read first); ServiceError when one fails.
  std::vector<Redis*> masters();
  void set_command_timeout(std::chrono::milliseconds timeout);
  // Reads the slot map (throws ServiceError when no seed answers).
  void refresh();

private:
  using Send = std::function<Reply(Redis& node, bool asking)>;
  // Sends to the owner of key's slot, following MOVED; ASK too when follow_ask, else it
  // waits for the slot's move to end.
  Reply route(const std::optional<std::string>& key, bool follow_ask, const Send& send);
  Redis& node(const RedisUrl::Node& where);
  void own_slot(int slot, const RedisUrl::Node& owner);  // after MOVED
  std::string name_of(const RedisUrl::Node& n) const { return n.host + ":" + std::to_string(n.port); }

  RedisUrl m_url;
  Options m_options;
  std::map<std::string, std::unique_ptr<Redis>> m_nodes;  // "host:port" → connection
  std::vector<RedisUrl::Node> m_masters;                  // from the last map read, and MOVED
  std::vector<int> m_owner;                                // slot → index in m_masters, -1: none
  bool m_mapped = false;
};

}  // namespace ciutils
