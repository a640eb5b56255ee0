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
//                           is_pool = 1 when R names a pool (no resource may have that name);
//                           gen = the pool R's generation (k_move says how it is used)
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

-- Where resource r's state is: 'here', 'moved' (another scope now), 'pending' (being moved
-- between this pool and r's own scope) or 'is-pool'.
local function locate(r)
  if IN_POOL then
    if redis.call('HEXISTS', P .. 'transit', r) == 1 then return 'pending' end
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

-- A lease not found here may be on its way here with its resource (a pool change half done).
local function in_transit()
  return IN_POOL and redis.call('HLEN', P .. 'transit') > 0
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
-- The resource's state lives elsewhere now, or is on its way (a pool change): the client
-- completes the move if need be and looks it up again.
local function moved(status)
  if redis.call('ZSCORE', P .. 'queue', id) then
    drop_waiter(id, nil)
    wake_head()
  end
  return cjson.encode({status = status})
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
    if where == 'moved' or where == 'pending' then return moved(where) end
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
if in_transit() then return cjson.encode({status = 'pending'}) end
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
  if not ended and in_transit() then return cjson.encode({status = 'pending'}) end
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
local where = locate(r)
if where ~= 'here' then return cjson.encode({status = where}) end
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

// The steps of a pool change. A pool change moves a resource's state (fence, slot count,
// labels, properties, reservation, leases) between its own scope and its pool's; on a Redis
// Cluster those are two hash tags, so the move is a sequence of steps, each one script on
// one scope. No step grants anything, and at every point at most one scope may grant the
// resource: its own scope while "<ns>:{lock:R}:name" names no pool, the pool's scope while
// R is in its `members` or `leaving` and not in its `transit`. A move is recorded in the
// pool's `transit` (R -> {dir, id, ...}) from its first step to its last, so whoever finds
// it there (the next pool command, or an acquire, renew or release that meets the resource
// or its lease on the way) finishes it; every step is idempotent and checks the move's id.
//
// Into a pool (`dir` "in"):  claim (pool) -> export (own: the state leaves in `outbox`, the
//   name points at the pool) -> import (pool: members) -> drop-outbox (own).
// Out of a pool ("out", a free member):  leave (pool: the state is kept in `transit`) ->
//   land (own: the name points nowhere) -> done-out (pool).
// A claim whose export is refused (the resource is in another pool, or is a pool) is taken
// back: cancel (own: that id is never exported afterwards) -> forget (pool).
//
// A pool's name stays a pool (`is_pool` on its own tag) from the first step of a set or add
// until a command finds the pool empty. That command ends with close (pool: claims of the
// generation it read at its start, or older, are refused from now on) -> tidy (own tag of
// the pool's name: `is_pool` goes, unless a set or add began a newer generation meanwhile).
// So a plain lock of the pool's name is granted only while the pool is empty and stays so:
// a set or add that checked the name before it was tidied has its claim refused, and checks
// the name again.
//
// Keys besides the prelude's: `transit` and `via` (HASH, pool scopes: the id of the move
// that brought each member), `closed` (pool scopes: the newest generation closed),
// `outbox` and `cancelled:<id>` (own scopes, expire), and the name hash's `transfer` (the
// id of the resource's last move) and `gen` (a pool name's generation: set and add count it).
// ARGV[1]: the step, ARGV[2]: the resource (or the pool, for pool-name, close and tidy),
// ARGV[3]: the move's id (the generation, for close and tidy), then the step's own.
constexpr const char* k_move = R"LUA(
local step, r, id = ARGV[1], ARGV[2], ARGV[3]
local KEEP = 86400
local function reply(status, fields)
  fields = fields or {}
  fields.status = status
  return cjson.encode(fields)
end

-- By-name waiters for r are woken and dropped from this queue: they queue again where r lives.
local function requeue_waiters_of()
  for _, w_id in ipairs(redis.call('ZRANGE', P .. 'queue', 0, -1)) do
    local raw = redis.call('HGET', P .. 'waiters', w_id)
    local w = raw and cjson.decode(raw)
    local wants = false
    if w and w.kind == 'resource' then
      for _, n in ipairs(w.names or {w.target}) do wants = wants or n == r end
    end
    if wants then
      drop_waiter(w_id, nil)
      redis.call('RPUSH', P .. 'wake:' .. w_id, '1')
      redis.call('PEXPIRE', P .. 'wake:' .. w_id, 60000)
    end
  end
  wake_head()
end

-- Takes r's state out of this scope, as JSON text. Each lease keeps the time it has left,
-- and its holder's renewals and releases are sent on to scope `to`.
local function export_state(to)
  local s = {fence = tonumber(redis.call('GET', P .. 'fence:' .. r) or '0'), carried = {}, leases = {}}
  redis.call('DEL', P .. 'fence:' .. r)
  for _, h in ipairs({'slots', 'labels', 'props', 'reserved'}) do
    local v = redis.call('HGET', P .. h, r)
    if v then
      s.carried[h] = v
      redis.call('HDEL', P .. h, r)
    end
  end
  for _, t in ipairs(redis.call('SMEMBERS', P .. 'holders:' .. r)) do
    local raw = redis.call('HGET', P .. 'leases', t)
    if raw then
      local left = math.max(1, tonumber(redis.call('ZSCORE', P .. 'expiry', t) or now) - now)
      s.leases[#s.leases + 1] = {token = t, lease = raw, left = left}
      redis.call('HDEL', P .. 'leases', t)
      redis.call('ZREM', P .. 'expiry', t)
      redis.call('SET', P .. 'moved:' .. t, to, 'EX', ENDED_TTL)
    end
  end
  redis.call('DEL', P .. 'holders:' .. r)
  requeue_waiters_of()
  return cjson.encode(s)
end

-- Puts exported state in this scope. A lease ends here no sooner than it would have where
-- it came from (its time left counts from now: the clocks of two nodes are never compared).
local function import_state(text)
  local s = cjson.decode(text)
  local fence = math.max(s.fence, tonumber(redis.call('GET', P .. 'fence:' .. r) or '0'))
  if fence > 0 then redis.call('SET', P .. 'fence:' .. r, fence) end
  for h, v in pairs(s.carried) do redis.call('HSET', P .. h, r, v) end
  for _, l in ipairs(s.leases) do
    local lease = cjson.decode(l.lease)
    lease.expires = now + l.left
    redis.call('HSET', P .. 'leases', l.token, cjson.encode(lease))
    redis.call('ZADD', P .. 'expiry', lease.expires, l.token)
    redis.call('SADD', P .. 'holders:' .. r, l.token)
    redis.call('DEL', P .. 'moved:' .. l.token)
  end
  wake_head()
end

local function transit_of()
  local raw = redis.call('HGET', P .. 'transit', r)
  return raw and cjson.decode(raw)
end

-- Pool scope: the state of r here.
local function member_state()
  if redis.call('HEXISTS', P .. 'transit', r) == 1 then return 'transit' end
  if redis.call('SISMEMBER', P .. 'members', r) == 1 then return 'member' end
  if redis.call('SISMEMBER', P .. 'leaving', r) == 1 then return 'leaving' end
  return 'absent'
end

-- Pool scope: a free member or leaving r starts out (its state waits in `transit`); a held
-- one stays as leaving, never offered by --pool, until a later pool command finds it free.
local function leave()
  prune()
  if redis.call('SISMEMBER', P .. 'members', r) == 0 and redis.call('SISMEMBER', P .. 'leaving', r) == 0 then
    return reply('absent')
  end
  redis.call('SREM', P .. 'members', r)
  if redis.call('SCARD', P .. 'holders:' .. r) > 0 then
    redis.call('SADD', P .. 'leaving', r)
    return reply('leaving')
  end
  redis.call('SREM', P .. 'leaving', r)
  local via = redis.call('HGET', P .. 'via', r) or ''
  redis.call('HDEL', P .. 'via', r)
  local move = {dir = 'out', id = id, via = via, state = export_state('')}
  redis.call('HSET', P .. 'transit', r, cjson.encode(move))
  return reply('out', {transit = cjson.encode(move)})
end

-- Own scope: what was exported under this id, if it was.
local function exported()
  if redis.call('HGET', P .. 'name', 'transfer') ~= id then return nil end
  local box = redis.call('GET', P .. 'outbox')
  box = box and cjson.decode(box)
  if box and box.id == id then return reply('exported', {state = box.state}) end
  return reply('done')
end

if step == 'pool-name' then
  -- Own scope of pool r: refused when a resource has that name (it was granted, is waited
  -- for, is a member, or carries a slot count, labels, properties or a reservation).
  -- ARGV[3] "1" (set, add) marks it a pool and starts a new generation of it. Answers the
  -- pool's generation.
  if redis.call('HGET', P .. 'name', 'pool') or redis.call('EXISTS', P .. 'fence:' .. r) == 1 or
     redis.call('ZCARD', P .. 'queue') > 0 or redis.call('SCARD', P .. 'holders:' .. r) > 0 then
    return reply('pool-is-resource')
  end
  for _, h in ipairs({'slots', 'labels', 'props', 'reserved'}) do
    if redis.call('HEXISTS', P .. h, r) == 1 then return reply('pool-is-resource') end
  end
  local gen = tonumber(redis.call('HGET', P .. 'name', 'gen') or '0')
  if id == '1' then
    redis.call('HSET', P .. 'name', 'is_pool', '1')
    gen = redis.call('HINCRBY', P .. 'name', 'gen', 1)
  end
  return reply('ok', {gen = gen})
elseif step == 'close' then
  -- Pool scope: when nothing is left (no member, leaver or move), claims made under
  -- generation ARGV[3] or an older one are refused from now on.
  if redis.call('SCARD', P .. 'members') + redis.call('SCARD', P .. 'leaving') + redis.call('HLEN', P .. 'transit') > 0 then
    return reply('open')
  end
  local closed = redis.call('GET', P .. 'closed')
  if not closed or tonumber(id) > tonumber(closed) then redis.call('SET', P .. 'closed', id) end
  return reply('closed')
elseif step == 'tidy' then
  -- Own scope of pool r, closed at generation ARGV[3]: r is a pool no more, unless a set or
  -- add began a newer generation since.
  if tonumber(redis.call('HGET', P .. 'name', 'gen') or '0') == tonumber(id) then
    redis.call('HDEL', P .. 'name', 'is_pool')
  end
  return reply('ok')
elseif step == 'claim' then
  -- Pool scope: r starts joining, unless it is here already (a leaving r is a member again).
  -- Refused ('stale') when the pool was closed at the claim's generation (ARGV[4]) or a
  -- newer one: the name may be a plain resource's by now, and is checked again.
  local closed = redis.call('GET', P .. 'closed')
  if closed and tonumber(ARGV[4]) <= tonumber(closed) then return reply('stale') end
  local st = member_state()
  if st == 'leaving' then
    redis.call('SREM', P .. 'leaving', r)
    redis.call('SADD', P .. 'members', r)
    return reply('member')
  end
  if st ~= 'absent' then return reply(st) end
  redis.call('HSET', P .. 'transit', r, cjson.encode({dir = 'in', id = id}))
  return reply('claimed')
elseif step == 'export' then
  -- Own scope: r's state leaves for pool ARGV[4] (scope ARGV[5]); from here r is granted
  -- only there, once imported.
  if redis.call('EXISTS', P .. 'cancelled:' .. id) == 1 then return reply('cancelled') end
  local done = exported()
  if done then return done end
  local name = redis.call('HMGET', P .. 'name', 'pool', 'is_pool')
  if name[2] then return reply('member-is-pool') end
  if name[1] then return reply('in-pool', {pool = name[1]}) end
  prune()
  local state = export_state(ARGV[5])
  redis.call('HSET', P .. 'name', 'pool', ARGV[4], 'transfer', id)
  redis.call('SET', P .. 'outbox', cjson.encode({id = id, state = state}), 'EX', KEEP)
  return reply('exported', {state = state})
elseif step == 'cancel' then
  -- Own scope: this id is never exported from now on (unless it was already).
  local done = exported()
  if done then return done end
  redis.call('SET', P .. 'cancelled:' .. id, '1', 'EX', KEEP)
  return reply('cancelled')
elseif step == 'import' then
  -- Pool scope: the exported state (ARGV[4]) arrives; r is a member.
  local move = transit_of()
  if not move or move.id ~= id then return reply('stale') end
  prune()
  import_state(ARGV[4])
  redis.call('HDEL', P .. 'transit', r)
  redis.call('SADD', P .. 'members', r)
  redis.call('HSET', P .. 'via', r, id)
  return reply('ok')
elseif step == 'drop-outbox' or step == 'forget' or step == 'done-out' then
  if step == 'drop-outbox' then
    local box = redis.call('GET', P .. 'outbox')
    if box and cjson.decode(box).id == id then redis.call('DEL', P .. 'outbox') end
  else
    local move = transit_of()
    if move and move.id == id then redis.call('HDEL', P .. 'transit', r) end
  end
  return reply('ok')
elseif step == 'leave' then
  return leave()
elseif step == 'land' then
  -- Own scope: the state of r leaving pool ARGV[4] (ARGV[5]: the transit JSON) arrives, if
  -- the name still points at that pool by the move that brought r there.
  local move = cjson.decode(ARGV[5])
  local name = redis.call('HMGET', P .. 'name', 'pool', 'transfer')
  if name[1] ~= ARGV[4] or (name[2] or '') ~= move.via then return reply('stale') end
  prune()
  import_state(move.state)
  redis.call('HDEL', P .. 'name', 'pool')
  redis.call('HSET', P .. 'name', 'transfer', id)
  return reply('ok')
elseif step == 'in-other-pool' then
  -- Pool scope: r is wanted by another pool. A free leaving r starts out of this one.
  local st = member_state()
  if st == 'leaving' then return leave() end
  return reply(st)
elseif step == 'summary' then
  prune()
  local members = redis.call('SMEMBERS', P .. 'members')
  table.sort(members)
  local count = #members + redis.call('SCARD', P .. 'leaving') + redis.call('HLEN', P .. 'transit')
  return reply('ok', {members = members, leaving = redis.call('SMEMBERS', P .. 'leaving'), count = count})
end
return reply('unknown-step')
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
const Script& move_script() { static const Script s = make(k_move); return s; }
const Script& resource_setting_script() { static const Script s = make(k_resource_setting); return s; }
const Script& note_script() { static const Script s = make(k_note); return s; }

}  // namespace ciutils::lockctl
