// The commands of `fetch` (declared in fetch.cpp's command table); each gets its parsed flags
// and returns the exit code. Data goes to inv.out, messages to inv.err.
#pragma once

#include <ciutils/command.h>

namespace ciutils::fetch {

int cmd_get(Invocation& inv);  // fetch URL
int cmd_put(Invocation& inv);  // fetch put PATH URL

}  // namespace ciutils::fetch
