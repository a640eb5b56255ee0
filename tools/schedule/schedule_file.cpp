#include "schedule_file.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <set>
#include <unordered_map>

namespace ciutils::schedule {

std::string_view to_string(CatchUp policy) {
  switch (policy) {
    case CatchUp::skip: return "skip";
    case CatchUp::latest: return "latest";
    case CatchUp::all: return "all";
  }
  return "latest";
}

std::string_view to_string(Concurrency policy) {
  switch (policy) {
    case Concurrency::allow: return "allow";
    case Concurrency::forbid: return "forbid";
    case Concurrency::replace: return "replace";
  }
  return "allow";
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace {

const std::set<std::string, std::less<>> k_fields = {
    "name", "cron", "timezone", "queue", "payload", "catch_up", "catch_up_max",
    "grace", "concurrency", "lease", "dst_gap", "dst_fold", "hash_macros"};

// An optional boolean field; UsageError at its position when it is not true or false.
bool flag_field(const JsonDocument& doc, const boost::json::object& obj, const std::string& pointer,
                std::string_view key, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->value().is_bool()) doc.fail(pointer + "/" + std::string(key), "field '" + std::string(key) + "' must be true or false");
  return it->value().as_bool();
}

class EntryReader {
public:
  EntryReader(const JsonDocument& doc, const boost::json::object& obj, std::string pointer)
      : m_doc(doc), m_obj(obj), m_pointer(std::move(pointer)) {}

  std::string at(std::string_view key) const { return m_pointer + "/" + std::string(key); }

  std::optional<std::string> string(std::string_view key, bool required) const {
    auto it = m_obj.find(key);
    if (it == m_obj.end()) {
      if (required) m_doc.fail(m_pointer, "field '" + std::string(key) + "' is missing");
      return std::nullopt;
    }
    if (!it->value().is_string()) m_doc.fail(at(key), "field '" + std::string(key) + "' must be a string");
    return std::string(it->value().as_string());
  }

  template <class Enum>
  Enum choice(std::string_view key, Enum fallback, std::optional<Enum> (*from)(std::string_view),
              std::string_view allowed) const {
    auto text = string(key, false);
    if (!text) return fallback;
    auto value = from(*text);
    if (!value)
      m_doc.fail(at(key), "field '" + std::string(key) + "': unknown value '" + *text + "' (expected " +
                              std::string(allowed) + ")");
    return *value;
  }

  std::chrono::milliseconds duration(std::string_view key, std::chrono::milliseconds fallback) const {
    auto text = string(key, false);
    if (!text) return fallback;
    try {
      return parse_duration(*text, key);
    } catch (const Error& e) {
      m_doc.fail(at(key), e.what());
    }
  }

  const JsonDocument& m_doc;
  const boost::json::object& m_obj;
  std::string m_pointer;
};

std::optional<CatchUp> catch_up_from(std::string_view text) {
  if (text == "skip") return CatchUp::skip;
  if (text == "latest") return CatchUp::latest;
  if (text == "all") return CatchUp::all;
  return std::nullopt;
}

std::optional<Concurrency> concurrency_from(std::string_view text) {
  if (text == "allow") return Concurrency::allow;
  if (text == "forbid") return Concurrency::forbid;
  if (text == "replace") return Concurrency::replace;
  return std::nullopt;
}

// Parsed cron specs by text, for the specs whose meaning does not depend on the schedule's
// name (no H, no hashed macro): a file of thousands of schedules has few distinct ones.
using CronCache = std::unordered_map<std::string, CronSpec>;

CronSpec cached_cron(CronCache& cache, const std::string& text, const std::string& name, bool hash_macros) {
  const bool by_name = text.find('H') != std::string::npos || (hash_macros && text.find('@') != std::string::npos);
  if (by_name) return parse_cron(text, name, hash_macros);
  auto it = cache.find(text);
  if (it == cache.end()) it = cache.emplace(text, parse_cron(text, name, hash_macros)).first;
  return it->second;
}

Schedule parse_entry(const JsonDocument& doc, const boost::json::value& value, const std::string& pointer,
                     bool hash_macros, CronCache& crons) {
  if (!value.is_object()) doc.fail(pointer, "a schedule must be a JSON object");
  const auto& obj = value.as_object();
  EntryReader in(doc, obj, pointer);
  for (const auto& field : obj) {
    if (!k_fields.contains(field.key()))
      doc.fail(in.at(field.key()), "unknown field '" + std::string(field.key()) + "'");
  }
  Schedule s;
  s.name = *in.string("name", true);
  if (!valid_name(s.name))
    doc.fail(in.at("name"), "field 'name': '" + s.name + "' must be 1-200 letters, digits, '.', '_' or '-'");
  s.queue = *in.string("queue", true);
  if (!valid_name(s.queue))
    doc.fail(in.at("queue"), "field 'queue': '" + s.queue + "' must be 1-200 letters, digits, '.', '_' or '-'");
  auto cron = *in.string("cron", true);
  try {
    s.timing.cron = cached_cron(crons, cron, s.name, flag_field(doc, obj, pointer, "hash_macros", hash_macros));
  } catch (const CronError& e) {
    doc.fail(in.at("cron"), "field 'cron': " + std::string(e.what()));
  }
  if (auto zone = in.string("timezone", false)) {
    s.zone_name = *zone;
    s.timing.zone = find_zone(*zone);
    if (!s.timing.zone) doc.fail(in.at("timezone"), "field 'timezone': unknown time zone '" + *zone + "'");
  }
  s.timing.gap = in.choice<GapPolicy>("dst_gap", GapPolicy::next, gap_policy_from, "next or skip");
  s.timing.fold = in.choice<FoldPolicy>("dst_fold", FoldPolicy::first, fold_policy_from, "first, last or both");
  s.catch_up = in.choice<CatchUp>("catch_up", CatchUp::latest, catch_up_from, "skip, latest or all");
  s.concurrency = in.choice<Concurrency>("concurrency", Concurrency::allow, concurrency_from,
                                         "allow, forbid or replace");
  if (auto it = obj.find("catch_up_max"); it != obj.end()) {
    if (!it->value().is_int64() || it->value().as_int64() < 1 || it->value().as_int64() > 10000)
      doc.fail(in.at("catch_up_max"), "field 'catch_up_max' must be an integer from 1 to 10000");
    s.catch_up_max = static_cast<int>(it->value().as_int64());
  }
  s.grace = std::chrono::duration_cast<std::chrono::seconds>(in.duration("grace", std::chrono::minutes(5)));
  if (s.grace < std::chrono::seconds(1)) doc.fail(in.at("grace"), "field 'grace' must be at least 1s");
  s.lease = in.duration("lease", std::chrono::hours(1));
  if (s.lease < std::chrono::seconds(1)) doc.fail(in.at("lease"), "field 'lease' must be at least 1s");
  if (auto it = obj.find("payload"); it != obj.end()) {
    if (!it->value().is_object()) doc.fail(in.at("payload"), "field 'payload' must be a JSON object");
    s.payload = it->value().as_object();
  }
  return s;
}

}  // namespace

std::vector<Schedule> parse_schedules(const std::string& text, const std::string& source) {
  auto doc = JsonDocument::parse(text, source);
  const auto& root = doc.root();
  if (!root.is_object()) doc.fail("", "expected a JSON object with a 'schedules' array");
  for (const auto& field : root.as_object()) {
    if (field.key() != "schedules" && field.key() != "hash_macros")
      doc.fail("/" + std::string(field.key()), "unknown field '" + std::string(field.key()) + "'");
  }
  const bool hash_macros = flag_field(doc, root.as_object(), "", "hash_macros", false);
  auto it = root.as_object().find("schedules");
  if (it == root.as_object().end()) doc.fail("", "field 'schedules' is missing");
  if (!it->value().is_array()) doc.fail("/schedules", "field 'schedules' must be an array");
  std::vector<Schedule> out;
  std::set<std::string> names;
  const auto& entries = it->value().as_array();
  out.reserve(entries.size());
  CronCache crons;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto pointer = "/schedules/" + std::to_string(i);
    auto s = parse_entry(doc, entries[i], pointer, hash_macros, crons);
    if (!names.insert(s.name).second) doc.fail(pointer + "/name", "duplicate schedule name '" + s.name + "'");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Schedule> load_schedules(const std::filesystem::path& path) {
  return parse_schedules(read_text_file(path), path.string());
}

}  // namespace ciutils::schedule
