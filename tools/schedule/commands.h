// The subcommands of `schedule` (declared in schedule.cpp's command table); each gets its
// parsed flags and returns the exit code. Data goes to inv.out, messages to inv.err.
#pragma once

#include "schedule_file.h"

#include "ciutils/command.h"
#include "ciutils/redis.h"
#include "ciutils/timestamp.h"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::schedule {

int cmd_lint(Invocation& inv);
int cmd_next(Invocation& inv);
int cmd_explain(Invocation& inv);
int cmd_tick(Invocation& inv);
int cmd_daemon(Invocation& inv);
int cmd_enqueue(Invocation& inv);
int cmd_take(Invocation& inv);
int cmd_ack(Invocation& inv);
int cmd_fail(Invocation& inv);
int cmd_work(Invocation& inv);
int cmd_status(Invocation& inv);
int cmd_dead_letters(Invocation& inv);
int cmd_history(Invocation& inv);
int cmd_pause(Invocation& inv);
int cmd_resume(Invocation& inv);
int cmd_trigger(Invocation& inv);

std::optional<SysSeconds> now_of(const Invocation& inv);  // --now, when given
// "2026-11-24 02:37:00 CET" for a slot in a schedule's zone.
std::string local_time_text(const Schedule& schedule, SysSeconds t);

}  // namespace ciutils::schedule
