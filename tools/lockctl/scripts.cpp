#include "scripts.h"

#include <string>

namespace ciutils::lockctl {
namespace {

// Shared by every script: the clock, history, lease ending, pruning and wake-ups.
// Keys under the scope prefix P:
//   members           SET   pool members (pool scopes only)
//   leaving           SET   members removed while held; they leave when free (pool scopes only)
//   name              HASH  under a resource's own tag "<ns>:{lock:R}:" only: pool = the pool
//                           R belongs to (its state then lives in that pool's scope);
//                           is_pool = 1 when R names a pool (no resource may have that name)
//   moved:<token>     STR   the scope a lease moved to with its resource (expires)
//   slots             HASH  resource -> slot count (absent: 1)
//   labels            HASH  resource -> JSON array of its labels
//   props             HASH  resource -> JSON object of its properties
//   reserved          HASH  resource -> JSON {note, owner, since, until (0: none)}
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
local IN_POOL = string.find(P, ':{lock:pool:', 1, true) ~= nil
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
  local reserved = redis.call('HGETALL', P .. 'reserved')
  for i = 1, #reserved, 2 do
    local rv = cjson.decode(reserved[i + 1])
    if rv['until'] > 0 and rv['until'] <= now then
      redis.call('HDEL', P .. 'reserved', reserved[i])
      history(reserved[i], 'unreserved', {owner = rv.owner, reason = 'reservation ended'})
      changed = true
    end
  end
  if changed then wake_head() end
end

local function slots(r)
  return tonumber(redis.call('HGET', P .. 'slots', r) or '1')
end

-- A reserved resource is granted to nobody until it is unreserved or its --for lapses.
local function is_free(r)
  return redis.call('SCARD', P .. 'holders:' .. r) < slots(r) and redis.call('HEXISTS', P .. 'reserved', r) == 0
end

-- Where resource r's state is: 'here', 'moved' (another scope now) or 'is-pool'.
local function locate(r)
  if IN_POOL then
    if redis.call('SISMEMBER', P .. 'members', r) == 0 and redis.call('SISMEMBER', P .. 'leaving', r) == 0 then
      return 'moved'
    end
    return 'here'
  end
  local name = redis.call('HMGET', P .. 'name', 'pool', 'is_pool')
  if name[2] then return 'is-pool' end
  if name[1] then return 'moved' end
  return 'here'
end

local function decoded(key, r)
  local raw = redis.call('HGET', P .. key, r)
  if raw then return cjson.decode(raw) end
  return nil
end

-- Evaluates a label expression in postfix form ({"linux","gpu","&&"}) against r's labels.
local function matches(rpn, r)
  local has = {}
  for _, l in ipairs(decoded('labels', r) or {}) do has[l] = true end
  local st = {}
  for _, t in ipairs(rpn) do
    if t == '!' then
      st[#st] = not st[#st]
    elseif t == '&&' or t == '||' then
      local b = table.remove(st)
      local a = table.remove(st)
      if t == '&&' then st[#st + 1] = a and b else st[#st + 1] = a or b end
    else
      st[#st + 1] = has[t] == true
    end
  end
  return st[1] == true
end

local function lease_view(token, raw)
  local lease = cjson.decode(raw)
  lease.token = token
  return lease
end
)LUA";

constexpr const char* k_acquire = R"LUA(
local req = cjson.decode(ARGV[1])
local id = req.token
prune()
local queued_before = redis.call('ZSCORE', P .. 'queue', id)
-- The resource's state lives elsewhere now (a pool change): the client looks it up again.
local function moved()
  if redis.call('ZSCORE', P .. 'queue', id) then
    drop_waiter(id, nil)
    wake_head()
  end
  return cjson.encode({status = 'moved'})
end
local candidates = nil  -- pool requests: the members that may be chosen, in name order
if req.kind == 'pool' then
  local n = redis.call('SCARD', P .. 'members')
  if n == 0 then return cjson.encode({status = 'unknown-pool'}) end
  candidates = redis.call('SMEMBERS', P .. 'members')
  table.sort(candidates)
  if req.label then
    local matching = {}
    for _, m in ipairs(candidates) do
      if matches(req.label, m) then matching[#matching + 1] = m end
    end
    candidates = matching
    if #candidates == 0 then
      if queued_before then drop_waiter(id, nil) wake_head() end
      return cjson.encode({status = 'no-match'})
    end
  end
  if req.quantity > #candidates then
    if queued_before then drop_waiter(id, nil) wake_head() end
    return cjson.encode({status = 'too-many', members = #candidates})
  end
else
  for _, r in ipairs(req.names) do
    local where = locate(r)
    if where == 'is-pool' then return cjson.encode({status = 'is-pool', name = r}) end
    if where == 'moved' then return moved() end
  end
  if req.slots and req.slots > 0 then
    for _, r in ipairs(req.names) do redis.call('HSET', P .. 'slots', r, req.slots) end
  end
end

local function choose()
  if req.kind == 'resource' then
    for _, r in ipairs(req.names) do
      if not is_free(r) then return nil end
    end
    return req.names
  end
  local picked = {}
  for _, m in ipairs(candidates) do
    if is_free(m) then
      picked[#picked + 1] = m
      if #picked == req.quantity then return picked end
    end
  end
  return nil
end

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
  local props = {}
  for i, r in ipairs(picked) do props[i] = redis.call('HGET', P .. 'props', r) or '{}' end
  return cjson.encode({status = 'granted', resources = picked, fences = fences, props = props,
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
    names = req.names, label = req.label_text, quantity = req.quantity, owner = req.owner, host = req.host, pid = req.pid, ci = req.ci,
    since = now, priority = req.priority}))
end
redis.call('ZADD', P .. 'heartbeat', now + req.heartbeat_ms, id)
return cjson.encode({status = 'queued', position = redis.call('ZRANK', P .. 'queue', id) + 1, now = now,
                     requeued = not queued})
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
local moved = redis.call('GET', P .. 'moved:' .. token)
if moved then return cjson.encode({status = 'moved', prefix = moved}) end
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
  local moved = redis.call('GET', P .. 'moved:' .. token)
  if moved then return cjson.encode({status = 'moved', prefix = moved}) end
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
local leaving = {}
for _, r in ipairs(redis.call('SMEMBERS', P .. 'leaving')) do leaving[r] = true end
if kind == 'pool' then
  names = redis.call('SMEMBERS', P .. 'members')
  for r in pairs(leaving) do names[#names + 1] = r end
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
                  leaving = leaving[r] or false, holders = holders,
                  labels = redis.call('HGET', P .. 'labels', r) or '[]',
                  props = redis.call('HGET', P .. 'props', r) or '{}',
                  reserved = redis.call('HGET', P .. 'reserved', r) or ''}
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

// One pool change, checked and written atomically: set | add | remove. A resource's state
// (fence, slots, leases, by-name waiters) moves with it between its own scope and its
// pool's, so whatever the membership history it has one set of holders and one fence.
// KEYS: the pool's scope, then the own scopes of the pool name and the members given
// (declared for clarity; the script also reaches the scopes of members being removed
// and of a previous pool). ARGV: op, pool, namespace, members...
constexpr const char* k_pool = R"LUA(
local op, pool, ns = ARGV[1], ARGV[2], ARGV[3]
prune()
local function own(r) return ns .. ':{lock:' .. r .. '}:' end
local function pool_scope(p) return ns .. ':{lock:pool:' .. p .. '}:' end
local function in_set(key, v) return redis.call('SISMEMBER', key, v) == 1 end
local function refuse(status, name, other) return cjson.encode({status = status, name = name, pool = other}) end
local HERE = P
-- Runs fn with the shared helpers (prune, drop_waiter, wake_head) on another scope.
local function in_scope(prefix, fn)
  P = prefix
  fn()
  P = HERE
end

local function move_resource(r, from, to)
  in_scope(from, prune)
  local fence = math.max(tonumber(redis.call('GET', from .. 'fence:' .. r) or '0'),
                         tonumber(redis.call('GET', to .. 'fence:' .. r) or '0'))
  if fence > 0 then redis.call('SET', to .. 'fence:' .. r, fence) end
  redis.call('DEL', from .. 'fence:' .. r)
  -- What the resource carries goes with it: slot count, labels, properties, reservation.
  for _, h in ipairs({'slots', 'labels', 'props', 'reserved'}) do
    local v = redis.call('HGET', from .. h, r)
    redis.call('HDEL', from .. h, r)
    if v then redis.call('HSET', to .. h, r, v) end
  end
  -- Leases moved here cover r alone: a pool lease of several members never moves.
  for _, t in ipairs(redis.call('SMEMBERS', from .. 'holders:' .. r)) do
    local raw = redis.call('HGET', from .. 'leases', t)
    if raw then
      redis.call('HSET', to .. 'leases', t, raw)
      redis.call('ZADD', to .. 'expiry', redis.call('ZSCORE', from .. 'expiry', t), t)
      redis.call('SADD', to .. 'holders:' .. r, t)
      redis.call('HDEL', from .. 'leases', t)
      redis.call('ZREM', from .. 'expiry', t)
      redis.call('SET', from .. 'moved:' .. t, to, 'EX', ENDED_TTL)
    end
  end
  redis.call('DEL', from .. 'holders:' .. r)
  -- Waiters for r by name are woken and queue again where r lives now.
  in_scope(from, function()
    for _, id in ipairs(redis.call('ZRANGE', P .. 'queue', 0, -1)) do
      local raw = redis.call('HGET', P .. 'waiters', id)
      local w = raw and cjson.decode(raw)
      local wants = false
      if w and w.kind == 'resource' then
        for _, n in ipairs(w.names or {w.target}) do wants = wants or n == r end
      end
      if wants then
        drop_waiter(id, nil)
        redis.call('RPUSH', P .. 'wake:' .. id, '1')
        redis.call('PEXPIRE', P .. 'wake:' .. id, 60000)
      end
    end
    wake_head()
  end)
end

local function tidy(p)
  local scope = pool_scope(p)
  if redis.call('SCARD', scope .. 'members') + redis.call('SCARD', scope .. 'leaving') == 0 then
    redis.call('HDEL', own(p) .. 'name', 'is_pool')
  else
    redis.call('HSET', own(p) .. 'name', 'is_pool', '1')
  end
end

local listed, wanted = {}, {}
for i = 4, #ARGV do
  listed[#listed + 1] = ARGV[i]
  wanted[ARGV[i]] = true
end

-- Checks first: a refused change writes nothing.
local pool_own = own(pool)
if redis.call('HGET', pool_own .. 'name', 'pool') or redis.call('EXISTS', pool_own .. 'fence:' .. pool) == 1 or
   redis.call('ZCARD', pool_own .. 'queue') > 0 or redis.call('SCARD', pool_own .. 'holders:' .. pool) > 0 then
  return refuse('pool-is-resource', pool)
end
if op ~= 'remove' then
  for _, r in ipairs(listed) do
    if r == pool or redis.call('HGET', own(r) .. 'name', 'is_pool') then return refuse('member-is-pool', r) end
    local home = redis.call('HGET', own(r) .. 'name', 'pool')
    if home and home ~= pool then
      local q = pool_scope(home)
      if in_set(q .. 'members', r) then return refuse('in-other-pool', r, home) end
      in_scope(q, prune)
      if redis.call('SCARD', q .. 'holders:' .. r) > 0 then return refuse('leaving-other-pool', r, home) end
    end
  end
end

local members_key, leaving_key = P .. 'members', P .. 'leaving'
-- A member removed while held stays in this scope (so it is never handed out twice)
-- until it is free; then it leaves for good.
local function leave(r)
  redis.call('SREM', leaving_key, r)
  move_resource(r, P, own(r))
  redis.call('HDEL', own(r) .. 'name', 'pool')
end
local function remove(r)
  if not in_set(members_key, r) then return end
  redis.call('SREM', members_key, r)
  if redis.call('SCARD', P .. 'holders:' .. r) > 0 then redis.call('SADD', leaving_key, r) else leave(r) end
end
local function add(r)
  if in_set(members_key, r) then return end
  redis.call('SADD', members_key, r)
  if in_set(leaving_key, r) then
    redis.call('SREM', leaving_key, r)
    return
  end
  local home = redis.call('HGET', own(r) .. 'name', 'pool')
  if home then
    redis.call('SREM', pool_scope(home) .. 'leaving', r)
    move_resource(r, pool_scope(home), P)
    tidy(home)
  else
    move_resource(r, own(r), P)
  end
  redis.call('HSET', own(r) .. 'name', 'pool', pool)
end

for _, r in ipairs(redis.call('SMEMBERS', leaving_key)) do
  if redis.call('SCARD', P .. 'holders:' .. r) == 0 then leave(r) end
end
if op == 'set' then
  for _, r in ipairs(redis.call('SMEMBERS', members_key)) do
    if not wanted[r] then remove(r) end
  end
end
for _, r in ipairs(listed) do
  if op == 'remove' then remove(r) else add(r) end
end
tidy(pool)
wake_head()
local members = redis.call('SMEMBERS', members_key)
table.sort(members)
return cjson.encode({status = 'ok', members = members})
)LUA";

// Sets or clears what one resource carries (labels, props, reserved) where its state
// lives. ARGV: resource, field, value JSON ('' clears), event for the history ('' none),
// the event's fields JSON, reservation length in ms (reserved only; 0: until unreserved).
constexpr const char* k_resource_setting = R"LUA(
local r, field, value, event = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
prune()
local where = locate(r)
if where ~= 'here' then return cjson.encode({status = where}) end
local before = redis.call('HGET', P .. field, r)
if value == '' then
  redis.call('HDEL', P .. field, r)
else
  if field == 'reserved' then
    local rv = cjson.decode(value)
    local length = tonumber(ARGV[6])
    rv.since = now
    rv['until'] = length > 0 and now + length or 0
    value = cjson.encode(rv)
  end
  redis.call('HSET', P .. field, r, value)
end
if event ~= '' and (value ~= '' or before) then history(r, event, cjson.decode(ARGV[5])) end
wake_head()
return cjson.encode({status = 'ok', before = before or '', value = value,
                     held = redis.call('SCARD', P .. 'holders:' .. r)})
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
const Script& resource_setting_script() { static const Script s = make(k_resource_setting); return s; }
const Script& note_script() { static const Script s = make(k_note); return s; }

}  // namespace ciutils::lockctl
