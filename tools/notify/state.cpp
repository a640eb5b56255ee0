#include "state.h"

#include "payload.h"

#include <ciutils/clean_text.h>
#include <ciutils/cli.h>
#include <ciutils/error.h>

namespace ciutils::notify {

namespace {

// KEYS[1] state hash. ARGV: failed|passed, N, M, remind_ms, ttl_s, dry, recover_after.
// Every event sent gets a version (Redis time in ms, strictly increasing per key), so a
// spooled alert can tell that a later event of its key superseded it; an incident is
// named by the version of its trigger.
const Script k_transition_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local s = redis.call('HMGET', KEYS[1], 'alerting', 'history', 'failures', 'last_sent', 'since', 'version',
                     'incident', 'passes')
local alerting = s[1] == '1'
local history = s[2] or ''
local failures = tonumber(s[3] or '0')
local last_sent = tonumber(s[4] or '0')
local since = tonumber(s[5] or '0')
local version = tonumber(s[6] or '0')
local incident = tonumber(s[7] or '0')
local passes = tonumber(s[8] or '0')
local n, m, remind = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local recover_after = tonumber(ARGV[7])
local failed = ARGV[1] == 'failed'
history = history .. (failed and 'F' or 'P')
if #history > m then history = string.sub(history, #history - m + 1) end
local decision = 'none'
local ended_failures, ended_since = 0, 0
if failed then
  failures = failures + 1
  passes = 0
  if since == 0 then since = now end
  if not alerting then
    local _, count = string.gsub(history, 'F', '')
    if count >= n then
      alerting = true
      decision = 'trigger'
      last_sent = now
    end
  elseif remind > 0 and now - last_sent >= remind then
    decision = 'remind'
    last_sent = now
  end
elseif alerting then
  passes = passes + 1
  if passes >= recover_after then
    decision = 'recover'
    -- The recovery reports the streak that ended.
    ended_failures, ended_since = failures, since
    alerting = false
    failures, since, last_sent, passes = 0, 0, 0, 0
  end
else
  failures, since, last_sent, passes = 0, 0, 0, 0
end
local event_incident = incident
if decision ~= 'none' then
  version = math.max(now, version + 1)
  if decision == 'trigger' then incident = version end
  event_incident = incident
  if decision == 'recover' then incident = 0 end
end
if ARGV[6] ~= '1' then
  redis.call('HSET', KEYS[1], 'alerting', alerting and '1' or '0', 'history', history,
             'failures', failures, 'last_sent', last_sent, 'since', since, 'updated', now,
             'version', version, 'incident', incident, 'passes', passes)
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
end
if decision == 'recover' then return {decision, ended_failures, history, ended_since, version, event_incident, 0} end
return {decision, failures, history, since, version, event_incident, passes}
)lua");

// KEYS[1] state hash. The version of the key's last event (0 when none is known).
const Script k_version_script(R"lua(
return tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
)lua");

// KEYS[1] next free slot (ms). ARGV: interval_ms. Returns the wait in ms.
const Script k_reserve_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 1000)
return slot - now
)lua");

// KEYS[1] next free slot (ms). ARGV: wait_ms. Pushes the slot to at least now + wait.
const Script k_hold_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
)lua");

std::string state_key(const KeySpace& keys, std::string_view key) {
  return keys.key("notify:" + std::string(key), "state");
}

Decision parse_decision(const std::string& text) {
  if (text == "trigger") return Decision::trigger;
  if (text == "remind") return Decision::remind;
  if (text == "recover") return Decision::recover;
  return Decision::none;
}

}  // namespace

Threshold parse_threshold(std::string_view text, std::string_view flag) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    throw UsageError(std::string(flag) + ": expected N/M such as 3/5, got '" + std::string(text) + "'");
  Threshold t;
  t.failures = static_cast<int>(parse_integer(text.substr(0, slash), flag, 1, 1000));
  t.window = static_cast<int>(parse_integer(text.substr(slash + 1), flag, 1, 1000));
  if (t.failures > t.window)
    throw UsageError(std::string(flag) + ": N must not exceed M in N/M, got '" + std::string(text) + "'");
  return t;
}

void check_key(std::string_view key, std::string_view flag) {
  if (key.empty() || key.size() > 200)
    throw UsageError(std::string(flag) + ": must be 1 to 200 characters");
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '{' || c == '}')
      throw UsageError(std::string(flag) + ": must not contain control characters or braces");
  }
  if (clean_text(key) != key) throw UsageError(std::string(flag) + ": must be valid UTF-8");
}

Transition record_outcome(Redis& redis, const KeySpace& keys, std::string_view key, bool failed,
                          const LifecycleOptions& options) {
  auto reply = redis.eval(k_transition_script, {state_key(keys, key)},
                          {failed ? "failed" : "passed", std::to_string(options.threshold.failures),
                           std::to_string(options.threshold.window), std::to_string(options.remind.count()),
                           std::to_string(options.ttl.count()), options.dry_run ? "1" : "0",
                           std::to_string(options.recover_after)});
  Transition t;
  t.decision = parse_decision(reply[0].string());
  t.failures = reply[1].integer();
  t.history = reply[2].string();
  t.since_ms = reply[3].integer();
  t.version = reply[4].integer();
  t.incident = reply[5].integer();
  t.passes = reply[6].integer();
  return t;
}

long long current_version(Redis& redis, const KeySpace& keys, std::string_view key) {
  return redis.eval(k_version_script, {state_key(keys, key)}, {}).integer();
}

std::chrono::milliseconds reserve_send_slot(Redis& redis, const KeySpace& keys, std::string_view dest_id,
                                            std::chrono::milliseconds interval) {
  auto reply = redis.eval(k_reserve_script, {keys.key("notify-rate:" + std::string(dest_id), "next")},
                          {std::to_string(interval.count())});
  return std::chrono::milliseconds(reply.integer());
}

void hold_destination(Redis& redis, const KeySpace& keys, std::string_view dest_id,
                      std::chrono::milliseconds wait) {
  redis.eval(k_hold_script, {keys.key("notify-rate:" + std::string(dest_id), "next")},
             {std::to_string(wait.count())});
}

std::string destination_id(std::string_view expanded_url) {
  // A keyed hash of the URL: the same destination maps to the same key on every
  // machine, and the key name says nothing about the URL's secret parts.
  return hmac_sha256_hex("ciutils notify rate", expanded_url).substr(0, 24);
}

}  // namespace ciutils::notify
