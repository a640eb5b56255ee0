#include "tick.h"

#include "control.h"
#include "keys.h"
#include "lua.h"

#include "ciutils/error.h"
#include "ciutils/json.h"
#include "ciutils/timestamp.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

namespace ciutils::schedule {
namespace {

// KEYS: tasks stream, last-slot hash. ARGV: prefix, group, queue, now (s), count, the count
// schedule names, then per schedule: catch_up, concurrency, lease ms, grace s, payload JSON, n,
// n × (slot s, slot ISO), and last a JSON object of the paused schedules of the batch (name →
// " until T (reason)"), whose slots are decided as skipped. Returns a flat array of (slot number, decision): slot number k is the
// k-th (slot s, slot ISO) pair of ARGV, so the reply need not repeat names and slots.
// unpack() is given at most k_unpack values at a time: Lua's C stack holds 8000.
const Script k_tick_script(std::string(k_lua_time) + R"lua(
local tasks, lasts = KEYS[1], KEYS[2]
local prefix, group, queue = ARGV[1], ARGV[2], ARGV[3]
local paused = cjson.decode(ARGV[#ARGV])
local now = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local k_unpack = 4000
local enqueued_at = iso(now_ms())
ensure_group(tasks, group)
local stored_all = {}
for from = 1, count, k_unpack do
  local to = math.min(from + k_unpack - 1, count)
  local part = redis.call('HMGET', lasts, unpack(ARGV, 5 + from, 5 + to))
  for k = 1, to - from + 1 do stored_all[from + k - 1] = part[k] end
end
local call = redis.call
local out = {}
local slot_no = 0
-- Decisions go to a capped list per schedule (a list: a new stream costs a preallocated node).
local decisions_prefix = prefix .. ':decisions:'
local decided_at = '\t' .. enqueued_at .. '\t'
local function record(name, slot_iso, decision)
  local key = decisions_prefix .. name
  if call('RPUSH', key, slot_iso .. decided_at .. decision) > 250 then call('LTRIM', key, -200, -1) end
  out[#out + 1] = slot_no
  out[#out + 1] = decision
end
local task_middle = '","queue":"' .. queue .. '","attempt":1,"enqueued_at":"' .. enqueued_at .. '","payload":'
local i = 6 + count
local updates = {}
for c = 1, count do
  local name = ARGV[5 + c]
  local policy, concurrency = ARGV[i], ARGV[i + 1]
  local lease_ms, grace = ARGV[i + 2], tonumber(ARGV[i + 3])
  local payload = ARGV[i + 4]
  local n = tonumber(ARGV[i + 5])
  i = i + 6
  local stored = stored_all[c]
  local last = stored and tonumber(stored) or now - grace
  local newest, newest_text = last, nil
  for k = 1, n do
    local slot, slot_iso = tonumber(ARGV[i]), ARGV[i + 1]
    slot_no = slot_no + 1
    if slot > last then
      if slot > newest then newest, newest_text = slot, ARGV[i] end
      local late = now - slot
      if paused[name] then
        record(name, slot_iso, 'skipped: paused' .. paused[name])
      elseif policy == 'skip' and late > grace then
        record(name, slot_iso, 'missed: ' .. late .. 's late, more than grace ' .. grace .. 's (catch_up skip)')
      else
        -- With allow nothing depends on the lease here: the worker sets it when it takes the task.
        local lease_key, holder = nil, false
        if concurrency ~= 'allow' then
          lease_key = prefix .. ':lease:' .. name
          holder = call('GET', lease_key)
        end
        if concurrency == 'forbid' and holder then
          record(name, slot_iso, 'skipped: previous run ' .. holder .. ' still in flight (concurrency forbid)')
        else
          local decision = 'enqueued'
          if concurrency == 'replace' and holder then
            call('SADD', prefix .. ':cancel', holder)
            call('PEXPIRE', prefix .. ':cancel', 604800000)
            decision = 'enqueued, replacing ' .. holder .. ' (concurrency replace)'
          end
          local id = name .. '@' .. slot_iso
          call('XADD', tasks, '*', 'task', '{"id":"' .. id .. '","schedule":"' .. name .. '","slot":"' .. slot_iso ..
               task_middle .. payload .. '}', 'attempt', '1')
          if lease_key then call('SET', lease_key, id, 'PX', lease_ms) end
          record(name, slot_iso, decision)
        end
      end
    end
    i = i + 2
  end
  if newest > last or not stored then
    updates[#updates + 1] = name
    updates[#updates + 1] = newest_text or string.format('%d', newest)
  end
end
for from = 1, #updates, k_unpack do
  redis.call('HSET', lasts, unpack(updates, from, math.min(from + k_unpack - 1, #updates)))
end
return out
)lua");

// Last decided slot of each schedule (nullopt: none recorded), read in one HMGET per chunk.
std::vector<std::optional<SysSeconds>> read_lasts(Redis& redis, const std::string& key,
                                                  const std::vector<const Schedule*>& list) {
  constexpr std::size_t k_chunk = 5000;
  std::vector<std::optional<SysSeconds>> out;
  out.reserve(list.size());
  for (std::size_t start = 0; start < list.size(); start += k_chunk) {
    std::vector<std::string> args{"HMGET", key};
    for (std::size_t k = start; k < list.size() && k < start + k_chunk; ++k) args.push_back(list[k]->name);
    auto reply = redis.command(args);
    for (std::size_t k = 0; k < reply.size(); ++k) {
      auto value = reply[k].optional_string();
      long long seconds = 0;
      if (value && std::from_chars(value->data(), value->data() + value->size(), seconds).ec == std::errc()) {
        out.emplace_back(SysSeconds(std::chrono::seconds(seconds)));
      } else {
        out.emplace_back(std::nullopt);
      }
    }
  }
  return out;
}

struct Due {
  const Schedule* schedule;
  std::vector<SysSeconds> slots;
};

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
  const auto pauses = read_pauses(redis, space, now);
  for (const auto& [queue, list] : by_queue) {
    QueueKeys keys(space, queue);
    // Only schedules with a slot after their last decided one (or none recorded yet) go to
    // the script. The last decided slot only moves forward, so a stale read here can only
    // send more than needed; the script reads it again and is what decides.
    auto lasts = read_lasts(redis, keys.last, list);
    std::vector<Due> due;
    for (std::size_t k = 0; k < list.size(); ++k) {
      auto slots = tick_candidates(*list[k], now);
      if (lasts[k] && (slots.empty() || slots.back() <= *lasts[k])) continue;
      due.push_back({list[k], std::move(slots)});
    }
    for (std::size_t start = 0; start < due.size(); start += batch_size) {
      std::size_t end = std::min(due.size(), start + batch_size);
      std::vector<std::string> args{keys.prefix, std::string(k_group), queue,
                                    std::to_string(now.time_since_epoch().count()), std::to_string(end - start)};
      for (std::size_t k = start; k < end; ++k) args.push_back(due[k].schedule->name);
      // (schedule, slot ISO) of each slot number the script may answer with.
      std::vector<std::pair<const std::string*, std::size_t>> slot_refs;
      for (std::size_t k = start; k < end; ++k) {
        const auto& s = *due[k].schedule;
        args.emplace_back(to_string(s.catch_up));
        args.emplace_back(to_string(s.concurrency));
        args.push_back(std::to_string(s.lease.count()));
        args.push_back(std::to_string(s.grace.count()));
        args.push_back(to_json(s.payload));
        args.push_back(std::to_string(due[k].slots.size()));
        for (auto slot : due[k].slots) {
          args.push_back(std::to_string(slot.time_since_epoch().count()));
          args.push_back(format_utc(slot, 0));
          slot_refs.emplace_back(&s.name, args.size() - 1);
        }
      }
      boost::json::object paused;
      for (std::size_t k = start; k < end && !pauses.empty(); ++k) {
        if (auto p = pauses.find(due[k].schedule->name); p != pauses.end()) paused[p->first] = p->second.describe();
      }
      args.push_back(to_json(paused));
      auto reply = redis.eval(k_tick_script, {keys.tasks, keys.last}, args);
      for (std::size_t k = 0; k + 1 < reply.size(); k += 2) {
        auto number = reply[k].integer();
        if (number < 1 || static_cast<std::size_t>(number) > slot_refs.size()) {
          throw ServiceError("tick: the script answered an unknown slot number " + std::to_string(number));
        }
        const auto& [name, iso_index] = slot_refs[static_cast<std::size_t>(number) - 1];
        out.push_back({*name, args[iso_index], reply[k + 1].string()});
      }
    }
  }
  return out;
}

}  // namespace ciutils::schedule
