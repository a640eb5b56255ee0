#include "spool.h"

#include <ciutils/atomic_file.h>
#include <ciutils/error.h>
#include <ciutils/json.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unistd.h>

namespace ciutils::notify {

namespace json = boost::json;

std::string spool_entry_json(const Destination& dest, const Alert& alert, std::string_view spooled_at) {
  json::object d{{"spec", dest.spec},
                 {"name", dest.name},
                 {"required", dest.required},
                 {"timeout_ms", dest.timeout.count()},
                 {"retries", dest.retries},
                 {"rate_ms", dest.rate_interval.count()}};
  return to_json(json::object{{"destination", std::move(d)}, {"alert", alert_to_json(alert)}, {"spooled_at", spooled_at}});
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
  return {std::move(dest), alert_from_json(*a, where)};
}

Spool Spool::directory(std::filesystem::path dir) {
  Spool s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("--spool: " + dir.string() + ": " + ec.message());
  s.m_dir = std::move(dir);
  return s;
}

Spool Spool::redis_list(Redis& redis, const KeySpace& keys) {
  Spool s;
  s.m_redis = &redis;
  s.m_list_key = keys.key("notify", "spool");
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
    for (const auto& f : files) out.push_back({f.string(), read_text_file(f)});
    return out;
  }
  for (auto& text : m_redis->command({"LRANGE", m_list_key, "0", "-1"}).strings())
    out.push_back({m_list_key, std::move(text)});
  return out;
}

void Spool::remove(const SpoolEntry& entry) {
  if (m_dir) {
    std::error_code ec;
    std::filesystem::remove(entry.id, ec);
    return;
  }
  m_redis->command({"LREM", m_list_key, "1", entry.text});
}

std::string Spool::describe() const {
  return m_dir ? "spool directory " + m_dir->string() : "Redis list " + m_list_key;
}

}  // namespace ciutils::notify
