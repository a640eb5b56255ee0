#include "pool_change.h"

#include "names.h"
#include "scripts.h"

#include "ciutils/error.h"

#include <boost/json.hpp>

#include <optional>
#include <set>
#include <stdexcept>

namespace ciutils::lockctl {

namespace json = boost::json;

namespace {

constexpr std::string_view k_pool_tag = ":{lock:pool:";

// One step of a move: one script on one scope.
json::object step(Redis& redis, const std::string& scope, const std::vector<std::string>& args) {
  return call_script(redis, move_script(), scope, args);
}

std::string status_of(const json::object& reply) { return string_field(reply, "status"); }

class Mover {
public:
  Mover(Redis& redis, KeySpace keys, std::string pool)
      : m_redis(redis), m_keys(std::move(keys)), m_pool(std::move(pool)), m_scope(pool_prefix(m_keys, m_pool)) {}

  const std::string& scope() const { return m_scope; }

  // The pool's name is checked (UsageError when a resource has it) and, when `joining`,
  // marked a pool under a new generation, the one this command's claims carry.
  void name_pool(bool joining) {
    json::object reply = step(m_redis, resource_prefix(m_keys, m_pool), {"pool-name", m_pool, joining ? "1" : "0"});
    if (status_of(reply) != "ok") {
      throw UsageError("POOL: '" + m_pool + "' is a resource (pool and resource names must differ)");
    }
    m_gen = std::to_string(integer_field(reply, "gen"));
  }

  // Claims r for the pool. A claim refused because the pool was emptied and closed since
  // this command named it ('stale') is made again under a new generation, once the name is
  // found still free of a plain lock.
  std::string claim(const std::string& r, const std::string& id) {
    std::string status = status_of(at_pool({"claim", r, id, m_gen}));
    if (status == "stale") {
      name_pool(true);
      status = status_of(at_pool({"claim", r, id, m_gen}));
    }
    return status;
  }

  // The pool's last step when it is left empty: it is closed to the claims of this
  // command's generation and older, then its name is a pool's no more.
  void close_if_empty(long long count) {
    if (count == 0 && status_of(at_pool({"close", m_pool, m_gen})) == "closed") {
      step(m_redis, resource_prefix(m_keys, m_pool), {"tidy", m_pool, m_gen});
    }
  }
  json::object at_pool(const std::vector<std::string>& args) { return step(m_redis, m_scope, args); }
  json::object at_own(const std::string& r, const std::vector<std::string>& args) {
    return step(m_redis, resource_prefix(m_keys, r), args);
  }

  // Finishes the move of r recorded as `transit` here. A refused move into the pool is
  // taken back when `may_cancel`; otherwise it is left for the command that started it.
  void settle(const std::string& r, const json::object& transit, bool may_cancel) {
    const std::string id = string_field(transit, "id");
    if (string_field(transit, "dir") == "out") {
      at_own(r, {"land", r, id, m_pool, json::serialize(transit)});
      at_pool({"done-out", r, id});
      return;
    }
    json::object exported = at_own(r, {"export", r, id, m_pool, m_scope});
    const std::string status = status_of(exported);
    if (status == "exported") {
      take_in(r, id, string_field(exported, "state"));
    } else if (status == "done") {
      at_pool({"forget", r, id});  // its state came in, and moved on, long ago
    } else if (may_cancel) {
      cancel(r, id);
    }
  }

  void settle_all(bool may_cancel) {
    Reply all = m_redis.command({"HGETALL", m_scope + "transit"});
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
      json::object transit = decode_reply_object(all[i + 1].string());
      settle(all[i].string(), transit, may_cancel);
    }
  }

  void take_in(const std::string& r, const std::string& id, const std::string& state) {
    at_pool({"import", r, id, state});
    at_own(r, {"drop-outbox", r, id});
  }

  // Takes back a claim whose export was refused; when it was exported after all, takes r in.
  // Returns whether r came in.
  bool cancel(const std::string& r, const std::string& id) {
    json::object reply = at_own(r, {"cancel", r, id});
    if (status_of(reply) == "exported") {
      take_in(r, id, string_field(reply, "state"));
      return true;
    }
    at_pool({"forget", r, id});
    return false;
  }

  // r leaves the pool: at once when free (its state goes back to its own scope), else it
  // stays as leaving until it is free.
  void leave(const std::string& r) {
    json::object reply = at_pool({"leave", r, new_token()});
    if (status_of(reply) == "out") settle(r, decode_reply_object(string_field(reply, "transit")), true);
  }

private:
  static json::object decode_reply_object(const std::string& text) {
    json::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) throw std::runtime_error("malformed pool move record: " + text.substr(0, 200));
    return std::move(v.as_object());
  }

  Redis& m_redis;
  KeySpace m_keys;
  std::string m_pool;
  std::string m_scope;
  std::string m_gen = "0";
};

// Why a member cannot join, as the user is told.
UsageError refusal(const std::string& status, const std::string& r, const std::string& other) {
  if (status == "in-other-pool") return UsageError("MEMBER: '" + r + "' is already in pool '" + other + "'");
  if (status == "leaving-other-pool") {
    return UsageError("MEMBER: '" + r + "' was removed from pool '" + other +
                      "' but is still held there; add it once it is free");
  }
  return UsageError("MEMBER: '" + r + "' is a pool (pool and resource names must differ)");
}

// Why r cannot join the pool, if it cannot. A free member that was removed from its
// pool while held leaves that pool now (the old single-script change did the same).
std::optional<UsageError> check_member(Redis& redis, const KeySpace& keys, const std::string& pool,
                                       const std::string& r) {
  NameInfo info = read_name(redis, keys, r);
  if (r == pool || info.is_pool) return refusal("member-is-pool", r, "");
  if (!info.pool || *info.pool == pool) return std::nullopt;
  Mover home(redis, keys, *info.pool);
  const std::string there = status_of(home.at_pool({"in-other-pool", r, new_token()}));
  if (there == "out") {
    home.settle_all(true);
    return std::nullopt;
  }
  return refusal(there == "leaving" ? "leaving-other-pool" : "in-other-pool", r, *info.pool);
}

// Claims r for the pool and takes its state out of r's own scope. Returns the move (its id
// and the exported state), or nothing when r is a member already or is refused (`refused`).
struct Joined {
  std::string id;
  std::string state;
};
std::optional<Joined> join_pool(Redis& redis, const KeySpace& keys, Mover& mover, const std::string& pool,
                                const std::string& r, std::optional<UsageError>& refused) {
  for (int round = 0; round < 8; ++round) {
    const std::string id = new_token();
    std::string claim = mover.claim(r, id);
    if (claim == "transit") {  // a move of r that another command left half done
      mover.settle_all(true);
      claim = mover.claim(r, id);
    }
    if (claim == "stale") continue;               // the pool was closed again meanwhile
    if (claim != "claimed") return std::nullopt;  // a member already
    json::object exported = mover.at_own(r, {"export", r, id, pool, mover.scope()});
    const std::string status = status_of(exported);
    if (status == "exported") return Joined{id, string_field(exported, "state")};
    if (status == "done") return std::nullopt;  // taken in by someone who met the move
    if (status == "cancelled") continue;        // taken back by a command that met it: claim again
    // Refused: r joined another pool (or became one) since it was checked.
    if (mover.cancel(r, id)) return std::nullopt;  // exported meanwhile after all: it came in
    refused = check_member(redis, keys, pool, r);
    if (refused) return std::nullopt;
  }
  throw std::runtime_error("resource '" + r + "' keeps moving between pools; try again");
}

}  // namespace

void settle_moves(Redis& redis, const std::string& prefix) {
  const auto at = prefix.find(k_pool_tag);
  if (at == std::string::npos || prefix.size() < at + k_pool_tag.size() + 2) return;
  const std::string pool = prefix.substr(at + k_pool_tag.size(), prefix.size() - at - k_pool_tag.size() - 2);
  Mover(redis, KeySpace(prefix.substr(0, at)), pool).settle_all(false);
}

json::array change_pool(Redis& redis, const KeySpace& keys, const std::string& op, const std::string& pool,
                        const std::vector<std::string>& members) {
  Mover mover(redis, keys, pool);
  mover.name_pool(op != "remove");
  mover.settle_all(true);  // what a command stopped half way left
  std::vector<std::string> listed;
  std::set<std::string> wanted;
  for (const auto& m : members) {
    if (wanted.insert(m).second) listed.push_back(m);
  }

  std::optional<UsageError> refused;
  if (op != "remove") {
    // Checked first, so that a refused change usually writes nothing; a race with another
    // change is caught by the export step, and what this command took in is then put back.
    for (const auto& r : listed) {
      if ((refused = check_member(redis, keys, pool, r))) break;
    }
    std::vector<std::pair<std::string, Joined>> joined;
    for (const auto& r : listed) {
      if (refused) break;
      if (auto j = join_pool(redis, keys, mover, pool, r, refused)) joined.emplace_back(r, std::move(*j));
    }
    for (const auto& [r, j] : joined) mover.take_in(r, j.id, j.state);
    if (refused) {
      // Put back what this command took in, then tell why.
      for (const auto& [r, j] : joined) mover.leave(r);
    }
  }
  if (!refused) {
    std::vector<std::string> leaving;
    if (op == "remove") {
      leaving = listed;
    } else if (op == "set") {
      for (const auto& m : string_list(mover.at_pool({"summary", pool, ""}).at("members"))) {
        if (!wanted.count(m)) leaving.push_back(m);
      }
    }
    // Members removed while held leave once free.
    for (const auto& m : string_list(mover.at_pool({"summary", pool, ""}).at("leaving"))) leaving.push_back(m);
    for (const auto& r : leaving) mover.leave(r);
  }
  json::object summary = mover.at_pool({"summary", pool, ""});
  mover.close_if_empty(integer_field(summary, "count"));
  if (refused) throw *refused;
  json::array result;
  for (const auto& m : string_list(summary.at("members"))) result.emplace_back(m);
  return result;
}

}  // namespace ciutils::lockctl
