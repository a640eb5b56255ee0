#include "shell_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace ciutils::prun {

namespace {

constexpr int k_pipe_size = 1 << 20;

struct FileActions {
  posix_spawn_file_actions_t actions;
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

struct Attributes {
  posix_spawnattr_t attr;
  Attributes() { posix_spawnattr_init(&attr); }
  ~Attributes() { posix_spawnattr_destroy(&attr); }
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;
};

void check(int rc, const char* what) {
  if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
}

}  // namespace

ShellChild spawn_shell(const std::string& command, char* const* envp) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  // A larger pipe means fewer wake-ups for a job that writes a lot; failure is harmless.
  ::fcntl(out.write.get(), F_SETPIPE_SZ, k_pipe_size);
  FileActions fa;
  check(posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0), "posix_spawn stdin");
  check(posix_spawn_file_actions_adddup2(&fa.actions, out.write.get(), 1), "posix_spawn stdout");
  check(posix_spawn_file_actions_adddup2(&fa.actions, err.write.get(), 2), "posix_spawn stderr");

  Attributes at;
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP,
                  SIGTTIN, SIGTTOU}) {
    sigaddset(&defaults, sig);
  }
  sigset_t empty;
  sigemptyset(&empty);
  check(posix_spawnattr_setsigdefault(&at.attr, &defaults), "posix_spawnattr_setsigdefault");
  check(posix_spawnattr_setsigmask(&at.attr, &empty), "posix_spawnattr_setsigmask");
  check(posix_spawnattr_setpgroup(&at.attr, 0), "posix_spawnattr_setpgroup");
  check(posix_spawnattr_setflags(&at.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                               POSIX_SPAWN_SETSIGMASK),
        "posix_spawnattr_setflags");

  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/bin/sh", &fa.actions, &at.attr, const_cast<char* const*>(argv), envp);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn /bin/sh");
  ShellChild child;
  child.pid = pid;
  set_nonblocking(out.read.get());
  set_nonblocking(err.read.get());
  child.out = std::move(out.read);
  child.err = std::move(err.read);
  return child;
}

}  // namespace ciutils::prun
