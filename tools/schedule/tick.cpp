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
#include <span>
#include <tuple>

namespace ciutils::schedule {
namespace {

// KEYS: tasks stream, last-slot hash.
// ARGV: prefix, group, queue, now (s), C (schedules), S (distinct slots), P (policies), the
// paused schedules of the batch as a JSON object (name → " until T (reason)", their slots
// are decided as skipped), decisions' TTL (ms); then S × (slot s, slot ISO); P × (catch_up,
// concurrency, lease ms, grace s); C names; C payloads; when P > 1, C policy numbers; C slot
// lists (the numbers of the schedule's candidate slots, oldest first, comma-separated).
// Arrays per field rather than records per schedule: a tick sends 3 or 4 arguments per
// schedule, and names sit together for HMGET.
// Returns {flags, text…}: flags has one character per (schedule, candidate slot) in ARGV's
// order, '.' not decided now (decided before), 'e' enqueued, 'o' another decision, whose
// text follows in order.
// unpack() is given at most k_unpack values at a time: Lua's C stack holds 8000.
const Script k_tick_script(std::string(k_lua_time) + R"lua(
local tasks, lasts = KEYS[1], KEYS[2]
local prefix, group, queue = ARGV[1], ARGV[2], ARGV[3]
local now, count, nslots, npolicies = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local paused = cjson.decode(ARGV[8])
local ttl = ARGV[9]
local call = redis.call
local k_unpack = 4000
local enqueued_at = iso(now_ms())
ensure_group(tasks, group)
local slot_s, slot_n, slot_iso = {}, {}, {}
local a = 9
for j = 1, nslots do
  slot_s[j], slot_n[j], slot_iso[j] = ARGV[a + 1], tonumber(ARGV[a + 1]), ARGV[a + 2]
  a = a + 2
end
local policies = {}
for p = 1, npolicies do
  policies[p] = {ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4])}
  a = a + 4
end
local names_at = a
local payloads_at = names_at + count
local policy_at = payloads_at + count
local slots_at = policy_at + (npolicies > 1 and count or 0)
local stored_all = {}
for from = 1, count, k_unpack do
  local to = math.min(from + k_unpack - 1, count)
  local part = call('HMGET', lasts, unpack(ARGV, names_at + from, names_at + to))
  for k = 1, to - from + 1 do stored_all[from + k - 1] = part[k] end
end
-- Decisions per slot number: {"name\tat\tdecision", …}, written with one RPUSH per slot.
local decided, decided_n = {}, {}
local decided_at = '\t' .. enqueued_at .. '\t'
local flags, nflags = {}, 0
local out, nout = {''}, 1
local function record(name, j, decision)
  local d = decided[j]
  if not d then
    d = {}
    decided[j], decided_n[j] = d, 0
  end
  local n = decided_n[j] + 1
  d[n] = name .. decided_at .. decision
  decided_n[j] = n
  nflags = nflags + 1
  if decision == 'enqueued' then
    flags[nflags] = 'e'
  else
    flags[nflags] = 'o'
    nout = nout + 1
    out[nout] = decision
  end
end
local task_middle = '","queue":"' .. queue .. '","attempt":1,"enqueued_at":"' .. enqueued_at .. '","payload":'
-- Decides slot number j of schedule c (name) under its policy; the slot is after the last decided one.
local function decide(c, name, j, policy)
  local catch_up, concurrency, lease_ms, grace = policy[1], policy[2], policy[3], policy[4]
  local late = now - slot_n[j]
  if paused[name] then
    return record(name, j, 'skipped: paused' .. paused[name])
  end
  if catch_up == 'skip' and late > grace then
    return record(name, j, 'missed: ' .. late .. 's late, more than grace ' .. grace .. 's (catch_up skip)')
  end
  -- With allow nothing depends on the lease here: the worker sets it when it takes the task.
  local lease_key, holder = nil, false
  if concurrency ~= 'allow' then
    lease_key = prefix .. ':lease:' .. name
    holder = call('GET', lease_key)
  end
  if concurrency == 'forbid' and holder then
    return record(name, j, 'skipped: previous run ' .. holder .. ' still in flight (concurrency forbid)')
  end
  local decision = 'enqueued'
  if concurrency == 'replace' and holder then
    call('SADD', prefix .. ':cancel', holder)
    call('PEXPIRE', prefix .. ':cancel', 604800000)
    decision = 'enqueued, replacing ' .. holder .. ' (concurrency replace)'
  end
  local iso_j = slot_iso[j]
  call('XADD', tasks, '*', 'task', '{"id":"' .. name .. '@' .. iso_j .. '","schedule":"' .. name .. '","slot":"' ..
       iso_j .. task_middle .. ARGV[payloads_at + c] .. '}', 'attempt', '1')
  if lease_key then call('SET', lease_key, name .. '@' .. iso_j, 'PX', lease_ms) end
  record(name, j, decision)
end
-- Offers slot number j to schedule c: decides it when it is after the last decided slot
-- (and returns j), else flags it as decided before.
local function offer(c, name, j, policy, last)
  if slot_n[j] > last then
    decide(c, name, j, policy)
    return j
  end
  nflags = nflags + 1
  flags[nflags] = '.'
end
local updates, nupdates = {}, 0
for c = 1, count do
  local name = ARGV[names_at + c]
  local policy = policies[npolicies > 1 and tonumber(ARGV[policy_at + c]) or 1]
  local stored = stored_all[c]
  local last = stored and tonumber(stored) or now - policy[4]
  local newest = nil
  local list = ARGV[slots_at + c]
  local single = tonumber(list)
  if single then
    newest = offer(c, name, single, policy, last)
  else
    for text in string.gmatch(list, '%d+') do newest = offer(c, name, tonumber(text), policy, last) or newest end
  end
  if newest or not stored then
    updates[nupdates + 1] = name
    updates[nupdates + 2] = newest and slot_s[newest] or string.format('%d', last)
    nupdates = nupdates + 2
  end
end
for from = 1, nupdates, k_unpack do
  call('HSET', lasts, unpack(updates, from, math.min(from + k_unpack - 1, nupdates)))
end
for j = 1, nslots do
  local d = decided[j]
  if d then
    local key = prefix .. ':decided:' .. slot_iso[j]
    for from = 1, decided_n[j], k_unpack do
      call('RPUSH', key, unpack(d, from, math.min(from + k_unpack - 1, decided_n[j])))
    end
    call('PEXPIRE', key, ttl)
  end
end
out[1] = table.concat(flags)
return out
)lua");

// Last decided slot of each schedule (nullopt: none recorded), read in one HMGET per chunk.
std::vector<std::optional<SysSeconds>> read_lasts(Redis& redis, const std::string& key,
                                                  const std::vector<const Schedule*>& list) {
  constexpr std::size_t k_chunk = 10000;
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

struct TickArguments {
  std::vector<std::string> values;                       // ARGV of k_tick_script
  std::map<SysSeconds, std::size_t> slot_number;         // slot → its number (1-based)
  std::vector<std::string> slot_iso;                     // by number - 1
};

using Policy = std::tuple<CatchUp, Concurrency, long long, long long>;

// ARGV for one batch of schedules of a queue (see k_tick_script).
TickArguments tick_arguments(const QueueKeys& keys, SysSeconds now, std::span<const Due> batch,
                             const std::map<std::string, Pause>& pauses, const std::string& ttl) {
  TickArguments a;
  std::map<Policy, std::size_t> policy_number;
  std::vector<std::size_t> policy_of;
  policy_of.reserve(batch.size());
  boost::json::object paused;
  for (const auto& d : batch) {
    const auto& s = *d.schedule;
    for (auto slot : d.slots) {
      if (a.slot_number.emplace(slot, a.slot_number.size() + 1).second) a.slot_iso.push_back(format_utc(slot, 0));
    }
    Policy p{s.catch_up, s.concurrency, s.lease.count(), s.grace.count()};
    policy_of.push_back(policy_number.emplace(p, policy_number.size() + 1).first->second);
    if (auto it = pauses.find(s.name); it != pauses.end()) paused[it->first] = it->second.describe();
  }
  auto& v = a.values;
  v.reserve(9 + 2 * a.slot_number.size() + 4 * policy_number.size() + 4 * batch.size());
  v = {keys.prefix, std::string(k_group), keys.queue, std::to_string(now.time_since_epoch().count()),
       std::to_string(batch.size()), std::to_string(a.slot_number.size()), std::to_string(policy_number.size()),
       to_json(paused), ttl};
  std::vector<SysSeconds> slot_by_number(a.slot_number.size());
  for (const auto& [slot, number] : a.slot_number) slot_by_number[number - 1] = slot;
  for (std::size_t j = 0; j < slot_by_number.size(); ++j) {
    v.push_back(std::to_string(slot_by_number[j].time_since_epoch().count()));
    v.push_back(a.slot_iso[j]);
  }
  std::vector<const Policy*> policy_by_number(policy_number.size());
  for (const auto& [policy, number] : policy_number) policy_by_number[number - 1] = &policy;
  for (const auto* p : policy_by_number) {
    v.emplace_back(to_string(std::get<0>(*p)));
    v.emplace_back(to_string(std::get<1>(*p)));
    v.push_back(std::to_string(std::get<2>(*p)));
    v.push_back(std::to_string(std::get<3>(*p)));
  }
  for (const auto& d : batch) v.push_back(d.schedule->name);
  for (const auto& d : batch) v.push_back(to_json(d.schedule->payload));
  if (policy_number.size() > 1) {
    for (auto number : policy_of) v.push_back(std::to_string(number));
  }
  for (const auto& d : batch) {
    std::string list;
    for (auto slot : d.slots) {
      if (!list.empty()) list += ',';
      list += std::to_string(a.slot_number.at(slot));
    }
    v.push_back(std::move(list));
  }
  return a;
}

// Appends the decisions of a batch's reply (see k_tick_script), in the batch's order.
void read_tick_reply(const Reply& reply, std::span<const Due> batch, const TickArguments& sent,
                     std::vector<TickDecision>& out) {
  auto bad = [] { return ServiceError("tick: the script's answer does not match the schedules sent"); };
  if (!reply.is_array() || reply.size() < 1) throw bad();
  const auto flags = reply[0].string();
  std::size_t flag = 0, text = 1;
  for (const auto& d : batch) {
    for (auto slot : d.slots) {
      if (flag >= flags.size()) throw bad();
      char f = flags[flag++];
      if (f == '.') continue;
      if (f != 'e' && (f != 'o' || text >= reply.size())) throw bad();
      const auto& iso = sent.slot_iso[sent.slot_number.at(slot) - 1];
      out.push_back({d.schedule->name, iso, f == 'e' ? std::string("enqueued") : reply[text++].string()});
    }
  }
  if (flag != flags.size() || text != reply.size()) throw bad();
}

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
                                   SysSeconds now, std::size_t batch_size, int min_replicas) {
  std::map<std::string, std::vector<const Schedule*>> by_queue;
  for (const auto& s : schedules) by_queue[s.queue].push_back(&s);
  std::vector<TickDecision> out;
  const auto pauses = read_pauses(redis, space, now);
  const auto ttl = std::to_string(std::chrono::milliseconds(k_decided_ttl).count());
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
      std::span batch(due.begin() + static_cast<std::ptrdiff_t>(start),
                      due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), start + batch_size)));
      auto args = tick_arguments(keys, now, batch, pauses, ttl);
      auto reply = redis.eval(k_tick_script, {keys.tasks, keys.last}, args.values);
      require_replicas(redis, min_replicas, "the tick's tasks and decisions on queue " + queue);
      read_tick_reply(reply, batch, args, out);
    }
  }
  return out;
}

}  // namespace ciutils::schedule
