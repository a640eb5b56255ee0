// Read side: status, list, history and pool definitions, as JSON documents (the
// --json output) and as text.
#pragma once

#include "lock_store.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace ciutils::lockctl {

// A Redis-clock millisecond timestamp as 2026-11-22T10:00:00.123Z.
std::string iso_ms(long long ms);

// A reservation as the scripts keep it, as shown: {"note","owner","since","until"} (until
// null: until unreserved); null when `raw` is empty.
boost::json::value reservation_view(const std::string& raw);

// {"resources":[{name,slots,fence,holders:[…]}],"queue":[…]} of one resource or pool.
boost::json::object status_view(const boost::json::object& script_reply, const Target& target);
boost::json::object read_status(Redis& redis, const std::string& prefix, const Target& target);
void print_status(std::ostream& out, const boost::json::object& view);

// {"pools":[status…], "resources":[status…]}: every pool and every resource ever granted.
boost::json::object read_everything(Redis& redis, const KeySpace& keys);
void print_list(std::ostream& out, const boost::json::object& all);

// Events oldest first: {"id","event","at",…fields}.
// Reads the history stream of `resource` under each scope prefix and merges them.
boost::json::array read_history(Redis& redis, const std::vector<std::string>& prefixes,
                                const std::string& resource, long long limit);
void print_history(std::ostream& out, const boost::json::array& events);

// {"pool":["member",…]}.
boost::json::object read_pools(Redis& redis, const KeySpace& keys);
}  // namespace ciutils::lockctl
