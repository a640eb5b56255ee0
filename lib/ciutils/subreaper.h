// What is left of a command after it ends, or after the tool that ran it dies: a watcher
// that kills the command's process group when the tool dies (even by kill -9), and the
// sweep of descendants that escaped the group (setsid, double fork) and were re-parented
// to us as a child subreaper (become_subreaper in process.h).
#pragma once

#include "ciutils/fd.h"

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace ciutils {

// Kills process group `pgid` with SIGKILL when this process dies before the guard ends,
// however it dies (kill -9, the OOM killer): a forked watcher, outside the group, blocks
// on a pipe whose only write end is ours and kills the group on end-of-file. Ending the
// guard kills the group too unless dismiss() said it is already stopped.
class GroupGuard {
public:
  explicit GroupGuard(pid_t pgid);
  ~GroupGuard();
  GroupGuard(const GroupGuard&) = delete;
  GroupGuard& operator=(const GroupGuard&) = delete;

  // The group has been stopped and its leader reaped: ending the guard leaves it alone.
  void dismiss() { m_dismissed = true; }
  pid_t watcher() const { return m_watcher; }

private:
  pid_t m_pgid;
  pid_t m_watcher = -1;
  UniqueFd m_alive;  // write end: closed (by exit or death) → the watcher acts
  bool m_dismissed = false;
};

// Our children (/proc/self/task/<pid>/children): as a subreaper, orphaned descendants too.
std::vector<pid_t> children_of_self();

// The command name of a process (/proc/PID/comm), "?" when it is gone.
std::string process_name(pid_t pid);

// Whether pid has exited and waits to be reaped.
bool is_zombie(pid_t pid);

// Whether the environment a process started with holds every "K=V" of `entries`.
bool environ_has(pid_t pid, const std::vector<std::string>& entries);

// SIGKILL to pid and to its process group, unless that group is ours.
void kill_process_and_group(pid_t pid);

struct Escapee {
  pid_t pid;
  std::string name;
};

// Kills and reaps the children of ours that `pick` selects, round after round (a killed
// escapee's own children re-parent to us), until none is left. Returns those killed.
std::vector<Escapee> kill_children(const std::function<bool(pid_t)>& pick);

}  // namespace ciutils
