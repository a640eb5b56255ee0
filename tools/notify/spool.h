// Alerts that could not be delivered, kept for `notify flush`: in a directory (--spool DIR,
// one file per alert) or in a Redis list. An entry holds the destination as written, with
// ${VAR} references unexpanded, so no secret is ever stored.
//
// Several flushes may run at once: each entry is claimed atomically before it is sent (a
// rename to "<file>.claimed-<host>-<pid>-<ms>", or a Lua script moving it from the list to
// a claimed hash), removed only once delivered, and put back when delivery failed. A claim
// whose flush died is taken over by a later flush: at once when its process is gone on the
// later flush's host, otherwise once it is older than the claim timeout.
#pragma once

#include "alert.h"
#include "destination.h"

#include <ciutils/redis.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::notify {

struct SpoolEntry {
  std::string id;    // the claimed file's path, or the claim's name in Redis
  std::string text;  // the JSON entry
  std::string home;  // where the entry goes back to: the unclaimed file's path (directory spool)
};

// The entry also carries the alert's key version and incident (see Spool::withdraw).
std::string spool_entry_json(const Destination& dest, const Alert& alert, std::string_view spooled_at);
// Re-creates the destination (expanding ${VAR} again) and the alert from an entry.
std::pair<Destination, Alert> parse_spool_entry(const std::string& text, const std::string& where,
                                                Secrets& secrets);

// "<base>.claimed-<host>-<pid>-<ms>" split up; nullopt for a name that is not a claim.
struct ClaimName {
  std::string base;  // the unclaimed file name, e.g. "1700000000-42-0.json"
  std::string host;
  long long pid = 0;
  long long claimed_ms = 0;  // Unix time of the claim, milliseconds
};
std::optional<ClaimName> parse_claim_name(const std::string& name);
std::string claim_name(const std::string& base, const std::string& host, long long pid, long long claimed_ms);

class Spool {
public:
  static constexpr std::chrono::milliseconds k_default_claim_timeout{std::chrono::minutes(15)};

  static Spool directory(std::filesystem::path dir);
  static Spool redis_list(Redis& redis, const KeySpace& keys);

  void push(const std::string& entry);
  // Every unclaimed entry, without claiming it (for --dry-run).
  std::vector<SpoolEntry> list();
  // The next entry, claimed for this process; nullopt when none is left to claim.
  std::optional<SpoolEntry> claim();
  // Delivered or rejected: the claimed entry is removed. False if the claim had been taken
  // over by another flush in the meantime (it outlived the claim timeout).
  bool remove(const SpoolEntry& entry);
  // Not delivered: the entry goes back to the spool for a later flush.
  void release(const SpoolEntry& entry);
  // Removes the unclaimed entries for `key` to the destination written as `spec` whose
  // version is older than `version`: a newer event of the key supersedes them. Returns
  // what was removed. Entries a flush has claimed (being sent right now) are left alone.
  struct Withdrawn {
    Event event = Event::message;
    long long incident = 0;
  };
  std::vector<Withdrawn> withdraw(const std::string& key, const std::string& spec, long long version);

  void set_claim_timeout(std::chrono::milliseconds timeout) { m_claim_timeout = timeout; }
  std::string describe() const;  // "spool directory /x" or "Redis list ciutils:{notify}:spool"

private:
  std::optional<SpoolEntry> claim_file();
  std::optional<SpoolEntry> claim_redis();
  bool stale(const ClaimName& claim, long long now_ms) const;

  std::optional<std::filesystem::path> m_dir;
  Redis* m_redis = nullptr;
  std::string m_list_key;
  std::string m_claimed_key;  // hash: claim name → entry
  std::string m_claims_key;   // sorted set: claim name → claim time (ms)
  std::chrono::milliseconds m_claim_timeout = k_default_claim_timeout;
  std::string m_host;
  long long m_claims = 0;
  bool m_scanned = false;  // the spool was looked over for candidates and dead claims
  std::deque<std::filesystem::path> m_candidates;  // directory spool: files left to try
};

}  // namespace ciutils::notify
