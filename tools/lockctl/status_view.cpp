#include "status_view.h"

#include "scripts.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace ciutils::lockctl {

namespace json = boost::json;

std::string iso_ms(long long ms) {
  return format_utc(SysTime(std::chrono::duration_cast<SysTime::duration>(milliseconds(ms))), 3);
}

namespace {

const json::object& object_or_empty(const json::value* v) {
  static const json::object k_empty;
  return v && v->is_object() ? v->as_object() : k_empty;
}

const json::array& array_or_empty(const json::value* v) {
  static const json::array k_empty;
  return v && v->is_array() ? v->as_array() : k_empty;
}

json::array to_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

std::string seconds_text(long long ms) { return format_duration(milliseconds(std::max(0LL, ms))); }

}  // namespace

json::object status_view(const json::object& reply, const Target& target) {
  const long long now = integer_field(reply, "now");
  json::object view;
  view["name"] = target.name;
  view["kind"] = target.pool ? "pool" : "resource";
  view["now"] = iso_ms(now);
  json::array resources;
  for (const auto& rv : array_or_empty(reply.if_contains("resources"))) {
    const auto& r = rv.as_object();
    json::object out;
    out["name"] = string_field(r, "name");
    out["slots"] = integer_field(r, "slots");
    out["fence"] = integer_field(r, "fence");
    json::array holders;
    for (const auto& hv : array_or_empty(r.if_contains("holders"))) {
      const auto& h = hv.as_object();
      const auto& ci = object_or_empty(h.if_contains("ci"));
      holders.push_back(json::object{
          {"token", string_field(h, "token")},
          {"owner", string_field(h, "owner")},
          {"ci", string_field(ci, "system")},
          {"job_url", string_field(ci, "job_url")},
          {"job", string_field(ci, "job")},
          {"since", iso_ms(integer_field(h, "since"))},
          {"expires_at", iso_ms(integer_field(h, "expires"))},
          {"fence", integer_field(h, "fence")},
          {"resources", to_array(string_list(h.at("resources")))},
      });
    }
    out["held"] = holders.size();
    out["holders"] = std::move(holders);
    resources.push_back(std::move(out));
  }
  view["resources"] = std::move(resources);
  json::array queue;
  for (const auto& wv : array_or_empty(reply.if_contains("queue"))) {
    const auto& w = wv.as_object();
    const auto& ci = object_or_empty(w.if_contains("ci"));
    queue.push_back(json::object{
        {"position", integer_field(w, "position")},
        {"token", string_field(w, "token")},
        {"owner", string_field(w, "owner")},
        {"target", string_field(w, "target")},
        {"kind", string_field(w, "kind")},
        {"quantity", integer_field(w, "quantity")},
        {"priority", integer_field(w, "priority")},
        {"since", iso_ms(integer_field(w, "since"))},
        {"waiting_ms", now - integer_field(w, "since")},
        {"ci", string_field(ci, "system")},
        {"job_url", string_field(ci, "job_url")},
    });
  }
  view["queue"] = std::move(queue);
  return view;
}

json::object read_status(Redis& redis, const std::string& prefix, const Target& target) {
  auto reply = call_script(redis, status_script(), prefix, {target.name, target.pool ? "pool" : "resource"});
  return status_view(reply, target);
}

void print_status(std::ostream& out, const json::object& view) {
  if (string_field(view, "kind") == "pool") out << "pool " << string_field(view, "name") << "\n";
  for (const auto& rv : view.at("resources").as_array()) {
    const auto& r = rv.as_object();
    out << string_field(r, "name") << "  " << integer_field(r, "held") << "/" << integer_field(r, "slots")
        << " held  fence " << integer_field(r, "fence") << "\n";
    for (const auto& hv : r.at("holders").as_array()) {
      const auto& h = hv.as_object();
      out << "  held by " << string_field(h, "owner") << "  since " << string_field(h, "since") << "  expires "
          << string_field(h, "expires_at") << "  fence " << integer_field(h, "fence") << "  token "
          << string_field(h, "token");
      if (!string_field(h, "job_url").empty()) out << "  job " << string_field(h, "job_url");
      out << "\n";
    }
  }
  const auto& queue = view.at("queue").as_array();
  if (!queue.empty()) {
    out << "queue:\n";
    for (const auto& wv : queue) {
      const auto& w = wv.as_object();
      out << "  " << integer_field(w, "position") << ". " << string_field(w, "owner") << "  wants ";
      if (string_field(w, "kind") == "pool") {
        out << integer_field(w, "quantity") << " of pool " << string_field(w, "target");
      } else {
        out << string_field(w, "target");
      }
      out << "  waiting " << seconds_text(integer_field(w, "waiting_ms"));
      if (integer_field(w, "priority") != 0) out << "  priority " << integer_field(w, "priority");
      if (!string_field(w, "job_url").empty()) out << "  job " << string_field(w, "job_url");
      out << "\n";
    }
  }
}

json::object read_pools(Redis& redis, const KeySpace& keys) {
  json::object pools;
  auto names = redis.command({"SMEMBERS", pools_key(keys)}).strings();
  std::sort(names.begin(), names.end());
  for (const auto& p : names) {
    auto members = redis.command({"SMEMBERS", pool_prefix(keys, p) + "members"}).strings();
    std::sort(members.begin(), members.end());
    pools[p] = to_array(members);
  }
  return pools;
}

json::object read_everything(Redis& redis, const KeySpace& keys) {
  json::array pools;
  std::set<std::string> pooled;
  for (const auto& [name, members] : read_pools(redis, keys)) {
    Target t{true, std::string(name), 1};
    pools.push_back(read_status(redis, pool_prefix(keys, t.name), t));
    for (const auto& m : members.as_array()) pooled.insert(std::string(m.as_string()));
  }
  // Every resource ever granted has a fencing counter, which never expires.
  const std::string head = keys.key("lock:", "");
  std::set<std::string> names;
  std::string cursor = "0";
  do {
    auto reply = redis.command({"SCAN", cursor, "MATCH", keys.name() + ":{lock:*}:fence:*", "COUNT", "1000"});
    cursor = reply[0].string();
    for (const auto& key : reply[1].strings()) {
      auto open = key.find(":{lock:");
      auto close = key.find("}:fence:");
      if (open == std::string::npos || close == std::string::npos) continue;
      std::string tag = key.substr(open + 7, close - open - 7);
      if (tag.starts_with("pool:")) continue;
      names.insert(tag);
    }
  } while (cursor != "0");
  json::array resources;
  for (const auto& n : names) {
    if (pooled.count(n)) continue;
    Target t{false, n, 1};
    resources.push_back(read_status(redis, resource_prefix(keys, n), t));
  }
  return json::object{{"pools", std::move(pools)}, {"resources", std::move(resources)}};
}

void print_list(std::ostream& out, const json::object& all) {
  for (const auto& pv : all.at("pools").as_array()) {
    const auto& p = pv.as_object();
    long long held = 0;
    std::string members;
    for (const auto& rv : p.at("resources").as_array()) {
      held += integer_field(rv.as_object(), "held") > 0 ? 1 : 0;
      members += " " + string_field(rv.as_object(), "name");
    }
    out << "pool " << string_field(p, "name") << "  " << held << "/" << p.at("resources").as_array().size()
        << " in use  " << p.at("queue").as_array().size() << " waiting  members:" << members << "\n";
  }
  for (const auto& rv : all.at("resources").as_array()) {
    const auto& s = rv.as_object();
    for (const auto& r : s.at("resources").as_array()) {
      const auto& ro = r.as_object();
      out << string_field(ro, "name") << "  " << integer_field(ro, "held") << "/" << integer_field(ro, "slots")
          << " held  " << s.at("queue").as_array().size() << " waiting  fence " << integer_field(ro, "fence");
      for (const auto& h : ro.at("holders").as_array()) out << "  " << string_field(h.as_object(), "owner");
      out << "\n";
    }
  }
}

json::array read_history(Redis& redis, const std::string& prefix, const std::string& resource, long long limit) {
  auto reply = redis.command({"XREVRANGE", prefix + "history:" + resource, "+", "-", "COUNT", std::to_string(limit)});
  json::array events;
  for (std::size_t i = reply.size(); i-- > 0;) {
    Reply entry = reply[i];
    json::object e;
    e["id"] = entry[0].string();
    auto fields = entry[1].strings();
    for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
      const std::string& k = fields[f];
      const std::string& v = fields[f + 1];
      if (k == "at") {
        e["at"] = iso_ms(std::stoll(v));
      } else if (k == "fence" || k == "waited_ms" || k == "held_ms") {
        e[k] = std::stoll(v);
      } else {
        e[k] = v;
      }
    }
    events.push_back(std::move(e));
  }
  return events;
}

void print_history(std::ostream& out, const json::array& events) {
  for (const auto& ev : events) {
    const auto& e = ev.as_object();
    out << string_field(e, "at") << "  " << string_field(e, "event") << "  " << string_field(e, "owner");
    if (e.contains("fence")) out << "  fence " << integer_field(e, "fence");
    if (integer_field(e, "waited_ms") > 0) out << "  waited " << seconds_text(integer_field(e, "waited_ms"));
    if (e.contains("held_ms")) out << "  held " << seconds_text(integer_field(e, "held_ms"));
    if (!string_field(e, "job").empty()) out << "  job " << string_field(e, "job");
    out << "\n";
  }
}

json::array change_pool(Redis& redis, const KeySpace& keys, const std::string& op, const std::string& pool,
                        const std::vector<std::string>& members) {
  const std::string registry = member_pool_key(keys);
  if (op != "remove") {
    for (const auto& m : members) {
      auto owner = redis.command({"HGET", registry, m}).optional_string();
      if (owner && *owner != pool) {
        throw UsageError("resource '" + m + "' is already in pool '" + *owner + "'");
      }
    }
  }
  const std::string prefix = pool_prefix(keys, pool);
  std::vector<std::string> before = redis.command({"SMEMBERS", prefix + "members"}).strings();
  std::vector<std::string> args{op};
  args.insert(args.end(), members.begin(), members.end());
  auto reply = call_script(redis, pool_script(), prefix, args);
  std::vector<std::string> after = string_list(reply.at("members"));
  for (const auto& m : before) {
    if (std::find(after.begin(), after.end(), m) == after.end()) redis.command({"HDEL", registry, m});
  }
  for (const auto& m : after) redis.command({"HSET", registry, m, pool});
  redis.command({after.empty() ? "SREM" : "SADD", pools_key(keys), pool});
  return to_array(after);
}

}  // namespace ciutils::lockctl
