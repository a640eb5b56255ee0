#include "spool.h"

#include <ciutils/atomic_file.h>
#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <limits.h>
#include <unistd.h>

namespace ciutils::notify {

namespace json = boost::json;

namespace {

// Takes the oldest stale claim over, else the list's first entry, as a claim named ARGV[1]..now.
// KEYS: list, claimed hash, claims sorted set. ARGV: claimer, claim timeout (ms).
const Script k_claim_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local entry
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 1)
if #stale > 0 then
  entry = redis.call('HGET', KEYS[2], stale[1])
  redis.call('HDEL', KEYS[2], stale[1])
  redis.call('ZREM', KEYS[3], stale[1])
end
if not entry then entry = redis.call('LPOP', KEYS[1]) end
if not entry then return false end
local id = ARGV[1] .. '-' .. now
redis.call('HSET', KEYS[2], id, entry)
redis.call('ZADD', KEYS[3], now, id)
return {id, entry}
)lua");

// Ends the claim ARGV[1]; with ARGV[2] (the entry), puts it back at the head of the list.
// Returns 0 when the claim no longer exists (another flush took it over).
const Script k_unclaim_script(R"lua(
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[1])
if ARGV[2] then redis.call('LPUSH', KEYS[1], ARGV[2]) end
return 1
)lua");

// Puts the claim ARGV[1] back at the head of the list if it still exists (its flush is gone).
const Script k_takeover_script(R"lua(
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('LPUSH', KEYS[1], entry)
return 1
)lua");

// Removes the list's entries for key ARGV[1] and destination ARGV[2] older than version
// ARGV[3]; returns {event, incident} of each. KEYS: list.
const Script k_withdraw_script(R"lua(
local out = {}
local v = tonumber(ARGV[3])
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, e = pcall(cjson.decode, item)
  if ok and type(e) == 'table' and type(e.alert) == 'table' and type(e.destination) == 'table'
     and e.alert.key == ARGV[1] and e.destination.spec == ARGV[2]
     and tonumber(e.version or 0) > 0 and tonumber(e.version) < v then
    if redis.call('LREM', KEYS[1], 1, item) == 1 then
      table.insert(out, e.alert.event)
      table.insert(out, tostring(e.incident or 0))
    end
  end
end
return out
)lua");

constexpr std::string_view k_claim_marker = ".claimed-";

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  std::string host(buf);
  for (auto& c : host)
    if (c == '/' || c == ':' || c == ' ') c = '_';
  return host;
}

bool to_number(std::string_view text, long long& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string spool_entry_json(const Destination& dest, const Alert& alert, std::string_view spooled_at) {
  json::object d{{"spec", dest.spec},
                 {"name", dest.name},
                 {"required", dest.required},
                 {"timeout_ms", dest.timeout.count()},
                 {"retries", dest.retries},
                 {"rate_ms", dest.rate_interval.count()}};
  json::object entry{{"destination", std::move(d)}, {"alert", alert_to_json(alert)}, {"spooled_at", spooled_at}};
  if (alert.version) {
    entry["version"] = alert.version;
    entry["incident"] = alert.incident;
  }
  return to_json(entry);
}

std::pair<Destination, Alert> parse_spool_entry(const std::string& text, const std::string& where,
                                                Secrets& secrets) {
  auto value = parse_json(text, where);
  const auto& obj = as_object(value, where);
  const auto* d = obj.if_contains("destination");
  if (!d) throw UsageError(where + ": field 'destination' is missing");
  const auto& dobj = as_object(*d, where);
  auto dest = parse_destination(get_string(dobj, "spec", where), where, secrets);
  dest.name = get_string(dobj, "name", where);
  if (const auto* r = dobj.if_contains("required"); r && r->is_bool()) dest.required = r->as_bool();
  if (auto t = find_number(dobj, "timeout_ms", where)) dest.timeout = std::chrono::milliseconds(static_cast<long long>(*t));
  if (auto r = find_number(dobj, "retries", where)) dest.retries = static_cast<int>(*r);
  if (auto r = find_number(dobj, "rate_ms", where)) dest.rate_interval = std::chrono::milliseconds(static_cast<long long>(*r));
  const auto* a = obj.if_contains("alert");
  if (!a) throw UsageError(where + ": field 'alert' is missing");
  auto alert = alert_from_json(*a, where);
  alert.version = static_cast<long long>(find_number(obj, "version", where).value_or(0));
  alert.incident = static_cast<long long>(find_number(obj, "incident", where).value_or(0));
  return {std::move(dest), std::move(alert)};
}

std::optional<ClaimName> parse_claim_name(const std::string& name) {
  auto at = name.rfind(k_claim_marker);
  if (at == std::string::npos || at == 0) return std::nullopt;
  ClaimName c;
  c.base = name.substr(0, at);
  std::string rest = name.substr(at + k_claim_marker.size());
  auto ms_at = rest.rfind('-');
  if (ms_at == std::string::npos) return std::nullopt;
  auto pid_at = rest.rfind('-', ms_at == 0 ? 0 : ms_at - 1);
  if (pid_at == std::string::npos || pid_at == 0) return std::nullopt;
  c.host = rest.substr(0, pid_at);
  if (!to_number(std::string_view(rest).substr(pid_at + 1, ms_at - pid_at - 1), c.pid) ||
      !to_number(std::string_view(rest).substr(ms_at + 1), c.claimed_ms))
    return std::nullopt;
  return c;
}

std::string claim_name(const std::string& base, const std::string& host, long long pid, long long claimed_ms) {
  return base + std::string(k_claim_marker) + host + "-" + std::to_string(pid) + "-" + std::to_string(claimed_ms);
}

Spool Spool::directory(std::filesystem::path dir) {
  Spool s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("--spool: " + dir.string() + ": " + ec.message());
  s.m_dir = std::move(dir);
  s.m_host = host_name();
  return s;
}

Spool Spool::redis_list(Redis& redis, const KeySpace& keys) {
  Spool s;
  s.m_redis = &redis;
  s.m_list_key = keys.key("notify", "spool");
  s.m_claimed_key = keys.key("notify", "spool:claimed");
  s.m_claims_key = keys.key("notify", "spool:claims");
  s.m_host = host_name();
  return s;
}

void Spool::push(const std::string& entry) {
  if (m_dir) {
    static std::atomic<int> counter{0};
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto name = std::to_string(now) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".json";
    write_file_atomic(*m_dir / name, entry + "\n");
    return;
  }
  m_redis->command({"RPUSH", m_list_key, entry});
}

std::vector<SpoolEntry> Spool::list() {
  std::vector<SpoolEntry> out;
  if (m_dir) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(*m_dir))
      if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) out.push_back({f.string(), read_text_file(f), f.string()});
    return out;
  }
  for (auto& text : m_redis->command({"LRANGE", m_list_key, "0", "-1"}).strings())
    out.push_back({m_list_key, std::move(text), m_list_key});
  return out;
}

bool Spool::stale(const ClaimName& claim, long long now) const {
  if (claim.host == m_host && claim.pid > 0 && claim.pid != ::getpid() &&
      ::kill(static_cast<pid_t>(claim.pid), 0) != 0 && errno == ESRCH)
    return true;  // its flush is gone
  return now - claim.claimed_ms >= m_claim_timeout.count();
}

std::optional<SpoolEntry> Spool::claim() { return m_dir ? claim_file() : claim_redis(); }

std::optional<SpoolEntry> Spool::claim_file() {
  if (!m_scanned) {
    // One snapshot per flush: entries spooled or put back later wait for the next flush.
    m_scanned = true;
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(*m_dir, ec)) {
      std::error_code gone;  // another flush may rename a file under us: skip it
      if (e.is_regular_file(gone)) files.push_back(e.path());
    }
    if (ec) throw ServiceError("--spool: " + m_dir->string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    m_candidates.assign(files.begin(), files.end());
  }
  while (!m_candidates.empty()) {
    auto from = m_candidates.front();
    m_candidates.pop_front();
    auto name = from.filename().string();
    std::string base;
    if (auto c = parse_claim_name(name)) {
      if (std::filesystem::path(c->base).extension() != ".json" || !stale(*c, now_ms())) continue;
      base = c->base;
    } else if (from.extension() == ".json") {
      base = name;
    } else {
      continue;  // a temporary file being written, or something else
    }
    auto to = *m_dir / claim_name(base, m_host, ::getpid(), now_ms());
    // rename() is atomic: of several flushes racing for one file, exactly one succeeds.
    if (::rename(from.c_str(), to.c_str()) != 0) {
      if (errno == ENOENT) continue;  // another flush claimed it first
      throw ServiceError("--spool: cannot claim " + from.string() + ": " + std::strerror(errno));
    }
    try {
      return SpoolEntry{to.string(), read_text_file(to), (*m_dir / base).string()};
    } catch (...) {
      ::rename(to.c_str(), (*m_dir / base).c_str());
      throw;
    }
  }
  return std::nullopt;
}

std::optional<SpoolEntry> Spool::claim_redis() {
  if (!m_scanned) {
    // Claims named "<host>-<pid>-<n>-<ms>" whose process is gone on this host go back at once.
    m_scanned = true;
    for (const auto& id : m_redis->command({"ZRANGE", m_claims_key, "0", "-1"}).strings()) {
      auto c = parse_claim_name("x" + std::string(k_claim_marker) + id.substr(0, id.rfind('-')));
      if (!c || c->host != m_host || c->pid <= 0 || c->pid == ::getpid()) continue;
      if (::kill(static_cast<pid_t>(c->pid), 0) == 0 || errno != ESRCH) continue;
      m_redis->eval(k_takeover_script, {m_list_key, m_claimed_key, m_claims_key}, {id});
    }
  }
  auto claimer = m_host + "-" + std::to_string(::getpid()) + "-" + std::to_string(m_claims++);
  auto reply = m_redis->eval(k_claim_script, {m_list_key, m_claimed_key, m_claims_key},
                             {claimer, std::to_string(m_claim_timeout.count())});
  if (reply.is_nil()) return std::nullopt;
  return SpoolEntry{reply[0].string(), reply[1].string(), m_list_key};
}

bool Spool::remove(const SpoolEntry& entry) {
  if (m_dir) {
    std::error_code ec;
    return std::filesystem::remove(entry.id, ec);
  }
  return m_redis->eval(k_unclaim_script, {m_list_key, m_claimed_key, m_claims_key}, {entry.id}).integer() == 1;
}

void Spool::release(const SpoolEntry& entry) {
  if (m_dir) {
    if (::rename(entry.id.c_str(), entry.home.c_str()) != 0 && errno != ENOENT)
      throw ServiceError("--spool: cannot put back " + entry.id + ": " + std::strerror(errno));
    return;
  }
  m_redis->eval(k_unclaim_script, {m_list_key, m_claimed_key, m_claims_key}, {entry.id, entry.text});
}

std::vector<Spool::Withdrawn> Spool::withdraw(const std::string& key, const std::string& spec, long long version) {
  std::vector<Withdrawn> out;
  if (!m_dir) {
    auto reply = m_redis->eval(k_withdraw_script, {m_list_key}, {key, spec, std::to_string(version)});
    auto items = reply.strings();
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
      out.push_back({parse_event(items[i], m_list_key), std::stoll(items[i + 1])});
    return out;
  }
  for (const auto& entry : list()) {
    Alert alert;
    std::string entry_spec;
    try {
      auto value = parse_json(entry.text, entry.id);
      const auto& obj = as_object(value, entry.id);
      const auto* d = obj.if_contains("destination");
      const auto* a = obj.if_contains("alert");
      if (!d || !a) continue;
      entry_spec = get_string(as_object(*d, entry.id), "spec", entry.id);
      alert = alert_from_json(*a, entry.id);
      alert.version = static_cast<long long>(find_number(obj, "version", entry.id).value_or(0));
      alert.incident = static_cast<long long>(find_number(obj, "incident", entry.id).value_or(0));
    } catch (const UsageError&) {
      continue;  // a malformed entry is flush's to report
    }
    if (alert.key != key || entry_spec != spec || alert.version <= 0 || alert.version >= version) continue;
    // Claimed first, like a flush would: a file another flush claimed is being sent now.
    auto claimed = *m_dir / claim_name(std::filesystem::path(entry.id).filename().string(), m_host, ::getpid(), now_ms());
    if (::rename(entry.id.c_str(), claimed.c_str()) != 0) continue;
    std::error_code ec;
    std::filesystem::remove(claimed, ec);
    out.push_back({alert.event, alert.incident});
  }
  return out;
}

std::string Spool::describe() const {
  return m_dir ? "spool directory " + m_dir->string() : "Redis list " + m_list_key;
}

}  // namespace ciutils::notify
