#include "scripts.h"

#include <string>

namespace ciutils::lockctl {
namespace {

// Shared by every script: the clock, history, lease ending, pruning and wake-ups.
// Keys under the scope prefix P:
//   members           SET   pool members (pool scopes only)
//   slots             HASH  resource -> slot count (absent: 1)
//   holders:<r>       SET   tokens holding resource r
//   fence:<r>         INCR  fencing counter of r; never expires
//   leases            HASH  token -> lease JSON
//   expiry            ZSET  token -> expiry (ms, Redis clock)
//   queue             ZSET  waiter id -> order (priority, then arrival)
//   waiters           HASH  waiter id -> request JSON
//   heartbeat         ZSET  waiter id -> deadline (ms)
//   seq               INCR  arrival counter
//   wake:<id>         LIST  a waiter's wake-up list (expires)
//   ended:<token>     STR   how a lease ended: released | expired | forced (expires)
//   history:<r>       STREAM capped event history of r
constexpr const char* k_prelude = R"LUA(
local P = KEYS[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local HISTORY_MAX = 1000
local ENDED_TTL = 86400

local function history(r, event, fields)
  local args = {'XADD', P .. 'history:' .. r, 'MAXLEN', '~', HISTORY_MAX, '*', 'event', event, 'at', tostring(now)}
  for k, v in pairs(fields) do
    args[#args + 1] = k
    args[#args + 1] = tostring(v)
  end
  redis.call(unpack(args))
end

local function end_lease(token, why, raw)
  local lease = cjson.decode(raw)
  for _, r in ipairs(lease.resources) do
    redis.call('SREM', P .. 'holders:' .. r, token)
    history(r, why, {token = token, owner = lease.owner, fence = lease.fences[r] or 0,
                     held_ms = now - lease.since, job = lease.ci.job_url or ''})
  end
  redis.call('HDEL', P .. 'leases', token)
  redis.call('ZREM', P .. 'expiry', token)
  redis.call('SET', P .. 'ended:' .. token, why, 'EX', ENDED_TTL)
  return lease
end

local function drop_waiter(id, why)
  local raw = redis.call('HGET', P .. 'waiters', id)
  redis.call('ZREM', P .. 'queue', id)
  redis.call('HDEL', P .. 'waiters', id)
  redis.call('ZREM', P .. 'heartbeat', id)
  redis.call('DEL', P .. 'wake:' .. id)
  if raw and why then
    local w = cjson.decode(raw)
    history(w.target, why, {token = id, owner = w.owner, waited_ms = now - w.since})
  end
end

local function wake_head()
  local head = redis.call('ZRANGE', P .. 'queue', 0, 0)[1]
  if head then
    local k = P .. 'wake:' .. head
    if redis.call('LLEN', k) == 0 then
      redis.call('RPUSH', k, '1')
      redis.call('PEXPIRE', k, 60000)
    end
  end
end

local function prune()
  local changed = false
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now)) do
    local raw = redis.call('HGET', P .. 'leases', token)
    if raw then end_lease(token, 'expired', raw) else redis.call('ZREM', P .. 'expiry', token) end
    changed = true
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'heartbeat', '-inf', '(' .. now)) do
    drop_waiter(id, 'abandoned')
    changed = true
  end
  if changed then wake_head() end
end

local function slots(r)
  return tonumber(redis.call('HGET', P .. 'slots', r) or '1')
end

local function is_free(r)
  return redis.call('SCARD', P .. 'holders:' .. r) < slots(r)
end

local function lease_view(token, raw)
  local lease = cjson.decode(raw)
  lease.token = token
  return lease
end
)LUA";

constexpr const char* k_acquire = R"LUA(
local req = cjson.decode(ARGV[1])
prune()
if req.kind == 'pool' then
  local n = redis.call('SCARD', P .. 'members')
  if n == 0 then return cjson.encode({status = 'unknown-pool'}) end
  if req.quantity > n then return cjson.encode({status = 'too-many', members = n}) end
elseif req.slots and req.slots > 0 then
  redis.call('HSET', P .. 'slots', req.name, req.slots)
end

local function choose()
  if req.kind == 'resource' then
    if is_free(req.name) then return {req.name} end
    return nil
  end
  local members = redis.call('SMEMBERS', P .. 'members')
  table.sort(members)
  local picked = {}
  for _, m in ipairs(members) do
    if is_free(m) then
      picked[#picked + 1] = m
      if #picked == req.quantity then return picked end
    end
  end
  return nil
end

local id = req.token
local queued = redis.call('ZSCORE', P .. 'queue', id)
local head = redis.call('ZRANGE', P .. 'queue', 0, 0)[1]
local picked = nil
if head == nil or head == id then picked = choose() end

if picked then
  local waited = 0
  if queued then
    local raw = redis.call('HGET', P .. 'waiters', id)
    if raw then waited = now - cjson.decode(raw).since end
    drop_waiter(id, nil)
  end
  local lease = {resources = picked, owner = req.owner, host = req.host, pid = req.pid, ci = req.ci,
                 since = now, expires = now + req.ttl_ms, ttl_ms = req.ttl_ms, fences = {},
                 target = req.name, kind = req.kind}
  local fences = {}
  for i, r in ipairs(picked) do
    local f = redis.call('INCR', P .. 'fence:' .. r)
    lease.fences[r] = f
    fences[i] = f
    redis.call('SADD', P .. 'holders:' .. r, id)
    history(r, 'acquired', {token = id, owner = req.owner, fence = f, waited_ms = waited,
                            job = req.ci.job_url or ''})
  end
  redis.call('HSET', P .. 'leases', id, cjson.encode(lease))
  redis.call('ZADD', P .. 'expiry', lease.expires, id)
  wake_head()
  return cjson.encode({status = 'granted', resources = picked, fences = fences,
                       expires = lease.expires, now = now, waited_ms = waited})
end

if not req.wait then
  if queued then drop_waiter(id, nil) wake_head() end
  return cjson.encode({status = 'busy', now = now})
end

if not queued then
  local seq = redis.call('INCR', P .. 'seq')
  redis.call('ZADD', P .. 'queue', -req.priority * 1e12 + seq, id)
  redis.call('HSET', P .. 'waiters', id, cjson.encode({target = req.name, kind = req.kind,
    quantity = req.quantity, owner = req.owner, host = req.host, pid = req.pid, ci = req.ci,
    since = now, priority = req.priority}))
end
redis.call('ZADD', P .. 'heartbeat', now + req.heartbeat_ms, id)
return cjson.encode({status = 'queued', position = redis.call('ZRANK', P .. 'queue', id) + 1, now = now})
)LUA";

constexpr const char* k_leave = R"LUA(
prune()
local was = redis.call('ZSCORE', P .. 'queue', ARGV[1])
drop_waiter(ARGV[1], nil)
wake_head()
return cjson.encode({status = was and 'left' or 'absent'})
)LUA";

constexpr const char* k_release = R"LUA(
local token, r = ARGV[1], ARGV[2]
prune()
local raw = redis.call('HGET', P .. 'leases', token)
if raw then
  local lease = end_lease(token, 'released', raw)
  wake_head()
  return cjson.encode({status = 'released', resources = lease.resources})
end
local ended = redis.call('GET', P .. 'ended:' .. token)
if ended then return cjson.encode({status = ended == 'released' and 'already-released' or ended}) end
local owners = {}
for _, t in ipairs(redis.call('SMEMBERS', P .. 'holders:' .. r)) do
  local l = redis.call('HGET', P .. 'leases', t)
  if l then owners[#owners + 1] = cjson.decode(l).owner end
end
if #owners > 0 then return cjson.encode({status = 'held-by-other', owners = owners}) end
return cjson.encode({status = 'not-held'})
)LUA";

constexpr const char* k_renew = R"LUA(
local token, ttl = ARGV[1], tonumber(ARGV[2])
prune()
local raw = redis.call('HGET', P .. 'leases', token)
if not raw then
  local ended = redis.call('GET', P .. 'ended:' .. token)
  return cjson.encode({status = ended or 'not-held', now = now})
end
local lease = cjson.decode(raw)
lease.expires = now + ttl
lease.ttl_ms = ttl
redis.call('HSET', P .. 'leases', token, cjson.encode(lease))
redis.call('ZADD', P .. 'expiry', lease.expires, token)
return cjson.encode({status = 'renewed', expires = lease.expires, now = now, resources = lease.resources})
)LUA";

constexpr const char* k_force_release = R"LUA(
local r, only = ARGV[1], ARGV[2]
prune()
local ended = {}
local tokens = redis.call('SMEMBERS', P .. 'holders:' .. r)
for _, t in ipairs(tokens) do
  if only == '' or only == t then
    local raw = redis.call('HGET', P .. 'leases', t)
    if raw then
      local lease = end_lease(t, 'forced', raw)
      ended[#ended + 1] = {token = t, owner = lease.owner, resources = lease.resources}
    end
  end
end
wake_head()
return cjson.encode({status = 'forced', count = #ended, leases = ended})
)LUA";

constexpr const char* k_status = R"LUA(
local name, kind = ARGV[1], ARGV[2]
prune()
local names = {name}
if kind == 'pool' then
  names = redis.call('SMEMBERS', P .. 'members')
  table.sort(names)
end
local resources = {}
for i, r in ipairs(names) do
  local holders = {}
  for _, t in ipairs(redis.call('SMEMBERS', P .. 'holders:' .. r)) do
    local raw = redis.call('HGET', P .. 'leases', t)
    if raw then
      local l = lease_view(t, raw)
      holders[#holders + 1] = {token = t, owner = l.owner, host = l.host, pid = l.pid, ci = l.ci,
                               since = l.since, expires = l.expires, fence = l.fences[r] or 0,
                               resources = l.resources}
    end
  end
  table.sort(holders, function(a, b) return a.since < b.since end)
  resources[i] = {name = r, slots = slots(r), fence = tonumber(redis.call('GET', P .. 'fence:' .. r) or '0'),
                  holders = holders}
end
local queue = {}
for i, id in ipairs(redis.call('ZRANGE', P .. 'queue', 0, -1)) do
  local raw = redis.call('HGET', P .. 'waiters', id)
  if raw then
    local w = cjson.decode(raw)
    w.token = id
    w.position = i
    queue[#queue + 1] = w
  end
end
return cjson.encode({status = 'ok', now = now, resources = resources, queue = queue})
)LUA";

constexpr const char* k_pool = R"LUA(
local op = ARGV[1]
prune()
local key = P .. 'members'
if op == 'set' then redis.call('DEL', key) end
for i = 2, #ARGV do
  if op == 'remove' then redis.call('SREM', key, ARGV[i]) else redis.call('SADD', key, ARGV[i]) end
end
wake_head()
local members = redis.call('SMEMBERS', key)
table.sort(members)
return cjson.encode({status = 'ok', members = members})
)LUA";

constexpr const char* k_note = R"LUA(
prune()
history(ARGV[1], ARGV[2], cjson.decode(ARGV[3]))
return cjson.encode({status = 'ok'})
)LUA";

Script make(const char* body) { return Script(std::string(k_prelude) + body); }

}  // namespace

const Script& acquire_script() { static const Script s = make(k_acquire); return s; }
const Script& leave_script() { static const Script s = make(k_leave); return s; }
const Script& release_script() { static const Script s = make(k_release); return s; }
const Script& renew_script() { static const Script s = make(k_renew); return s; }
const Script& force_release_script() { static const Script s = make(k_force_release); return s; }
const Script& status_script() { static const Script s = make(k_status); return s; }
const Script& pool_script() { static const Script s = make(k_pool); return s; }
const Script& note_script() { static const Script s = make(k_note); return s; }

}  // namespace ciutils::lockctl
