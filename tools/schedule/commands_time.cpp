// lint, next, explain: the commands that read a schedule file (explain also reads Redis).
#include "commands.h"

#include "control.h"
#include "keys.h"
#include "tick.h"

#include "ciutils/control_escape.h"
#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <ostream>
#include <sstream>
#include <string_view>

namespace ciutils::schedule {

std::optional<SysSeconds> now_of(const Invocation& inv) {
  auto text_flag = inv.flag("now");
  if (!text_flag) return std::nullopt;
  const std::string& text = *text_flag;
  auto t = parse_utc(text);
  if (!t) throw UsageError("--now: invalid time '" + text + "' (expected e.g. 2026-11-22T02:00:00Z)");
  return date::floor<std::chrono::seconds>(*t);
}

std::string local_time_text(const Schedule& schedule, SysSeconds t) {
  if (!schedule.timing.zone) return date::format("%F %T UTC", t);
  return date::format("%F %T ", schedule.timing.zone->to_local(t)) + schedule.timing.zone->get_info(t).abbrev;
}

namespace {

std::string cron_summary(const Schedule& s) {
  const auto& c = s.timing.cron;
  std::string out = "cron '" + c.text + "'";
  const bool hashed_macro = c.expanded.find('H') != std::string::npos;
  if (hashed_macro) out += " (= '" + c.expanded + "')";
  out += " in " + s.zone_name;
  const std::string& shown = hashed_macro ? c.expanded : c.text;
  if (shown.find('H') == std::string::npos || c.every) return out;
  // Show what each H field resolved to for this name.
  std::vector<std::string> fields;
  std::istringstream in(shown);
  for (std::string f; in >> f;) fields.push_back(f);
  const std::vector<std::pair<const char*, std::uint64_t>> kinds = {
      {"second", c.seconds}, {"minute", c.minutes}, {"hour", c.hours},
      {"day-of-month", c.days}, {"month", c.months}, {"day-of-week", c.weekdays}};
  std::size_t offset = fields.size() == 6 ? 0 : 1;
  std::string resolved;
  for (std::size_t i = 0; i < fields.size() && i + offset < kinds.size(); ++i) {
    if (fields[i].find('H') == std::string::npos) continue;
    std::string values;
    for (int v = 0; v < 64; ++v)
      if (kinds[i + offset].second & (1ULL << v)) values += (values.empty() ? "" : ",") + std::to_string(v);
    resolved += std::string(resolved.empty() ? "" : ", ") + kinds[i + offset].first + " " + values;
  }
  return out + " (H resolved: " + resolved + ")";
}

const Schedule& find_schedule(const std::vector<Schedule>& list, const std::string& name, const std::string& file) {
  for (const auto& s : list)
    if (s.name == name) return s;
  throw UsageError("--name: no schedule '" + name + "' in " + file);
}

}  // namespace

int cmd_lint(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  if (file.empty()) throw UsageError("-f/--file: required");
  auto list = load_schedules(file);
  if (inv.common.json) {
    boost::json::array names;
    for (const auto& s : list) names.push_back(boost::json::string(s.name));
    inv.out << to_json(boost::json::object{{"file", file}, {"valid", true}, {"schedules", names}}) << "\n";
  } else if (!inv.common.quiet) {
    inv.out << file << ": " << list.size() << " schedule" << (list.size() == 1 ? "" : "s") << ", all valid\n";
    if (inv.common.verbose)
      for (const auto& s : list) inv.out << "  " << s.name << ": " << cron_summary(s) << " → queue " << s.queue << "\n";
  }
  return 0;
}

int cmd_next(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  const std::string name = inv.flag("name").value_or("");
  const std::string cron = inv.flag("cron").value_or("");
  const std::string zone = inv.flag("timezone").value_or("UTC");
  const int count = inv.value_or<int>("count", 5);
  if (count < 1 || count > 10000) throw UsageError("--count: must be from 1 to 10000");
  std::vector<Schedule> list;
  if (!cron.empty()) {
    if (!file.empty()) throw UsageError("--cron: cannot be used with --file");
    Schedule s;
    s.name = name.empty() ? "cron" : name;
    try {
      s.timing.cron = parse_cron(cron, s.name);
    } catch (const CronError& e) {
      throw UsageError(std::string("--cron: ") + e.what());
    }
    s.zone_name = zone;
    if (zone != "UTC") {
      s.timing.zone = find_zone(zone);
      if (!s.timing.zone) throw UsageError("--timezone: unknown time zone '" + zone + "'");
    }
    list.push_back(std::move(s));
  } else {
    if (file.empty()) throw UsageError("-f/--file: required (or --cron EXPR)");
    list = load_schedules(file);
    if (!name.empty()) list = {find_schedule(list, name, file)};
  }
  auto now = now_of(inv).value_or(date::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  for (const auto& s : list) {
    if (!inv.common.json) inv.out << s.name << ": " << cron_summary(s) << "\n";
    auto t = now;
    for (int i = 0; i < count; ++i) {
      auto next = next_slot(s.timing, t);
      if (!next) break;
      t = *next;
      if (inv.common.json) {
        inv.out << to_json(boost::json::object{{"schedule", s.name},
                                               {"slot", format_utc(t, 0)},
                                               {"local", local_time_text(s, t)},
                                               {"id", task_id(s.name, t)}})
                << "\n";
      } else {
        inv.out << "  " << local_time_text(s, t) << "   " << format_utc(t, 0) << "\n";
      }
    }
  }
  return 0;
}

int cmd_explain(Invocation& inv) {
  const std::string file = inv.flag("file").value_or("");
  const std::string name = inv.flag("name").value_or("");
  const std::string slot_text = inv.flag("slot").value_or("");
  if (file.empty()) throw UsageError("-f/--file: required");
  if (name.empty()) throw UsageError("--name: required");
  auto list = load_schedules(file);
  const auto& s = find_schedule(list, name, file);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto now = now_of(inv).value_or(redis_now(redis));
  SysSeconds slot;
  if (!slot_text.empty()) {
    auto t = parse_utc(slot_text);
    if (!t) throw UsageError("--slot: invalid time '" + slot_text + "' (expected e.g. 2026-11-22T02:00:00Z)");
    slot = date::floor<std::chrono::seconds>(*t);
  } else {
    auto latest = latest_slots(s.timing, now - std::chrono::hours(24 * 400), now, 1);
    if (latest.empty()) {
      inv.out << s.name << ": no slot in the last 400 days\n";
      return 0;
    }
    slot = latest.back();
  }
  inv.out << s.name << ": " << cron_summary(s) << ", queue " << s.queue << ", catch_up " << to_string(s.catch_up)
          << ", grace " << format_duration(s.grace) << ", concurrency " << to_string(s.concurrency) << "\n";
  auto pauses = read_pauses(redis, space, now);
  if (auto p = pauses.find(s.name); p != pauses.end()) {
    inv.out << "paused since " << p->second.since << escape_control(p->second.describe())
            << ": its slots are skipped until `schedule resume " << s.name << "`"
            << (p->second.until ? " or the pause ends" : "") << "\n";
  }
  auto is_slot = next_slot(s.timing, slot - std::chrono::seconds(1));
  if (!is_slot || *is_slot != slot) {
    inv.out << "slot " << format_utc(slot, 0) << " (" << local_time_text(s, slot)
            << "): not a fire time of this schedule";
    if (is_slot) inv.out << "; the next one is " << format_utc(*is_slot, 0) << " (" << local_time_text(s, *is_slot) << ")";
    inv.out << "\n";
    return 0;
  }
  inv.out << "slot " << format_utc(slot, 0) << " (" << local_time_text(s, slot) << "), task id " << task_id(s.name, slot)
          << "\n";
  if (slot > now) {
    inv.out << "  not due yet: due in " << format_duration(slot - now) << "\n";
    return 0;
  }
  QueueKeys keys(space, s.queue);
  auto slot_iso = format_utc(slot, 0);
  // Each entry is "name\tdecided at\tdecision", a trigger's name being "<name>/trigger".
  auto recorded = redis.command({"LRANGE", keys.decided(slot_iso), "0", "-1"}).strings();
  bool found = false;
  for (const auto& entry : recorded) {
    auto tab1 = entry.find('\t');
    auto tab2 = tab1 == std::string::npos ? std::string::npos : entry.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) continue;
    auto who = std::string_view(entry).substr(0, tab1);
    if (who != s.name && who != s.name + "/trigger") continue;
    inv.out << "  " << escape_control(std::string_view(entry).substr(tab2 + 1)) << " (decided at "
            << entry.substr(tab1 + 1, tab2 - tab1 - 1) << ")\n";
    found = true;
  }
  if (found) return 0;
  auto last = redis.command({"HGET", keys.last, s.name});
  if (last.is_nil()) {
    inv.out << "  no tick has run for this schedule on queue " << s.queue << " yet\n";
  } else {
    auto last_t = SysSeconds(std::chrono::seconds(std::stoll(last.string())));
    if (slot <= last_t) {
      inv.out << "  not enqueued: it is not after the last slot ticks decided (" << format_utc(last_t, 0)
              << "); no decision for it is recorded (decisions are kept "
              << std::chrono::duration_cast<std::chrono::days>(k_decided_ttl).count()
              << " days; or before the schedule's first tick, or passed over by catch_up "
              << to_string(s.catch_up) << ")\n";
    } else {
      inv.out << "  pending: no tick has run since it fell due (last decided slot " << format_utc(last_t, 0)
              << "); the next tick will decide it per catch_up " << to_string(s.catch_up) << "\n";
    }
  }
  return 0;
}

}  // namespace ciutils::schedule
