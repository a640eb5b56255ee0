// Alerts that could not be delivered, kept for `notify flush`: in a directory (--spool DIR,
// one file per alert) or in a Redis list. An entry holds the destination as written, with
// ${VAR} references unexpanded, so no secret is ever stored.
#pragma once

#include "alert.h"
#include "destination.h"

#include <ciutils/redis.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::notify {

struct SpoolEntry {
  std::string id;    // file name or the list element itself
  std::string text;  // the JSON entry
};

std::string spool_entry_json(const Destination& dest, const Alert& alert, std::string_view spooled_at);
// Re-creates the destination (expanding ${VAR} again) and the alert from an entry.
std::pair<Destination, Alert> parse_spool_entry(const std::string& text, const std::string& where,
                                                Secrets& secrets);

class Spool {
public:
  static Spool directory(std::filesystem::path dir);
  static Spool redis_list(Redis& redis, const KeySpace& keys);

  void push(const std::string& entry);
  std::vector<SpoolEntry> list();
  void remove(const SpoolEntry& entry);
  std::string describe() const;  // "spool directory /x" or "Redis list ciutils:{notify}:spool"

private:
  std::optional<std::filesystem::path> m_dir;
  Redis* m_redis = nullptr;
  std::string m_list_key;
};

}  // namespace ciutils::notify
