// pause, resume, trigger: control of a named schedule without editing the file.
#include "commands.h"

#include "control.h"
#include "tick.h"

#include "ciutils/control_escape.h"
#include "ciutils/error.h"
#include "ciutils/json.h"

#include <boost/json.hpp>

#include <ostream>

namespace ciutils::schedule {
namespace {

std::string schedule_name(const std::string& name) {
  if (name.empty()) throw UsageError("NAME: required");
  if (!valid_name(name)) throw UsageError("NAME: '" + name + "' must be 1-200 letters, digits, '.', '_' or '-'");
  return name;
}

// --until: a UTC time (2026-12-02T06:00:00Z) or a duration from now (2h).
SysSeconds until_of(const std::string& text, SysSeconds now) {
  if (auto t = parse_utc(text)) {
    auto until = date::floor<std::chrono::seconds>(*t);
    if (until <= now) throw UsageError("--until: " + text + " is not in the future");
    return until;
  }
  std::chrono::milliseconds d{};
  try {
    d = parse_duration(text, "--until");
  } catch (const UsageError&) {
    throw UsageError("--until: invalid time '" + text + "' (expected e.g. 2026-12-02T06:00:00Z or a duration, 2h)");
  }
  if (d < std::chrono::seconds(1)) throw UsageError("--until: must be at least 1s from now");
  return now + std::chrono::ceil<std::chrono::seconds>(d);
}

}  // namespace

int cmd_pause(Invocation& inv) {
  const std::string name = inv.flag("name").value_or("");
  const std::string until_text = inv.flag("until").value_or("");
  const std::string reason = inv.flag("reason").value_or("");
  schedule_name(name);
  if (reason.size() > 1000) throw UsageError("--reason: at most 1000 bytes");
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  std::optional<SysSeconds> until;
  if (!until_text.empty()) until = until_of(until_text, redis_now(redis));
  auto pause = pause_schedule(redis, space, name, until, reason);
  if (inv.common.json) {
    boost::json::object o{{"schedule", name}, {"paused", true}, {"since", pause.since}, {"reason", reason}};
    o["until"] = until ? boost::json::value(format_utc(*until, 0)) : boost::json::value(nullptr);
    inv.out << to_json(o) << "\n";
  } else if (!inv.common.quiet) {
    inv.err << "schedule: " << name << ": paused" << escape_control(pause.describe()) << "\n";
  }
  return 0;
}

int cmd_resume(Invocation& inv) {
  const std::string name = inv.flag("name").value_or("");
  schedule_name(name);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  bool was = resume_schedule(redis, space, name, redis_now(redis));
  if (inv.common.json) {
    inv.out << to_json(boost::json::object{{"schedule", name}, {"resumed", was}}) << "\n";
  } else if (!inv.common.quiet) {
    inv.err << "schedule: " << name << (was ? ": resumed" : ": not paused") << "\n";
  }
  return 0;
}

int cmd_trigger(Invocation& inv) {
  const std::string name = inv.flag("name").value_or("");
  const std::string file = inv.flag("file").value_or("");
  schedule_name(name);
  if (file.empty()) throw UsageError("-f/--file: required");
  auto list = load_schedules(file);
  const Schedule* schedule = nullptr;
  for (const auto& s : list)
    if (s.name == name) schedule = &s;
  if (!schedule) throw UsageError("NAME: no schedule '" + name + "' in " + file);
  auto space = inv.key_space();
  auto redis = Redis::connect(inv.redis_url());
  auto triggered = trigger_schedule(redis, space, *schedule);
  inv.out << triggered.task << "\n";
  if (!triggered.enqueued && !inv.common.quiet)
    inv.err << "schedule: " << name << ": already triggered this minute; not enqueued again\n";
  return 0;
}

}  // namespace ciutils::schedule
