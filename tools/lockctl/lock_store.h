// The client side of the Lua scripts: where a resource's state lives (its scope),
// calling a script and decoding its JSON reply, and acquiring with a fair wait.
//
// Scopes: a standalone resource R keeps its state under "<ns>:{lock:R}:"; a pool P and
// all its members keep theirs under "<ns>:{lock:pool:P}:", so one script can take K
// members atomically (and the keys stay in one Redis Cluster slot). Which pool a member
// belongs to is recorded under the member's own tag ("<ns>:{lock:R}:name"), so the
// scripts on R's own scope check it atomically; a resource is in at most one pool.
#pragma once

#include "ci_context.h"
#include "label_expr.h"

#include "ciutils/process.h"
#include "ciutils/redis.h"

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::lockctl {

using std::chrono::milliseconds;

struct Target {
  bool pool = false;  // false: resources by name (standalone or pool members)
  std::string name;   // the pool, or the first resource
  int quantity = 1;   // pools only
  std::vector<std::string> names;  // resources: all of them (taken together, all or nothing)
  std::optional<LabelExpr> label;  // pools only: members whose labels match

  static Target of_resources(std::vector<std::string> resources) {
    Target t;
    t.name = resources.front();
    t.names = std::move(resources);
    return t;
  }
  static Target of_pool(std::string pool, int quantity = 1) {
    Target t;
    t.pool = true;
    t.name = std::move(pool);
    t.quantity = quantity;
    return t;
  }
};

std::string resource_prefix(const KeySpace& keys, const std::string& resource);
std::string pool_prefix(const KeySpace& keys, const std::string& pool);

// What a name is, read from "<ns>:{lock:NAME}:name": the pool it belongs to (its state
// then lives in that pool's scope), or whether it names a pool.
struct NameInfo {
  std::optional<std::string> pool;
  bool is_pool = false;
};
NameInfo read_name(Redis& redis, const KeySpace& keys, const std::string& name);

// The scope of a target: a pool member's scope is its pool's. UsageError when a
// resource name is a pool's, or when resources taken together do not share one scope
// (they must be members of one pool, so one script on one hash tag takes them all).
std::string scope_prefix(Redis& redis, const KeySpace& keys, const Target& target);

// The scope of a name given to release/renew/force-release/history/status: a pool
// member's pool, the pool of that name, else the resource's own.
std::string scope_prefix_for_name(Redis& redis, const KeySpace& keys, const std::string& name);

// Runs a script on a scope and parses its JSON reply.
boost::json::object call_script(Redis& redis, const Script& script, const std::string& prefix,
                                const std::vector<std::string>& args);

// Runs a release or renew script on a lease's scope, following the lease when it moved
// with its resource (a pool change); `prefix` is updated to where the lease is now.
boost::json::object call_lease_script(Redis& redis, const Script& script, std::string& prefix,
                                      const std::vector<std::string>& args);

// Parses a script's reply (a JSON object with a "status"); throws std::runtime_error otherwise.
boost::json::object decode_reply(const std::string& text);
// A Lua array (cjson encodes an empty one as {}) as strings / integers.
std::vector<std::string> string_list(const boost::json::value& v);
std::vector<long long> integer_list(const boost::json::value& v);
long long integer_field(const boost::json::object& o, const char* key);
std::string string_field(const boost::json::object& o, const char* key);

struct AcquireRequest {
  Target target;
  std::optional<long long> slots;  // resources only: set the slot count
  milliseconds ttl{60000};
  std::optional<milliseconds> wait;  // nullopt: wait as long as it takes
  int priority = 0;
  std::string owner;
  CiContext ci;
  std::string token;  // empty: a new random one (lockctl serve's /maybe uses one per environment)
};

// The request JSON sent to the acquire script.
std::string request_json(const AcquireRequest& request, const std::string& token, bool wait);

struct Grant {
  std::string prefix;
  std::string token;
  std::vector<std::string> resources;
  std::vector<long long> fences;
  std::vector<boost::json::object> props;  // each resource's properties, as granted
  long long expires_ms = 0;  // Redis clock
  long long now_ms = 0;      // Redis clock at the grant
  long long waited_ms = 0;
  milliseconds ttl{0};
  int min_replicas = 0;  // replicas that must acknowledge each renewal (--min-replicas)
};

// Decodes a "granted" acquire reply.
Grant decode_grant(const boost::json::object& reply, std::string prefix, std::string token,
                   milliseconds ttl);

// Waiter timing: the heartbeat a waiter must refresh, and the longest it blocks on its
// wake-up list before re-checking.
constexpr milliseconds k_waiter_heartbeat{3000};
constexpr milliseconds k_recheck{500};

// A waiter that loses Redis (a restart) reconnects with backoff from k_reconnect_first
// up to k_reconnect_max between attempts, within --wait, or k_waiter_outage_limit of
// continuous outage when there is no --wait.
constexpr milliseconds k_reconnect_first{100};
constexpr milliseconds k_reconnect_max{2000};
constexpr milliseconds k_waiter_outage_limit{std::chrono::minutes(5)};

// Progress worth telling a user who asked for -v (an outage and the recovery).
using Note = std::function<void(const std::string&)>;

// Acquires, waiting in the queue (wake-up list + bounded re-check) up to request.wait.
// nullopt when not acquired in time. UsageError for an unknown pool or too large a
// quantity; Error(interrupted/terminated) when a watched signal arrives while waiting
// (the waiter has left the queue by then). While waiting, Redis being unreachable or
// answering LOADING is ridden out (see above; then the waiter keeps its place or, when
// its seat lapsed meanwhile, queues again); a lasting outage throws ServiceError.
std::optional<Grant> acquire_lease(Redis& redis, const KeySpace& keys, const AcquireRequest& request,
                                   SignalWatch& signals, const Note& note);

// What may end a wait other than a grant or the deadline: check() runs before every attempt
// and throws to leave the queue (lockctl serve: the HTTP client left); while Redis is out of
// reach the wait sleeps between attempts, waking early when fd (if not -1) becomes readable.
struct WaitControl {
  std::function<void()> check;
  int fd = -1;
};
std::optional<Grant> acquire_lease(Redis& redis, const KeySpace& keys, const AcquireRequest& request,
                                   const WaitControl& control, const Note& note);

}  // namespace ciutils::lockctl
