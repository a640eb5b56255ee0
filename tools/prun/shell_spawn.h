// Starting a job: /bin/sh -c COMMAND (or a program's argv) through vfork and execve, in its own
// process group, stdin from /dev/null, stdout and stderr into non-blocking pipes.
#pragma once

#include "ciutils/fd.h"

#include <sys/types.h>

#include <string>
#include <vector>

namespace ciutils::prun {

struct ShellChild {
  pid_t pid = -1;  // also the process group id
  UniqueFd out;    // read ends, non-blocking, close-on-exec
  UniqueFd err;
};

// envp: a null-terminated "K=V" array. Throws std::system_error when the shell cannot
// be started at all (fork or pipe failure). With merge_stderr the job's stderr is its stdout
// pipe (as 2>&1: one stream in the exact order written) and err is left empty.
ShellChild spawn_shell(const std::string& command, char* const* envp, bool merge_stderr = false);

// --no-shell: runs argv[0] (looked up in the PATH of envp when it has no '/') with argv
// as it is. A program that cannot be run is the job's failure, as a shell reports it: a
// line on the job's stderr and exit 127 (not found) or 126 (cannot execute).
ShellChild spawn_program(const std::vector<std::string>& argv, char* const* envp, bool merge_stderr = false);

}  // namespace ciutils::prun
