#include "queue_store.h"

#include "ciutils/error.h"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace ciutils::prun {

namespace {

// Jobs expected to take longer are leased only into a free slot: read ahead, they could
// wait behind this worker's running jobs while another worker idles.
constexpr double k_read_ahead_longest_s = 0.5;

// KEYS of every script, in this order.
constexpr const char* k_suffixes[] = {"meta",    "jobs",    "queued",  "leases",     "owner",  "since", "done",
                                      "crashes", "results", "duplicates", "counts", "workers", "seen",
                                      "parts",   "pushes",  "steps"};

// Shared by the scripts: Redis time, the run's expiry given to every key a script writes.
constexpr const char* k_prelude = R"LUA(
local meta, jobs, queued, leases, owner, since, done, crashes, results, duplicates, counts, workers, seen, parts, pushes,
  steps = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12],
  KEYS[13], KEYS[14], KEYS[15], KEYS[16]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local expires = redis.call('HGET', meta, 'expires_ms')
local function touch(key) redis.call('PEXPIREAT', key, expires) end
local function drop_lease(id)
  redis.call('ZREM', leases, id)
  redis.call('HDEL', owner, id)
  redis.call('HDEL', since, id)
end
-- A job of a plan carries its step (s), name (n), classname (c) and slot.
local function job_of(id) return cjson.decode(redis.call('HGET', jobs, id)) end
-- The record of a job no worker ran to its end, as prun writes records.
local function lost_record(job, status, message, started_ms, duration_s, attempts, host, run_id, stamp)
  return cjson.encode({name = job.n or job.line, classname = job.c or '', status = status,
    exit_code = cjson.null, signal = cjson.null, timed_out = false,
    started_at = started_ms and stamp(started_ms) or cjson.null, duration_s = duration_s, attempts = attempts,
    slot = cjson.null, host = host, run_id = run_id, command = job.line, stdout_tail = '', stderr_tail = '',
    log = cjson.null, message = message})
end
local function record_done(id, job, status, record)
  redis.call('HSET', done, id, status)
  redis.call('XADD', results, '*', 'id', id, 'record', record)
  redis.call('HINCRBY', counts, status, 1)
  redis.call('HINCRBYFLOAT', counts, 'done_s', job.t or 0)
  touch(done)
  touch(results)
  touch(counts)
end
-- A plan's job is settled: once its step has every job recorded and one of them failed,
-- the later steps' jobs are recorded as skipped, as prun skips the steps after a failed one.
local function settle(job, status, run_id)
  if not job.s then return end
  local left = redis.call('HINCRBY', steps, 'r:' .. job.s, -1)
  if status == 'failed' or status == 'timeout' or status == 'error' then
    redis.call('HINCRBY', steps, 'f:' .. job.s, 1)
  end
  touch(steps)
  if left > 0 or tonumber(redis.call('HGET', steps, 'f:' .. job.s) or '0') == 0 then return end
  for _, id in ipairs(redis.call('LRANGE', queued, 0, -1)) do
    local later = job_of(id)
    if later.s > job.s then
      redis.call('LREM', queued, 1, id)
      record_done(id, later, 'skipped', lost_record(later, 'skipped', 'not started: an earlier step failed', nil, 0, 0,
                                                   '', run_id, nil))
      redis.call('HINCRBY', steps, 'r:' .. later.s, -1)
    end
  end
end
)LUA";

const Script& push_script() {
  // ARGV: digest, jobs, ttl_ms, estimate_s, pusher, append (0/1), plan text (or ''), then each job
  // A plain push loads a sealed run once; --append adds each distinct list (a part) to an
  // open run until it is sealed. Every change is announced on the pushes stream.
  static const Script s(std::string(k_prelude) + R"LUA(
local digest, append = ARGV[1], ARGV[6] == '1'
local known = redis.call('HMGET', meta, 'digest', 'total', 'sealed')
local total = tonumber(known[2] or '0')
if known[2] then
  if known[1] == digest or (append and redis.call('SISMEMBER', parts, digest) == 1) then return {0, total} end
  if known[3] ~= '0' then return {append and -2 or -1, total} end
  if not append then return {-3, total} end
end
local now = now_ms()
if not known[2] then
  expires = now + tonumber(ARGV[3])
  redis.call('HSET', meta, 'digest', append and '' or digest, 'total', 0, 'created_ms', now, 'expires_ms', expires,
             'estimate_s', 0, 'pushed_by', ARGV[5], 'sealed', append and 0 or 1)
  if ARGV[7] ~= '' then redis.call('HSET', meta, 'plan', ARGV[7]) end
end
touch(meta)
if append then
  redis.call('SADD', parts, digest)
  touch(parts)
end
local n = 0
for i = 8, #ARGV do
  n = n + 1
  redis.call('HSET', jobs, total + n, ARGV[i])
  redis.call('RPUSH', queued, total + n)
  local step = cjson.decode(ARGV[i]).s
  if step then redis.call('HINCRBY', steps, 'r:' .. step, 1) end
end
if redis.call('EXISTS', steps) == 1 then touch(steps) end
redis.call('HINCRBY', meta, 'total', n)
redis.call('HINCRBYFLOAT', meta, 'estimate_s', ARGV[4])
if n > 0 then touch(jobs); touch(queued) end
redis.call('XADD', pushes, 'MAXLEN', '~', 100, '*', 'jobs', n)
touch(pushes)
return {1, total + n}
)LUA");
  return s;
}

const Script& seal_script() {
  static const Script s(std::string(k_prelude) + R"LUA(
if not expires then return {-1} end
local was = redis.call('HGET', meta, 'sealed')
if was ~= '1' then
  redis.call('HSET', meta, 'sealed', 1)
  redis.call('XADD', pushes, 'MAXLEN', '~', 100, '*', 'sealed', 1)
  touch(pushes)
end
return {was == '1' and 0 or 1, tonumber(redis.call('HGET', meta, 'total'))}
)LUA");
  return s;
}

// ISO 8601 UTC of Redis milliseconds, for the record of a quarantined job.
constexpr const char* k_iso = R"LUA(
local function iso(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600),
                       math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end
)LUA";

const Script& lease_script() {
  // ARGV: worker, host, lease_ms, max_crashes, free, max_ahead, run_id, longest job read ahead (s),
  // the plan's step to lease from (-1: not a plan)
  static const Script s(std::string(k_prelude) + k_iso + R"LUA(
if not expires then return {-1} end
local worker, host, lease_ms, max_crashes = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
redis.call('HSET', workers, worker, host)
redis.call('HSET', seen, worker, now)
touch(workers)
touch(seen)
-- Leases that ran out: their worker is gone (or stopped); the job goes back to the head
-- of the queue, or is quarantined once its workers were lost max_crashes times.
local quarantined = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now)) do
  local who = redis.call('HGET', owner, id) or ''
  local started = tonumber(redis.call('HGET', since, id) or now)
  drop_lease(id)
  if redis.call('HEXISTS', done, id) == 0 then
    local lost = redis.call('HINCRBY', crashes, id, 1)
    touch(crashes)
    if lost >= max_crashes then
      local job = job_of(id)
      record_done(id, job, 'error', lost_record(job, 'error',
        'quarantined: the worker running it was lost ' .. lost .. ' times (its lease expired; --max-crashes ' .. max_crashes .. ')',
        started, (now - started) / 1000, lost, redis.call('HGET', workers, who) or '', ARGV[7], iso))
      redis.call('HINCRBY', counts, 'quarantined', 1)
      settle(job, 'error', ARGV[7])
      quarantined[#quarantined + 1] = job.n or job.line
    else
      redis.call('LPUSH', queued, id)
      touch(queued)
    end
  end
end
-- The batch: the free slots, plus a read-ahead while the queue is long, so the tail balances.
local want, step = tonumber(ARGV[5]), tonumber(ARGV[9])
if want > 0 then
  local active = 0
  local seen_all = redis.call('HGETALL', seen)
  for i = 2, #seen_all, 2 do
    if tonumber(seen_all[i]) > now - 3 * lease_ms then active = active + 1 end
  end
  -- Of a plan, what is left is the asked-for step's jobs, not every later step's.
  local left = redis.call('LLEN', queued)
  if step >= 0 then left = tonumber(redis.call('HGET', steps, 'r:' .. step) or '0') end
  local ahead = math.floor(left / (4 * math.max(active, 1)))
  want = want + math.min(ahead, tonumber(ARGV[6]))
end
local free = tonumber(ARGV[5])
local taken = {}
for n = 1, want do
  local head = redis.call('LINDEX', queued, 0)
  if not head then break end
  local text = redis.call('HGET', jobs, head)
  local job = cjson.decode(text)
  -- A plan's steps run in order: only the asked-for step's jobs.
  if step >= 0 and job.s ~= step then break end
  -- Beyond the free slots only jobs known to be short (or of unknown length: while the queue
  -- is long, one waiting here costs nobody): a long one waiting here could run elsewhere.
  if n > free and not job.u and (job.t or 0) > tonumber(ARGV[8]) then break end
  redis.call('LPOP', queued)
  redis.call('ZADD', leases, now + lease_ms, head)
  redis.call('HSET', owner, head, worker)
  redis.call('HSET', since, head, now)
  taken[#taken + 1] = head
  taken[#taken + 1] = text
end
if #taken > 0 then touch(leases); touch(owner); touch(since) end
local next_expiry = -1
local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
if #first > 0 then next_expiry = tonumber(first[2]) end
local function last_id(stream)
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  if #last > 0 then return last[1][1] end
  return '0-0'
end
local queued_n = redis.call('LLEN', queued)
local step_done = 0
if step >= 0 then
  local head = redis.call('LINDEX', queued, 0)
  if not head or job_of(head).s ~= step then queued_n = 0 end
  if tonumber(redis.call('HGET', steps, 'r:' .. step) or '0') <= 0 then step_done = 1 end
end
return {1, queued_n, redis.call('ZCARD', leases), redis.call('HLEN', done),
        tonumber(redis.call('HGET', meta, 'total')), next_expiry, now, quarantined, taken, last_id(results),
        redis.call('HGET', meta, 'sealed') ~= '0' and 1 or 0, last_id(pushes), step_done}
)LUA");
  return s;
}

const Script& renew_script() {
  // ARGV: worker, host, lease_ms, ids…
  static const Script s(std::string(k_prelude) + R"LUA(
if not expires then return {-1} end
local worker = ARGV[1]
local now = now_ms()
redis.call('HSET', workers, worker, ARGV[2])
redis.call('HSET', seen, worker, now)
local lost = {}
for i = 4, #ARGV do
  if redis.call('HGET', owner, ARGV[i]) == worker then
    redis.call('ZADD', leases, 'XX', now + tonumber(ARGV[3]), ARGV[i])
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return {1, lost}
)LUA");
  return s;
}

const Script& complete_script() {
  // ARGV: worker, run_id, then id, status, record for each completion
  static const Script s(std::string(k_prelude) + R"LUA(
if not expires then return {-1} end
local worker = ARGV[1]
local recorded = {}
for i = 3, #ARGV, 3 do
  local id, status, record = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local holder = redis.call('HGET', owner, id)
  if redis.call('HEXISTS', done, id) == 1 then
    -- A later completion of a job whose lease ran out and was run again: kept aside.
    redis.call('XADD', duplicates, 'MAXLEN', '~', 10000, '*', 'id', id, 'worker', worker, 'record', record)
    touch(duplicates)
    if holder == worker then drop_lease(id) end
    recorded[#recorded + 1] = 0
  else
    local job = job_of(id)
    record_done(id, job, status, record)
    if holder then drop_lease(id) end
    redis.call('LREM', queued, 1, id)
    settle(job, status, ARGV[2])
    recorded[#recorded + 1] = 1
  end
end
return {1, recorded}
)LUA");
  return s;
}

const Script& release_script() {
  // ARGV: worker, ids…
  static const Script s(std::string(k_prelude) + R"LUA(
if not expires then return 0 end
local n = 0
for i = #ARGV, 2, -1 do
  local id = ARGV[i]
  if redis.call('HGET', owner, id) == ARGV[1] and redis.call('HEXISTS', done, id) == 0 then
    drop_lease(id)
    redis.call('LPUSH', queued, id)
    n = n + 1
  end
end
if n > 0 then touch(queued) end
return n
)LUA");
  return s;
}

const Script& status_script() {
  static const Script s(std::string(k_prelude) + R"LUA(
if not expires then return {-1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local m = redis.call('HMGET', meta, 'total', 'created_ms', 'expires_ms', 'estimate_s', 'sealed')
return {1, tonumber(m[1]), redis.call('LLEN', queued), redis.call('ZCARD', leases), redis.call('HLEN', done),
        redis.call('XLEN', duplicates), tonumber(m[2]), tonumber(m[3]), now, m[4] or '0',
        redis.call('HGETALL', counts), redis.call('HGETALL', owner), redis.call('HGETALL', workers),
        m[5] ~= '0' and 1 or 0}
)LUA");
  return s;
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("._:@/+=-").find(c) != std::string_view::npos;
}

PushedJob decode_job(const std::string& text) {
  auto o = boost::json::parse(text).as_object();
  PushedJob job;
  job.line = o.at("line").as_string().c_str();
  job.estimate_s = o.at("t").to_number<double>();
  if (auto s = o.if_contains("s")) {
    job.step = static_cast<int>(s->to_number<long long>());
    job.name = o.at("n").as_string().c_str();
    job.classname = o.at("c").as_string().c_str();
    if (auto slot = o.if_contains("slot")) job.slot = static_cast<int>(slot->to_number<long long>());
  } else {
    job.name = job.line;
  }
  return job;
}

double to_double(const std::string& text) {
  try {
    return std::stod(text);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

void validate_queue_name(std::string_view name, std::string_view flag) {
  if (name.empty()) throw UsageError(std::string(flag) + ": empty value");
  if (name.size() > 200) throw UsageError(std::string(flag) + ": longer than 200 characters");
  for (char c : name) {
    if (!valid_name_char(c)) {
      throw UsageError(std::string(flag) + ": invalid value '" + std::string(name) +
                       "' (letters, digits and ._:@/+=- only)");
    }
  }
}

QueueKeys::QueueKeys(const KeySpace& space, const std::string& queue, const std::string& run_id)
    : m_queue(queue), m_run_id(run_id) {
  std::string tag = "prunq:" + queue + "/" + run_id;
  for (const char* suffix : k_suffixes) m_keys.push_back(space.key(tag, suffix));
}

PushResult push_run(Redis& redis, const QueueKeys& keys, const std::string& digest,
                    const std::vector<PushedJob>& jobs, std::chrono::milliseconds ttl, const std::string& pusher,
                    bool append, const std::string& plan_text) {
  double estimate = 0;
  for (const auto& job : jobs) estimate += job.estimate_s;
  std::vector<std::string> args = {digest, std::to_string(jobs.size()), std::to_string(ttl.count()),
                                   std::to_string(estimate), pusher, append ? "1" : "0", plan_text};
  args.reserve(jobs.size() + args.size());
  for (const auto& job : jobs) {
    boost::json::object o;
    o["line"] = job.line;
    o["t"] = job.estimate_s;
    if (!job.timed) o["u"] = 1;
    if (job.step >= 0) {
      o["s"] = job.step;
      o["n"] = job.name;
      o["c"] = job.classname;
      if (job.slot >= 0) o["slot"] = job.slot;
    }
    args.push_back(boost::json::serialize(o));
  }
  Reply reply = redis.eval(push_script(), keys.all(), args);
  switch (reply[0].integer()) {
    case 1: return {PushOutcome::loaded, reply[1].integer()};
    case 0: return {PushOutcome::already_loaded, reply[1].integer()};
    case -2: return {PushOutcome::sealed, reply[1].integer()};
    case -3: return {PushOutcome::open, reply[1].integer()};
    default: return {PushOutcome::different, reply[1].integer()};
  }
}

std::optional<SealResult> seal_run(Redis& redis, const QueueKeys& keys) {
  Reply reply = redis.eval(seal_script(), keys.all(), {});
  if (reply[0].integer() < 0) return std::nullopt;
  return SealResult{reply[0].integer() == 1, reply[1].integer()};
}

LeaseResult lease_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker, int free, int max_ahead, int step) {
  Reply reply = redis.eval(lease_script(), keys.all(),
                           {worker.id, worker.host, std::to_string(worker.lease.count()),
                            std::to_string(worker.max_crashes), std::to_string(std::max(free, 0)),
                            std::to_string(max_ahead), keys.run_id(), std::to_string(k_read_ahead_longest_s),
                            std::to_string(step)});
  LeaseResult result;
  if (reply[0].integer() != 1) {
    result.run_exists = false;
    return result;
  }
  result.queued = reply[1].integer();
  result.leased = reply[2].integer();
  result.done = reply[3].integer();
  result.total = reply[4].integer();
  result.next_expiry_ms = reply[5].integer();
  result.now_ms = reply[6].integer();
  result.quarantined = reply[7].strings();
  auto taken = reply[8].strings();
  for (std::size_t i = 0; i + 1 < taken.size(); i += 2) result.jobs.emplace_back(taken[i], decode_job(taken[i + 1]));
  result.last_result_id = reply[9].string();
  result.sealed = reply[10].integer() == 1;
  result.last_push_id = reply[11].string();
  result.step_done = reply[12].integer() == 1;
  return result;
}

std::string read_plan_text(Redis& redis, const QueueKeys& keys) {
  Reply reply = redis.command({"HGET", keys.all()[0], "plan"});
  return reply.is_nil() ? std::string() : reply.string();
}

std::optional<std::vector<std::string>> renew_leases(Redis& redis, const QueueKeys& keys, const Worker& worker,
                                                     const std::vector<std::string>& ids) {
  std::vector<std::string> args = {worker.id, worker.host, std::to_string(worker.lease.count())};
  args.insert(args.end(), ids.begin(), ids.end());
  Reply reply = redis.eval(renew_script(), keys.all(), args);
  if (reply[0].integer() != 1) return std::nullopt;
  return reply[1].strings();
}

std::optional<std::vector<bool>> complete_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker,
                                               const std::vector<Completion>& completions) {
  std::vector<std::string> args = {worker.id, keys.run_id()};
  for (const auto& c : completions) {
    args.push_back(c.id);
    args.push_back(c.status);
    args.push_back(c.record);
  }
  Reply reply = redis.eval(complete_script(), keys.all(), args);
  if (reply[0].integer() != 1) return std::nullopt;
  std::vector<bool> recorded;
  for (std::size_t i = 0; i < reply[1].size(); ++i) recorded.push_back(reply[1][i].integer() == 1);
  return recorded;
}

void release_jobs(Redis& redis, const QueueKeys& keys, const Worker& worker, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> args = {worker.id};
  args.insert(args.end(), ids.begin(), ids.end());
  redis.eval(release_script(), keys.all(), args);
}

long long RunStatus::count(std::string_view status) const {
  for (const auto& [name, n] : counts) {
    if (name == status) return n;
  }
  return 0;
}

std::optional<RunStatus> read_status(Redis& redis, const QueueKeys& keys) {
  Reply reply = redis.eval(status_script(), keys.all(), {});
  if (reply[0].integer() != 1) return std::nullopt;
  RunStatus s;
  s.total = reply[1].integer();
  s.queued = reply[2].integer();
  s.leased = reply[3].integer();
  s.done = reply[4].integer();
  s.duplicates = reply[5].integer();
  s.created_ms = reply[6].integer();
  s.expires_ms = reply[7].integer();
  s.now_ms = reply[8].integer();
  s.estimate_s = to_double(reply[9].string());
  auto counts = reply[10].strings();
  for (std::size_t i = 0; i + 1 < counts.size(); i += 2) {
    if (counts[i] == "done_s") {
      s.done_estimate_s = to_double(counts[i + 1]);
    } else {
      s.counts.emplace_back(counts[i], static_cast<long long>(to_double(counts[i + 1])));
    }
  }
  std::map<std::string, std::string> hosts;
  auto workers = reply[12].strings();
  for (std::size_t i = 0; i + 1 < workers.size(); i += 2) hosts[workers[i]] = workers[i + 1];
  std::map<std::string, long long> held;
  auto owners = reply[11].strings();
  for (std::size_t i = 0; i + 1 < owners.size(); i += 2) ++held[owners[i + 1]];
  for (const auto& [worker, n] : held) s.leased_by.push_back({worker, hosts[worker], n});
  s.sealed = reply[13].integer() == 1;
  return s;
}

void wait_for_change(Redis& redis, const QueueKeys& keys, const std::string& after_result,
                     const std::string& after_push, std::chrono::milliseconds block) {
  redis.command({"XREAD", "COUNT", "1", "BLOCK", std::to_string(std::max<long long>(block.count(), 1)), "STREAMS",
                 keys.results(), keys.pushes(), after_result, after_push});
}

std::vector<std::string> read_results(Redis& redis, const std::string& stream, std::string& after, long long count) {
  std::string start = after == "0" ? "-" : "(" + after;
  Reply reply = redis.command({"XRANGE", stream, start, "+", "COUNT", std::to_string(count)});
  std::vector<std::string> records;
  for (std::size_t i = 0; i < reply.size(); ++i) {
    after = reply[i][0].string();
    auto fields = reply[i][1].strings();
    for (std::size_t f = 0; f + 1 < fields.size(); f += 2) {
      if (fields[f] == "record") records.push_back(fields[f + 1]);
    }
  }
  return records;
}

}  // namespace ciutils::prun
