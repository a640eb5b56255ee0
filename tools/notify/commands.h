// The commands of `notify` (declared in notify.cpp's command table); each gets its parsed
// flags and returns the exit code. Data goes to inv.out, messages to inv.err.
#pragma once

#include <ciutils/command.h>

namespace ciutils::notify {

int cmd_send(Invocation& inv);   // notify DEST... (an alert or a message)
int cmd_flush(Invocation& inv);  // notify flush (re-send what was spooled)

}  // namespace ciutils::notify
