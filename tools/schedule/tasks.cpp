#include "tasks.h"

#include "lua.h"

#include "ciutils/json.h"

#include <boost/json.hpp>

namespace ciutils::schedule {
namespace {

// KEYS: tasks, delayed, inflight, cancel. ARGV: group, consumer, visibility ms, prefix,
// mode ("take" or "begin"), entry id (begin: an entry XREADGROUP BLOCK just delivered).
const Script k_claim_script(std::string(k_lua_time) + R"lua(
local tasks, delayed, inflight, cancel = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, consumer, visibility, prefix, mode = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
ensure_group(tasks, group)
local now = now_ms()
local entry, fields, deliveries
if mode == 'begin' then
  entry = ARGV[6]
  local r = redis.call('XRANGE', tasks, entry, entry)
  if #r == 0 then return false end
  fields = r[1][2]
  deliveries = 1
else
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)
  for _, m in ipairs(due) do
    local nl = string.find(m, '\n', 1, true)
    redis.call('XADD', tasks, '*', 'task', string.sub(m, nl + 1), 'attempt', string.sub(m, 1, nl - 1))
    redis.call('ZREM', delayed, m)
  end
  local cursor = '0-0'
  for _ = 1, 100 do
    local claimed = redis.call('XAUTOCLAIM', tasks, group, consumer, visibility, cursor, 'COUNT', 1)
    cursor = claimed[1]
    if #claimed[2] > 0 and claimed[2][1] then
      entry = claimed[2][1][1]
      fields = claimed[2][1][2]
      local p = redis.call('XPENDING', tasks, group, entry, entry, 1)
      deliveries = tonumber(p[1][4])
      break
    end
    if cursor == '0-0' then break end
  end
  if not entry then
    local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', tasks, '>')
    if not r then return false end
    entry = r[1][2][1][1]
    fields = r[1][2][1][2]
    deliveries = 1
  end
end
local task, attempt = nil, 1
for k = 1, #fields, 2 do
  if fields[k] == 'task' then task = fields[k + 1] elseif fields[k] == 'attempt' then attempt = tonumber(fields[k + 1]) end
end
attempt = attempt + deliveries - 1
local ok, obj = pcall(cjson.decode, task)
local id = entry
local sched = nil
if ok and type(obj) == 'table' then
  if type(obj['id']) == 'string' then id = obj['id'] end
  if type(obj['schedule']) == 'string' then sched = obj['schedule'] end
end
redis.call('HSET', inflight, id, entry .. '|' .. attempt)
local cancelled = redis.call('SISMEMBER', cancel, id)
if sched and cancelled == 0 then
  local lease = prefix .. ':lease:' .. sched
  local holder = redis.call('GET', lease)
  if (not holder) or holder == id then redis.call('SET', lease, id, 'PX', visibility) end
end
return {entry, task, attempt, cancelled}
)lua");

// KEYS: tasks, cancel. ARGV: group, consumer, entry, lease key ('' for none), id, visibility ms.
const Script k_heartbeat_script(R"lua(
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
if ARGV[4] ~= '' and redis.call('GET', ARGV[4]) == ARGV[5] then redis.call('PEXPIRE', ARGV[4], ARGV[6]) end
return redis.call('SISMEMBER', KEYS[2], ARGV[5])
)lua");

// KEYS: tasks, delayed. ARGV: group. Returns {leased entries, delayed retries, ms until the first is due}.
const Script k_backlog_script(std::string(k_lua_time) + R"lua(
local leased = 0
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(p) == 'table' and not p.err then leased = p[1] end
local delayed = redis.call('ZCARD', KEYS[2])
local due = 0
if delayed > 0 then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  due = math.max(0, tonumber(first[2]) - now_ms())
end
return {leased, delayed, due}
)lua");

// KEYS: tasks, inflight, delayed, dead, cancel. ARGV: group, id, mode (ack|retry|release|dead),
// delay ms, reason, prefix, then for a worker finishing its own delivery: entry, consumer,
// attempt (by id: '', '', '').
// Returns 1 finished, 0 (by id) no worker holds the task, -1 the worker's delivery is no
// longer its own: its inflight record and pending entry are gone or name another delivery
// (a failover lost its take, or another worker took it over); then nothing is changed.
// A delivery whose take alone was lost (its entry is still on the stream, delivered to no
// one) is still this run's and is finished.
const Script k_finish_script(std::string(k_lua_time) + R"lua(
local tasks, inflight, delayed, dead, cancel = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local group, id, mode, delay, reason, prefix = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local own, consumer = ARGV[7], ARGV[8]
local v = redis.call('HGET', inflight, id)
local entry, attempt
if v then
  local sep = string.find(v, '|', 1, true)
  entry, attempt = string.sub(v, 1, sep - 1), tonumber(string.sub(v, sep + 1))
end
if own ~= '' then
  local p = redis.pcall('XPENDING', tasks, group, own, own, 1)
  local pending = type(p) == 'table' and not p.err and #p > 0
  local ours = pending and p[1][2] == consumer
  if entry == own then
    if not ours then return -1 end
  elseif v or (pending and not ours) or #redis.call('XRANGE', tasks, own, own) == 0 then
    return -1
  else
    entry, attempt = own, tonumber(ARGV[9])
  end
elseif not v then
  return 0
end
local r = redis.call('XRANGE', tasks, entry, entry)
local task = nil
if #r > 0 then
  for k = 1, #r[1][2], 2 do if r[1][2][k] == 'task' then task = r[1][2][k + 1] end end
end
redis.call('XACK', tasks, group, entry)
redis.call('XDEL', tasks, entry)
redis.call('HDEL', inflight, id)
redis.call('SREM', cancel, id)
local now = now_ms()
local keep_lease = false
if task and (mode == 'retry' or mode == 'release') then
  if mode == 'retry' then attempt = attempt + 1 end
  if delay <= 0 then
    redis.call('XADD', tasks, '*', 'task', task, 'attempt', tostring(attempt))
  else
    redis.call('ZADD', delayed, now + delay, tostring(attempt) .. '\n' .. task)
  end
  keep_lease = true
elseif task and mode == 'dead' then
  redis.call('XADD', dead, 'MAXLEN', '~', '10000', '*', 'task', task, 'reason', reason,
             'attempt', tostring(attempt), 'at', iso(now))
end
if not keep_lease then
  local ok, obj = pcall(cjson.decode, task or '')
  if ok and type(obj) == 'table' and type(obj['schedule']) == 'string' then
    local lease = prefix .. ':lease:' .. obj['schedule']
    if redis.call('GET', lease) == id then redis.call('DEL', lease) end
  end
end
return 1
)lua");

// KEYS: tasks. ARGV: group, name, queue, payload JSON.
const Script k_enqueue_script(std::string(k_lua_time) + R"lua(
ensure_group(KEYS[1], ARGV[1])
local now = iso(now_ms())
local id = ARGV[2] .. '@' .. now
local task = '{"id":"' .. id .. '","schedule":"' .. ARGV[2] .. '","slot":"' .. now .. '","queue":"' .. ARGV[3] ..
             '","attempt":1,"enqueued_at":"' .. now .. '","payload":' .. ARGV[4] .. '}'
redis.call('XADD', KEYS[1], '*', 'task', task, 'attempt', '1')
return task
)lua");

// KEYS: dead, tasks. ARGV: group.
const Script k_requeue_script(std::string(k_lua_time) + R"lua(
ensure_group(KEYS[2], ARGV[1])
local all = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 10000)
for _, e in ipairs(all) do
  local task = nil
  for k = 1, #e[2], 2 do if e[2][k] == 'task' then task = e[2][k + 1] end end
  if task then redis.call('XADD', KEYS[2], '*', 'task', task, 'attempt', '1') end
  redis.call('XDEL', KEYS[1], e[1])
end
return #all
)lua");

Task task_from(const Reply& reply) {
  Task t;
  t.entry = reply[0].string();
  t.json = reply[1].string();
  t.attempt = static_cast<int>(reply[2].integer());
  t.cancelled = reply[3].integer() != 0;
  try {
    auto v = parse_json(t.json, "task " + t.entry);
    if (v.is_object()) t.doc = v.as_object();
  } catch (const std::exception&) {
  }
  t.doc["attempt"] = t.attempt;
  return t;
}

Finished finish(Redis& redis, const QueueKeys& keys, const Finisher& who, const char* mode,
                std::chrono::milliseconds delay, const std::string& reason) {
  const bool own = !who.entry.empty();
  auto reply = redis.eval(k_finish_script, {keys.tasks, keys.inflight, keys.delayed, keys.dead, keys.cancel},
                          {std::string(k_group), who.id, mode, std::to_string(delay.count()), reason, keys.prefix,
                           who.entry, own ? who.consumer : "", own ? std::to_string(who.attempt) : ""});
  auto code = reply.integer();
  return code == 1 ? Finished::done : code == 0 ? Finished::not_held : Finished::lost;
}

}  // namespace

std::string Task::id() const {
  if (auto it = doc.find("id"); it != doc.end() && it->value().is_string()) return std::string(it->value().as_string());
  return entry;
}

std::string Task::schedule() const {
  if (auto it = doc.find("schedule"); it != doc.end() && it->value().is_string())
    return std::string(it->value().as_string());
  return {};
}

std::optional<Task> take_now(Redis& redis, const QueueKeys& keys, const std::string& consumer,
                             std::chrono::milliseconds visibility) {
  auto reply = redis.eval(k_claim_script, {keys.tasks, keys.delayed, keys.inflight, keys.cancel},
                          {std::string(k_group), consumer, std::to_string(visibility.count()), keys.prefix, "take"});
  if (reply.is_nil() || !reply.is_array()) return std::nullopt;
  return task_from(reply);
}

std::optional<Task> take(Redis& redis, Redis& blocking, const QueueKeys& keys, const std::string& consumer,
                         std::chrono::milliseconds visibility, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    if (auto task = take_now(redis, keys, consumer, visibility)) return task;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) return std::nullopt;
    // Wake at least every second for retries falling due and entries to reclaim.
    auto block = std::min(left, std::chrono::milliseconds(1000));
    blocking.set_command_timeout(block + std::chrono::seconds(5));
    auto reply = blocking.command({"XREADGROUP", "GROUP", std::string(k_group), consumer, "COUNT", "1", "BLOCK",
                                   std::to_string(std::max<long long>(1, block.count())), "STREAMS", keys.tasks, ">"});
    if (reply.is_nil() || !reply.is_array() || reply.size() == 0) continue;
    auto entry = reply[0][1][0][0].string();
    auto begun = redis.eval(k_claim_script, {keys.tasks, keys.delayed, keys.inflight, keys.cancel},
                            {std::string(k_group), consumer, std::to_string(visibility.count()), keys.prefix,
                             "begin", entry});
    if (begun.is_array()) return task_from(begun);
  }
}

bool heartbeat(Redis& redis, const QueueKeys& keys, const std::string& consumer, const Task& task,
               std::chrono::milliseconds visibility, bool& cancelled) {
  auto schedule = task.schedule();
  auto reply = redis.eval(k_heartbeat_script, {keys.tasks, keys.cancel},
                          {std::string(k_group), consumer, task.entry, schedule.empty() ? "" : keys.lease(schedule),
                           task.id(), std::to_string(visibility.count())});
  if (reply.integer() < 0) return false;
  cancelled = reply.integer() == 1;
  return true;
}

Backlog backlog(Redis& redis, const QueueKeys& keys) {
  auto reply = redis.eval(k_backlog_script, {keys.tasks, keys.delayed}, {std::string(k_group)});
  return {reply[0].integer(), reply[1].integer(), std::chrono::milliseconds(reply[2].integer())};
}

Finished ack(Redis& redis, const QueueKeys& keys, const Finisher& who) {
  return finish(redis, keys, who, "ack", std::chrono::milliseconds(0), "");
}

Finished retry(Redis& redis, const QueueKeys& keys, const Finisher& who, std::chrono::milliseconds delay,
               bool count) {
  return finish(redis, keys, who, count ? "retry" : "release", delay, "");
}

Finished dead_letter(Redis& redis, const QueueKeys& keys, const Finisher& who, const std::string& reason) {
  return finish(redis, keys, who, "dead", std::chrono::milliseconds(0), reason);
}

std::optional<Task> held_task(Redis& redis, const QueueKeys& keys, const std::string& id) {
  auto v = redis.command({"HGET", keys.inflight, id});
  if (v.is_nil()) return std::nullopt;
  auto text = v.string();
  auto sep = text.find('|');
  if (sep == std::string::npos) return std::nullopt;
  Task t;
  t.entry = text.substr(0, sep);
  t.attempt = std::stoi(text.substr(sep + 1));
  auto r = redis.command({"XRANGE", keys.tasks, t.entry, t.entry});
  if (r.size() == 0) return std::nullopt;
  auto fields = r[0][1].strings();
  for (std::size_t k = 0; k + 1 < fields.size(); k += 2)
    if (fields[k] == "task") t.json = fields[k + 1];
  auto doc = parse_json(t.json, "task " + t.entry);
  if (doc.is_object()) t.doc = doc.as_object();
  t.doc["attempt"] = t.attempt;
  return t;
}

std::string enqueue(Redis& redis, const QueueKeys& keys, const std::string& name, const boost::json::object& payload) {
  return redis.eval(k_enqueue_script, {keys.tasks}, {std::string(k_group), name, keys.queue, to_json(payload)}).string();
}

std::vector<DeadLetter> dead_letters(Redis& redis, const QueueKeys& keys, std::size_t limit) {
  auto r = redis.command({"XRANGE", keys.dead, "-", "+", "COUNT", std::to_string(limit)});
  std::vector<DeadLetter> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    DeadLetter d;
    d.entry = r[i][0].string();
    auto fields = r[i][1].strings();
    for (std::size_t k = 0; k + 1 < fields.size(); k += 2) {
      if (fields[k] == "task") d.task = fields[k + 1];
      if (fields[k] == "reason") d.reason = fields[k + 1];
      if (fields[k] == "at") d.at = fields[k + 1];
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::size_t requeue_dead_letters(Redis& redis, const QueueKeys& keys) {
  return static_cast<std::size_t>(redis.eval(k_requeue_script, {keys.dead, keys.tasks}, {std::string(k_group)}).integer());
}

void record_history(Redis& redis, const KeySpace& space, const std::string& schedule,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> args{"XADD", history_key(space, schedule), "MAXLEN", "~", "1000", "*"};
  for (const auto& [k, v] : fields) {
    args.push_back(k);
    args.push_back(v);
  }
  redis.command(args);
}

std::vector<std::vector<std::pair<std::string, std::string>>> read_history(Redis& redis, const KeySpace& space,
                                                                           const std::string& schedule,
                                                                           std::size_t limit) {
  auto r = redis.command({"XREVRANGE", history_key(space, schedule), "+", "-", "COUNT", std::to_string(limit)});
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (std::size_t i = r.size(); i-- > 0;) {
    auto fields = r[i][1].strings();
    std::vector<std::pair<std::string, std::string>> row;
    for (std::size_t k = 0; k + 1 < fields.size(); k += 2) row.emplace_back(fields[k], fields[k + 1]);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace ciutils::schedule
