// Pool changes (`lockctl pool set|add|remove`) as a sequence of steps, each one script on
// one hash tag, so they run on a Redis Cluster as on one server. A member's state moves
// between its own scope and its pool's (scripts.cpp, k_move, says how); at every point at
// most one scope may grant it, and a change stopped half way (a crash, a lost connection)
// is finished by whoever meets it next: the next pool command on that pool, or an
// acquire, renew or release that finds the resource or its lease on the way.
#pragma once

#include "lock_store.h"

#include <boost/json/array.hpp>

#include <string>
#include <vector>

namespace ciutils::lockctl {

// set / add / remove; returns the pool's members afterwards. UsageError when a member
// belongs to another pool, or pool and resource names would collide; members it had
// already taken in are then put back where they were.
boost::json::array change_pool(Redis& redis, const KeySpace& keys, const std::string& op,
                               const std::string& pool, const std::vector<std::string>& members);

// Finishes every move recorded in a pool's scope (`prefix`, as pool_prefix gives it) that
// can be finished; a move into the pool that its resource's own scope refuses is left to
// the pool command that started it. Nothing to do for a resource's own scope.
void settle_moves(Redis& redis, const std::string& prefix);

}  // namespace ciutils::lockctl
