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
  if (name.empty()) throw UsageError("NAME is required");
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

int cmd_pause(CommandContext& ctx) {
  CommonOptions common;
  std::string name, until_text, reason;
  po::options_description desc("Options");
  desc.add_options()
      ("name", po::value(&name), "the schedule")
      ("until", po::value(&until_text), "resume by itself at this UTC time, or after this duration (2h)")
      ("reason", po::value(&reason), "why, shown by status and explain");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("name", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule pause NAME [--until T] [--reason R]",
                "Pauses a schedule without editing the file: from the next tick on its slots are recorded\n"
                "as skipped (and not caught up on resume) until `schedule resume NAME` or --until.\n"
                "Pausing again replaces the pause. `schedule trigger` still runs it by hand.",
                desc))
    return 0;
  schedule_name(name);
  if (reason.size() > 1000) throw UsageError("--reason: at most 1000 bytes");
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  std::optional<SysSeconds> until;
  if (!until_text.empty()) until = until_of(until_text, redis_now(redis));
  auto pause = pause_schedule(redis, space, name, until, reason);
  if (common.json) {
    boost::json::object o{{"schedule", name}, {"paused", true}, {"since", pause.since}, {"reason", reason}};
    o["until"] = until ? boost::json::value(format_utc(*until, 0)) : boost::json::value(nullptr);
    ctx.out << to_json(o) << "\n";
  } else if (!common.quiet) {
    ctx.err << "schedule: " << name << ": paused" << escape_control(pause.describe()) << "\n";
  }
  return 0;
}

int cmd_resume(CommandContext& ctx) {
  CommonOptions common;
  std::string name;
  po::options_description desc("Options");
  desc.add_options()("name", po::value(&name), "the schedule");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("name", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule resume NAME",
                "Ends a pause: the schedule's next slot is enqueued as usual (slots skipped while paused\n"
                "are not caught up). Resuming a schedule that is not paused succeeds.",
                desc))
    return 0;
  schedule_name(name);
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  bool was = resume_schedule(redis, space, name, redis_now(redis));
  if (common.json) {
    ctx.out << to_json(boost::json::object{{"schedule", name}, {"resumed", was}}) << "\n";
  } else if (!common.quiet) {
    ctx.err << "schedule: " << name << (was ? ": resumed" : ": not paused") << "\n";
  }
  return 0;
}

int cmd_trigger(CommandContext& ctx) {
  CommonOptions common;
  std::string name, file;
  po::options_description desc("Options");
  desc.add_options()
      ("name", po::value(&name), "the schedule")
      ("file,f", po::value(&file), "schedule file (JSON)");
  add_redis_options(desc);
  add_common_options(desc, common);
  po::positional_options_description pos;
  pos.add("name", 1);
  auto vm = parse_args(ctx.args, desc, pos);
  if (show_help(common, ctx, "schedule trigger NAME -f FILE",
                "Enqueues a run of the schedule now, with its payload, on its queue: task id\n"
                "NAME@<minute UTC>/trigger. Deduplicated per minute (Redis time): a second trigger in\n"
                "the same minute enqueues nothing. Prints the task JSON either way.",
                desc))
    return 0;
  schedule_name(name);
  if (file.empty()) throw UsageError("-f/--file is required");
  auto list = load_schedules(file);
  const Schedule* schedule = nullptr;
  for (const auto& s : list)
    if (s.name == name) schedule = &s;
  if (!schedule) throw UsageError("NAME: no schedule '" + name + "' in " + file);
  auto space = space_of(vm);
  auto redis = Redis::connect(redis_url_of(vm));
  auto triggered = trigger_schedule(redis, space, *schedule);
  ctx.out << triggered.task << "\n";
  if (!triggered.enqueued && !common.quiet)
    ctx.err << "schedule: " << name << ": already triggered this minute; not enqueued again\n";
  return 0;
}

}  // namespace ciutils::schedule
