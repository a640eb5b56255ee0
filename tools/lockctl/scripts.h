// The Lua scripts that hold every lockctl state change. Each runs atomically on one
// scope (a standalone resource or a whole pool), reads the clock with Redis TIME,
// prunes expired leases and silent waiters first, and returns one JSON object.
#pragma once

#include "ciutils/redis.h"

namespace ciutils::lockctl {

// KEYS[1] is the scope prefix "<ns>:{lock:<resource>}:" or "<ns>:{lock:pool:<pool>}:".
const Script& acquire_script();       // ARGV[1]: request JSON
const Script& leave_script();         // ARGV[1]: waiter id (the token)
const Script& release_script();       // ARGV[1]: token, ARGV[2]: resource
const Script& renew_script();         // ARGV[1]: token, ARGV[2]: ttl ms
const Script& force_release_script(); // ARGV[1]: resource, ARGV[2]: token or ""
const Script& status_script();        // ARGV[1]: resource or pool, ARGV[2]: "resource" | "pool"
const Script& pool_script();          // ARGV[1]: "set" | "add" | "remove", ARGV[2..]: members
const Script& note_script();          // ARGV[1]: resource, ARGV[2]: event, ARGV[3]: JSON fields

}  // namespace ciutils::lockctl
