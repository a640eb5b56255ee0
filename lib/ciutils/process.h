// Child processes: each in its own process group, killed as a whole group with a
// signal sequence, wait statuses mapped to exit codes, signals watched through a pipe.
// POSIX calls throughout (docs/architecture.md says why not Boost.Process v2).
#pragma once

#include "ciutils/fd.h"

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

// Where a child's stdin/stdout/stderr goes.
struct Redirect {
  enum class Kind { inherit, null, pipe, file, fd };
  Kind kind = Kind::inherit;
  std::string path;   // Kind::file
  bool append = false;
  int fd = -1;        // Kind::fd: dup2'ed into the child (stays owned by the caller)

  static Redirect inherit() { return {}; }
  static Redirect null() { return {Kind::null, {}, false, -1}; }
  static Redirect pipe() { return {Kind::pipe, {}, false, -1}; }
  static Redirect file(std::string path, bool append = false) { return {Kind::file, std::move(path), append, -1}; }
  static Redirect to_fd(int fd) { return {Kind::fd, {}, false, fd}; }
};

struct SpawnOptions {
  std::vector<std::string> argv{};               // argv[0] is looked up on PATH
  std::optional<std::vector<std::string>> env{}; // "K=V" entries; nullopt inherits ours
  std::string cwd{};                             // empty: ours
  Redirect in = Redirect::inherit();
  Redirect out = Redirect::inherit();
  Redirect err = Redirect::inherit();
  bool new_process_group = true;                 // the child leads its own group
  // SIGKILL to the child when the thread that spawned it dies (PR_SET_PDEATHSIG), even
  // by kill -9; a child whose parent is already gone when it is armed exits 125 at once.
  bool die_with_parent = false;
};

struct Child {
  pid_t pid = -1;
  pid_t pgid = -1;
  UniqueFd in;    // write end when in = pipe
  UniqueFd out;   // read end when out = pipe
  UniqueFd err;   // read end when err = pipe
  // errno of a failed exec (ENOENT, EACCES, …); the child then exits 127 or 126.
  int exec_errno = 0;
};

// Starts a child. Signals that the parent ignores or blocks are reset to default in the
// child. A failed exec is reported in Child::exec_errno, not thrown; failures to fork or
// to set up redirections throw std::system_error.
Child spawn(const SpawnOptions& options);

// The current environment as "K=V" entries, with `overrides` ("K=V") replacing or adding.
std::vector<std::string> environment_with(const std::vector<std::string>& overrides);

// Wait status → exit code: exit status as is, 128+N for signal N.
int exit_code_from_status(int wait_status);

// Exit code for a failed exec: 127 when not found, 126 otherwise.
int exit_code_for_exec_errno(int err);

// Blocking wait for pid; returns the raw wait status (EINTR retried).
int wait_for(pid_t pid);
// Non-blocking wait; nullopt while the child runs.
std::optional<int> try_wait(pid_t pid);

// A list of (signal, wait after it) steps: "TERM,10s,KILL" or "INT,2s,TERM,5s,KILL".
struct KillStep {
  int signal;
  std::chrono::milliseconds grace;
};
using KillSequence = std::vector<KillStep>;
KillSequence default_kill_sequence();  // TERM, 10s, KILL
// Parses "TERM,10s,KILL" (names with or without SIG, or numbers); UsageError naming flag.
KillSequence parse_kill_sequence(std::string_view text, std::string_view flag);

// Sends sig to every process of group pgid. Returns false when the group is gone.
bool signal_group(pid_t pgid, int sig);
// True while a live (not zombie) process of the group exists. Exited members that are
// our children are reaped on the way, except the leader (pid == pgid): wait for it yourself.
bool group_alive(pid_t pgid);

// Walks the kill sequence on group pgid until it is empty: after each signal waits up
// to the step's grace for the group to disappear, reaping `leader` (and, when we are a
// subreaper, any other child of ours) meanwhile. Returns the leader's wait status when
// this call reaped it.
std::optional<int> kill_group(pid_t pgid, pid_t leader, const KillSequence& sequence);

// Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned descendants
// are re-parented to us, so double-forked escapees can still be found and killed.
void become_subreaper();

// Signal name ("TERM") for a number, "SIG?" when unknown.
std::string signal_name(int sig);

// Watches signals through a self-pipe: install for a set of signals, poll fd() for
// readability, read() the pending ones. Restores the previous handlers on destruction.
class SignalWatch {
public:
  explicit SignalWatch(std::vector<int> signals);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  int fd() const;
  // The signals received since the last call, in order (non-blocking).
  std::vector<int> read();

private:
  std::vector<int> m_signals;
  std::vector<struct sigaction> m_previous;
};

}  // namespace ciutils
