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

// Starts path with argv; failure_text: when set, an exec failure is the job's own (the
// text and the errno's name go to its stderr, exit 127 or 126) instead of an exception.
ShellChild spawn(const char* path, const char* const* argv, char* const* envp, bool merge_stderr,
                 const std::string* failure_text);

// The program's path: name itself when it holds a '/', else the first executable file
// of that name in the PATH of envp (default /usr/local/bin:/usr/bin:/bin), else name.
std::string program_path(const std::string& name, char* const* envp) {
  if (name.find('/') != std::string::npos) return name;
  std::string_view path = "/usr/local/bin:/usr/bin:/bin";
  for (char* const* e = envp; *e != nullptr; ++e) {
    std::string_view var(*e);
    if (var.starts_with("PATH=")) path = var.substr(5);
  }
  while (true) {
    auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return name;
}

}  // namespace

ShellChild spawn_shell(const std::string& command, char* const* envp, bool merge_stderr) {
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  return spawn("/bin/sh", argv, envp, merge_stderr, nullptr);
}

ShellChild spawn_program(const std::vector<std::string>& argv, char* const* envp, bool merge_stderr) {
  std::vector<const char*> args;
  for (const auto& a : argv) args.push_back(a.c_str());
  args.push_back(nullptr);
  std::string path = program_path(argv.at(0), envp);
  std::string failure = "prun: " + argv[0] + ": ";
  return spawn(path.c_str(), args.data(), envp, merge_stderr, &failure);
}

namespace {

ShellChild spawn(const char* path, const char* const* argv, char* const* envp, bool merge_stderr,
                 const std::string* failure_text) {
  Pipe out = make_pipe();
  // Merged: the job's stderr is a second descriptor of its stdout pipe's write end.
  Pipe err = merge_stderr ? Pipe{UniqueFd(), UniqueFd(::fcntl(out.write.get(), F_DUPFD_CLOEXEC, 0))} : make_pipe();
  if (!err.write.valid()) throw std::system_error(errno, std::generic_category(), "dup");
  int null_fd = dev_null();
  if (null_fd < 0) throw std::system_error(errno, std::generic_category(), "open /dev/null");
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
      ::execve(path, const_cast<char* const*>(argv), envp);
      if (failure_text != nullptr) {  // the job's own failure, told on its stderr
        int failed = errno;
        const char* why = failed == ENOENT ? "command not found\n" : "cannot execute\n";
        ssize_t ignored = ::write(2, failure_text->data(), failure_text->size());
        ignored = ::write(2, why, std::char_traits<char>::length(why));
        (void)ignored;
        ::_exit(failed == ENOENT ? 127 : 126);
      }
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
    throw std::system_error(exec_errno, std::generic_category(), std::string("exec ") + path);
  }
  ShellChild child;
  child.pid = pid;
  read_end_nonblocking(out.read.get());
  if (!merge_stderr) read_end_nonblocking(err.read.get());
  child.out = std::move(out.read);
  child.err = std::move(err.read);
  return child;
}

}  // namespace

}  // namespace ciutils::prun
