#include "shell_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ciutils::prun {

namespace {

// Signals whose handling prun changes (its self-pipe watch, SIGPIPE ignored): a job
// gets them back at their defaults.
constexpr int k_reset_signals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1,
                                   SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};

int dev_null() {
  static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

// The read end of a job's pipe, non-blocking (its write end stays blocking for the job).
void read_end_nonblocking(int fd) {
  if (::fcntl(fd, F_SETFL, O_RDONLY | O_NONBLOCK) < 0) {
    throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK)");
  }
}

}  // namespace

ShellChild spawn_shell(const std::string& command, char* const* envp, bool merge_stderr) {
  Pipe out = make_pipe();
  // Merged: the job's stderr is a second descriptor of its stdout pipe's write end.
  Pipe err = merge_stderr ? Pipe{UniqueFd(), UniqueFd(::fcntl(out.write.get(), F_DUPFD_CLOEXEC, 0))} : make_pipe();
  if (!err.write.valid()) throw std::system_error(errno, std::generic_category(), "dup");
  int null_fd = dev_null();
  if (null_fd < 0) throw std::system_error(errno, std::generic_category(), "open /dev/null");
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  int out_fd = out.write.get();
  int err_fd = err.write.get();

  // vfork: the child borrows prun's memory until it execs, so starting a job costs no page
  // table copy and no stack mapping. Every signal stays blocked until the child has reset
  // the handlers prun installed, so none of them can run on the borrowed stack.
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  volatile int exec_errno = 0;
  pid_t pid = ::vfork();
  if (pid == 0) {
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig : k_reset_signals) ::sigaction(sig, &defaults, nullptr);
    if (::setpgid(0, 0) == 0 && ::dup2(null_fd, 0) == 0 && ::dup2(out_fd, 1) == 1 && ::dup2(err_fd, 2) == 2) {
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execve("/bin/sh", const_cast<char* const*>(argv), envp);
    }
    exec_errno = errno;
    ::_exit(127);
  }
  int spawn_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) throw std::system_error(spawn_errno, std::generic_category(), "vfork");
  if (exec_errno != 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::system_error(exec_errno, std::generic_category(), "exec /bin/sh");
  }
  ShellChild child;
  child.pid = pid;
  read_end_nonblocking(out.read.get());
  if (!merge_stderr) read_end_nonblocking(err.read.get());
  child.out = std::move(out.read);
  child.err = std::move(err.read);
  return child;
}

}  // namespace ciutils::prun
