// The Lua scripts that hold every lockctl state change. Each runs atomically on one
// scope (a standalone resource or a whole pool), reads the clock with Redis TIME,
// prunes expired leases and silent waiters first, and returns one JSON object.
#pragma once

#include "ciutils/redis.h"

namespace ciutils::lockctl {

// Release and renew answer {"status":"moved","prefix":…} when the lease moved to another
// scope with its resource (a pool change), and "pending" when it may be on its way to this
// scope (a pool change half done: pool_change.h); acquire answers "moved" when the
// resource's state lives in another scope now, "pending" when it is on its way, and
// "is-pool" when a resource name is a pool's.
// KEYS[1] is the scope prefix "<ns>:{lock:<resource>}:" or "<ns>:{lock:pool:<pool>}:".
const Script& acquire_script();       // ARGV[1]: request JSON
const Script& leave_script();         // ARGV[1]: waiter id (the token)
const Script& release_script();       // ARGV[1]: token, ARGV[2]: resource
const Script& renew_script();         // ARGV[1]: token, ARGV[2]: ttl ms
const Script& force_release_script(); // ARGV[1]: resource, ARGV[2]: token or ""; or moved, pending, is-pool
const Script& status_script();        // ARGV[1]: resource or pool, ARGV[2]: "resource" | "pool"
// One step of a pool change (see pool_change.h): ARGV[1] the step, ARGV[2] the resource,
// ARGV[3] the move's id, then the step's own. Answers {"status":…}.
const Script& move_script();
// ARGV: resource, "labels" | "props" | "reserved", value JSON or "" (clear), history event
// or "", its fields JSON, reservation length ms. Answers {"status":"ok","before","value","held"}
// or "moved" / "is-pool".
const Script& resource_setting_script();
const Script& note_script();          // ARGV[1]: resource, ARGV[2]: event, ARGV[3]: JSON fields

}  // namespace ciutils::lockctl
