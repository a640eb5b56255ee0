#include "control.h"

#include "lua.h"

#include "ciutils/json.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

namespace ciutils::schedule {
namespace {

// KEYS: tasks. ARGV: group, name, queue, payload JSON, prefix, decisions' TTL (ms).
const Script k_trigger_script(std::string(k_lua_time) + R"lua(
ensure_group(KEYS[1], ARGV[1])
local now = now_ms()
local minute = iso(math.floor(now / 60000) * 60000)
minute = string.sub(minute, 1, 19) .. 'Z'
local name, prefix = ARGV[2], ARGV[5]
local once = prefix .. ':triggered:' .. name .. ':' .. minute
local earlier = redis.call('GET', once)
if earlier then return {earlier, 0} end
local id = name .. '@' .. minute .. '/trigger'
local task = '{"id":"' .. id .. '","schedule":"' .. name .. '","slot":"' .. minute .. '","queue":"' .. ARGV[3] ..
             '","attempt":1,"enqueued_at":"' .. iso(now) .. '","trigger":"manual","payload":' .. ARGV[4] .. '}'
redis.call('XADD', KEYS[1], '*', 'task', task, 'attempt', '1')
redis.call('SET', once, task, 'PX', 120000)
local key = prefix .. ':decided:' .. minute
redis.call('RPUSH', key, name .. '/trigger\t' .. iso(now) .. '\ttriggered by hand: ' .. id)
redis.call('PEXPIRE', key, ARGV[6])
return {task, 1}
)lua");

std::optional<SysSeconds> parse_instant(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  auto t = parse_utc(std::string(it->value().as_string()));
  if (!t) return std::nullopt;
  return date::floor<std::chrono::seconds>(*t);
}

}  // namespace

std::string Pause::describe() const {
  std::string out;
  if (until) out += " until " + format_utc(*until, 0);
  if (!reason.empty()) out += " (" + reason + ")";
  return out;
}

std::string paused_key(const KeySpace& space) { return space.key("sched", "paused"); }

std::map<std::string, Pause> read_pauses(Redis& redis, const KeySpace& space, SysSeconds now) {
  std::map<std::string, Pause> out;
  auto all = redis.command({"HGETALL", paused_key(space)}).strings();
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    Pause p;
    try {
      auto v = parse_json(all[i + 1], "pause");
      if (!v.is_object()) continue;
      const auto& o = v.as_object();
      p.until = parse_instant(o, "until");
      if (auto it = o.find("since"); it != o.end() && it->value().is_string()) p.since = it->value().as_string();
      if (auto it = o.find("reason"); it != o.end() && it->value().is_string()) p.reason = it->value().as_string();
    } catch (const std::exception&) {
      continue;
    }
    if (p.until && *p.until <= now) continue;
    out.emplace(all[i], std::move(p));
  }
  return out;
}

Pause pause_schedule(Redis& redis, const KeySpace& space, const std::string& name, std::optional<SysSeconds> until,
                     const std::string& reason) {
  auto time = redis.command({"TIME"});
  Pause p;
  p.since = format_utc(SysSeconds(std::chrono::seconds(std::stoll(time[0].string()))), 0);
  p.until = until;
  p.reason = reason;
  boost::json::object o{{"since", p.since}, {"reason", reason}};
  o["until"] = until ? boost::json::value(format_utc(*until, 0)) : boost::json::value(nullptr);
  redis.command({"HSET", paused_key(space), name, to_json(o)});
  return p;
}

bool resume_schedule(Redis& redis, const KeySpace& space, const std::string& name, SysSeconds now) {
  bool in_effect = read_pauses(redis, space, now).contains(name);
  redis.command({"HDEL", paused_key(space), name});
  return in_effect;
}

Triggered trigger_schedule(Redis& redis, const KeySpace& space, const Schedule& schedule) {
  QueueKeys keys(space, schedule.queue);
  auto reply = redis.eval(k_trigger_script, {keys.tasks},
                          {std::string(k_group), schedule.name, schedule.queue, to_json(schedule.payload), keys.prefix,
                           std::to_string(std::chrono::milliseconds(k_decided_ttl).count())});
  return {reply[0].string(), reply[1].integer() == 1};
}

}  // namespace ciutils::schedule
