#include "tick.h"

#include "keys.h"
#include "lua.h"

#include "ciutils/json.h"
#include "ciutils/timestamp.h"

#include <map>

namespace ciutils::schedule {
namespace {

// KEYS: tasks stream, last-slot hash. ARGV: prefix, group, queue, now (s), count, then per
// schedule: name, catch_up, concurrency, lease ms, grace s, payload JSON, n, n × (slot s, slot ISO).
const Script k_tick_script(std::string(k_lua_time) + R"lua(
local tasks, lasts = KEYS[1], KEYS[2]
local prefix, group, queue = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local enqueued_at = iso(now_ms())
ensure_group(tasks, group)
local out = {}
local function record(name, slot_iso, decision)
  redis.call('XADD', prefix .. ':events:' .. name, 'MAXLEN', '~', '200', '*', 'slot', slot_iso,
             'decision', decision, 'at', enqueued_at)
  out[#out + 1] = name
  out[#out + 1] = slot_iso
  out[#out + 1] = decision
end
local i = 6
local updates = {}
for _ = 1, count do
  local name, policy, concurrency = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local lease_ms, grace = ARGV[i + 3], tonumber(ARGV[i + 4])
  local payload = ARGV[i + 5]
  local n = tonumber(ARGV[i + 6])
  i = i + 7
  local stored = redis.call('HGET', lasts, name)
  local last = stored and tonumber(stored) or now - grace
  local newest = last
  for k = 1, n do
    local slot, slot_iso = tonumber(ARGV[i]), ARGV[i + 1]
    i = i + 2
    if slot > last then
      if slot > newest then newest = slot end
      local late = now - slot
      if policy == 'skip' and late > grace then
        record(name, slot_iso, 'missed: ' .. late .. 's late, more than grace ' .. grace .. 's (catch_up skip)')
      else
        -- With allow nothing depends on the lease here: the worker sets it when it takes the task.
        local lease_key = prefix .. ':lease:' .. name
        local holder = false
        if concurrency ~= 'allow' then holder = redis.call('GET', lease_key) end
        local id = name .. '@' .. slot_iso
        if concurrency == 'forbid' and holder then
          record(name, slot_iso, 'skipped: previous run ' .. holder .. ' still in flight (concurrency forbid)')
        else
          local decision = 'enqueued'
          if concurrency == 'replace' and holder then
            redis.call('SADD', prefix .. ':cancel', holder)
            redis.call('PEXPIRE', prefix .. ':cancel', 604800000)
            decision = 'enqueued, replacing ' .. holder .. ' (concurrency replace)'
          end
          local task = '{"id":"' .. id .. '","schedule":"' .. name .. '","slot":"' .. slot_iso ..
                       '","queue":"' .. queue .. '","attempt":1,"enqueued_at":"' .. enqueued_at ..
                       '","payload":' .. payload .. '}'
          redis.call('XADD', tasks, '*', 'task', task, 'attempt', '1')
          if concurrency ~= 'allow' then redis.call('SET', lease_key, id, 'PX', lease_ms) end
          record(name, slot_iso, decision)
        end
      end
    end
  end
  if newest > last or not stored then
    updates[#updates + 1] = name
    updates[#updates + 1] = string.format('%d', newest)
  end
end
if #updates > 0 then redis.call('HSET', lasts, unpack(updates)) end
return out
)lua");

}  // namespace

std::string task_id(std::string_view schedule, SysSeconds slot) {
  return std::string(schedule) + "@" + format_utc(slot, 0);
}

std::vector<SysSeconds> tick_candidates(const Schedule& schedule, SysSeconds now) {
  std::size_t n = schedule.catch_up == CatchUp::all ? static_cast<std::size_t>(schedule.catch_up_max) : 1;
  return latest_slots(schedule.timing, now - std::chrono::hours(24 * 400), now, n);
}

SysSeconds redis_now(Redis& redis) {
  auto reply = redis.command({"TIME"});
  return SysSeconds(std::chrono::seconds(std::stoll(reply[0].string())));
}

std::vector<TickDecision> run_tick(Redis& redis, const KeySpace& space, const std::vector<Schedule>& schedules,
                                   SysSeconds now, std::size_t batch_size) {
  std::map<std::string, std::vector<const Schedule*>> by_queue;
  for (const auto& s : schedules) by_queue[s.queue].push_back(&s);
  std::vector<TickDecision> out;
  for (const auto& [queue, list] : by_queue) {
    QueueKeys keys(space, queue);
    for (std::size_t start = 0; start < list.size(); start += batch_size) {
      std::vector<std::string> args{keys.prefix, std::string(k_group), queue,
                                    std::to_string(now.time_since_epoch().count()), ""};
      std::size_t count = 0;
      for (std::size_t k = start; k < list.size() && k < start + batch_size; ++k) {
        const auto& s = *list[k];
        auto slots = tick_candidates(s, now);
        args.push_back(s.name);
        args.emplace_back(to_string(s.catch_up));
        args.emplace_back(to_string(s.concurrency));
        args.push_back(std::to_string(s.lease.count()));
        args.push_back(std::to_string(s.grace.count()));
        args.push_back(to_json(s.payload));
        args.push_back(std::to_string(slots.size()));
        for (auto slot : slots) {
          args.push_back(std::to_string(slot.time_since_epoch().count()));
          args.push_back(format_utc(slot, 0));
        }
        ++count;
      }
      args[4] = std::to_string(count);
      auto reply = redis.eval(k_tick_script, {keys.tasks, keys.last}, args);
      for (std::size_t k = 0; k + 2 < reply.size(); k += 3) {
        out.push_back({reply[k].string(), reply[k + 1].string(), reply[k + 2].string()});
      }
    }
  }
  return out;
}

}  // namespace ciutils::schedule
