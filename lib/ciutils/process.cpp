#include "ciutils/process.h"

#include "ciutils/cli.h"
#include "ciutils/error.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace ciutils {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// What the child reports through the close-on-exec pipe when it cannot run the program.
struct ChildFailure {
  int err;
};

// Everything the child needs, prepared before fork so the child only makes
// async-signal-safe calls (no allocation, no locks).
struct ExecPlan {
  std::vector<std::string> candidates;  // full paths to try in order
  std::vector<char*> argv;
  std::vector<char*> sh_argv;           // "/bin/sh", <candidate>, argv[1..] for ENOEXEC
  char** envp = nullptr;
  std::vector<char*> env_storage;
};

const char* value_in(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& entry : env) {
    if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 && entry[key.size()] == '=') {
      return entry.c_str() + key.size() + 1;
    }
  }
  return nullptr;
}

// execvp-like lookup, but on the child's PATH when the child gets its own environment.
std::vector<std::string> exec_candidates(const std::string& name,
                                         const std::optional<std::vector<std::string>>& env) {
  if (name.find('/') != std::string::npos) return {name};
  if (name.empty()) return {};
  const char* path = env ? value_in(*env, "PATH") : ::getenv("PATH");
  std::string_view search = path ? path : "/bin:/usr/bin";
  std::vector<std::string> out;
  while (true) {
    auto colon = search.find(':');
    std::string_view dir = search.substr(0, colon);
    std::string candidate = dir.empty() ? std::string(".") : std::string(dir);
    candidate += '/';
    candidate += name;
    out.push_back(std::move(candidate));
    if (colon == std::string_view::npos) break;
    search.remove_prefix(colon + 1);
  }
  return out;
}

// The fd the child should see at `target`, opened by the parent (close-on-exec), or -1.
struct ChildFd {
  int source = -1;  // -1: leave the child's fd as inherited
  UniqueFd owned;   // what the parent opened for it and closes after fork
};

ChildFd open_redirect(const Redirect& r, int target, UniqueFd& parent_end) {
  ChildFd out;
  switch (r.kind) {
    case Redirect::Kind::inherit:
      break;
    case Redirect::Kind::null: {
      int fd = ::open("/dev/null", (target == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
      if (fd < 0) throw_errno("open /dev/null");
      out.owned.reset(fd);
      out.source = fd;
      break;
    }
    case Redirect::Kind::file: {
      int flags = O_CLOEXEC;
      if (target == 0) {
        flags |= O_RDONLY;
      } else {
        flags |= O_WRONLY | O_CREAT | (r.append ? O_APPEND : O_TRUNC);
      }
      int fd = ::open(r.path.c_str(), flags, 0666);
      if (fd < 0) throw_errno("open " + r.path);
      out.owned.reset(fd);
      out.source = fd;
      break;
    }
    case Redirect::Kind::pipe: {
      Pipe p = make_pipe();
      if (target == 0) {
        out.source = p.read.get();
        out.owned = std::move(p.read);
        parent_end = std::move(p.write);
      } else {
        out.source = p.write.get();
        out.owned = std::move(p.write);
        parent_end = std::move(p.read);
      }
      break;
    }
    case Redirect::Kind::fd:
      if (r.fd < 0) throw std::invalid_argument("Redirect::to_fd: negative descriptor");
      out.source = r.fd;
      break;
  }
  return out;
}

[[noreturn]] void child_fail(int report_fd, int err, int code) {
  ChildFailure failure{err};
  [[maybe_unused]] ssize_t n = ::write(report_fd, &failure, sizeof failure);
  ::_exit(code);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void run_child(const SpawnOptions& options, ExecPlan& plan, int (&sources)[3],
                            int report_fd, pid_t parent) {
  if (options.new_process_group) ::setpgid(0, 0);
  if (options.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(report_fd, errno, 126);
    // The parent may have died before the signal was armed: then nobody would send it.
    if (::getppid() != parent) ::_exit(to_int(ExitCode::tool_failed));
  }

  // Move sources that sit on 0..2 out of the way first, so that wiring one target
  // cannot clobber the source of another (err → our fd 1 while out goes to a pipe).
  for (int target = 0; target < 3; ++target) {
    int& source = sources[target];
    if (source >= 0 && source < 3 && source != target) {
      int moved = ::fcntl(source, F_DUPFD_CLOEXEC, 3);
      if (moved < 0) child_fail(report_fd, errno, 126);
      source = moved;
    }
  }
  for (int target = 0; target < 3; ++target) {
    int source = sources[target];
    if (source < 0) continue;
    if (source == target) {
      int flags = ::fcntl(target, F_GETFD);
      if (flags >= 0) ::fcntl(target, F_SETFD, flags & ~FD_CLOEXEC);
    } else if (::dup2(source, target) < 0) {
      child_fail(report_fd, errno, 126);
    }
  }

  if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) child_fail(report_fd, errno, 126);

  // Default dispositions (SIG_IGN survives exec, handlers must not run here), then
  // the empty mask: the parent blocked everything around fork.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  int err = ENOENT;
  bool saw_eacces = false;
  for (auto& candidate : plan.candidates) {
    ::execve(candidate.c_str(), plan.argv.data(), plan.envp);
    err = errno;
    if (err == ENOEXEC) {
      // What execvp and shells do for a script without "#!": run it with /bin/sh.
      plan.sh_argv[1] = candidate.data();
      ::execve("/bin/sh", plan.sh_argv.data(), plan.envp);
      err = ENOEXEC;
      break;
    }
    if (err == EACCES) {
      saw_eacces = true;
    } else if (err != ENOENT && err != ENOTDIR && err != ESTALE && err != ENODEV && err != ETIMEDOUT) {
      break;
    }
  }
  if (saw_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
  child_fail(report_fd, err, exit_code_for_exec_errno(err));
}

// Blocks every signal for the lifetime of the object (this thread), restoring the mask after.
class AllSignalsBlocked {
public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &m_old);
  }
  ~AllSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

private:
  sigset_t m_old;
};

}  // namespace

Child spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::invalid_argument("spawn: empty argv");

  ExecPlan plan;
  plan.candidates = exec_candidates(options.argv[0], options.env);
  for (const auto& arg : options.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.sh_argv.push_back(const_cast<char*>("/bin/sh"));
  plan.sh_argv.push_back(nullptr);  // the candidate, set in the child
  for (std::size_t i = 1; i < options.argv.size(); ++i) {
    plan.sh_argv.push_back(const_cast<char*>(options.argv[i].c_str()));
  }
  plan.sh_argv.push_back(nullptr);
  if (options.env) {
    for (const auto& entry : *options.env) plan.env_storage.push_back(const_cast<char*>(entry.c_str()));
    plan.env_storage.push_back(nullptr);
    plan.envp = plan.env_storage.data();
  } else {
    plan.envp = environ;
  }

  Child child;
  ChildFd in = open_redirect(options.in, 0, child.in);
  ChildFd out = open_redirect(options.out, 1, child.out);
  ChildFd err = open_redirect(options.err, 2, child.err);
  int sources[3] = {in.source, out.source, err.source};

  Pipe report = make_pipe();
  const pid_t parent = ::getpid();
  pid_t pid;
  {
    AllSignalsBlocked blocked;
    pid = ::fork();
    if (pid == 0) {
      report.read.release();  // closed by exec; never touched here
      run_child(options, plan, sources, report.write.get(), parent);
    }
  }
  if (pid < 0) throw_errno("fork");

  // Also set the group here: whichever of parent and child runs first, the group
  // exists before anyone signals it. EACCES: the child has already exec'ed (and set it).
  // Failure is harmless: the child sets its own group too.
  if (options.new_process_group) (void)::setpgid(pid, pid);
  child.pid = pid;
  child.pgid = options.new_process_group ? pid : ::getpgrp();

  report.write.reset();
  in.owned.reset();
  out.owned.reset();
  err.owned.reset();

  ChildFailure failure{};
  std::size_t got = 0;
  while (got < sizeof failure) {
    ssize_t n = ::read(report.read.get(), reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == sizeof failure) {
    child.exec_errno = failure.err;
    child.in.reset();
    child.out.reset();
    child.err.reset();
  }
  return child;
}

std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& entry : overrides) {
    auto eq = entry.find('=');
    std::string_view key(entry.data(), eq == std::string::npos ? entry.size() : eq);
    auto same_key = [&](const std::string& existing) {
      return existing.size() > key.size() && existing.compare(0, key.size(), key) == 0 &&
             existing[key.size()] == '=';
    };
    auto it = std::find_if(env.begin(), env.end(), same_key);
    if (it != env.end()) {
      *it = entry;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

int exit_code_from_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  if (WIFSTOPPED(wait_status)) return 128 + WSTOPSIG(wait_status);
  return to_int(ExitCode::tool_failed);
}

int exit_code_for_exec_errno(int err) {
  return err == ENOENT || err == ENOTDIR ? to_int(ExitCode::not_found) : to_int(ExitCode::cannot_execute);
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid));
  }
  return status;
}

std::optional<int> try_wait(pid_t pid) {
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r == 0) return std::nullopt;
    if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid));
  }
}

namespace {

struct SignalEntry {
  int number;
  const char* name;
};

constexpr SignalEntry k_signals[] = {
    {SIGHUP, "HUP"},   {SIGINT, "INT"},       {SIGQUIT, "QUIT"},   {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"},     {SIGBUS, "BUS"},     {SIGFPE, "FPE"},
    {SIGKILL, "KILL"}, {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"},   {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"},     {SIGTERM, "TERM"},   {SIGCHLD, "CHLD"},
    {SIGCONT, "CONT"}, {SIGSTOP, "STOP"},     {SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},
    {SIGTTOU, "TTOU"}, {SIGURG, "URG"},       {SIGXCPU, "XCPU"},   {SIGXFSZ, "XFSZ"},
    {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGIO, "IO"},
    {SIGPWR, "PWR"},   {SIGSYS, "SYS"},
};

// How long to wait after the last signal of a sequence for the group to go away.
constexpr std::chrono::milliseconds k_last_step_grace{std::chrono::seconds(5)};

std::optional<int> signal_from_name(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (text.size() > 3) return std::nullopt;
    int n = std::stoi(std::string(text));
    if (n >= 1 && n < NSIG) return n;
    return std::nullopt;
  }
  std::string upper;
  for (unsigned char c : text) upper += static_cast<char>(std::toupper(c));
  std::string_view name = upper;
  if (name.size() > 3 && name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (const auto& entry : k_signals) {
    if (name == entry.name) return entry.number;
  }
  return std::nullopt;
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    auto comma = text.find(',');
    auto part = text.substr(0, comma);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) part.remove_suffix(1);
    parts.push_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

}  // namespace

KillSequence default_kill_sequence() {
  return {{SIGTERM, std::chrono::seconds(10)}, {SIGKILL, k_last_step_grace}};
}

KillSequence parse_kill_sequence(std::string_view text, std::string_view flag) {
  const std::string prefix = std::string(flag) + ": ";
  auto parts = split_commas(text);
  if (parts.size() == 1 && parts[0].empty()) throw UsageError(prefix + "empty kill sequence");
  KillSequence sequence;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (i % 2 == 0) {
      auto sig = signal_from_name(part);
      if (!sig) throw UsageError(prefix + "unknown signal '" + std::string(part) + "'");
      sequence.push_back({*sig, k_last_step_grace});
    } else {
      if (signal_from_name(part) && !std::isdigit(static_cast<unsigned char>(part.front()))) {
        throw UsageError(prefix + "expected a grace period after '" + std::string(parts[i - 1]) +
                         "', got '" + std::string(part) + "'");
      }
      sequence.back().grace = parse_duration(part, flag);
    }
  }
  if (parts.size() % 2 == 0) {
    throw UsageError(prefix + "must end with a signal, not '" + std::string(parts.back()) + "'");
  }
  return sequence;
}

namespace {

void check_group(pid_t pgid) {
  // kill(-1) and kill(0) mean "everyone" and "ourselves": never what a caller wants here.
  if (pgid <= 1) throw std::invalid_argument("invalid process group " + std::to_string(pgid));
  if (pgid == ::getpgrp()) throw std::invalid_argument("refusing to signal our own process group");
}

// A wait status built from waitid's siginfo.
int status_from_siginfo(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return (info.si_status & 0xff) << 8;
    case CLD_DUMPED:
      return (info.si_status & 0x7f) | 0x80;
    default:
      return info.si_status & 0x7f;
  }
}

// Reaps the leader and the exited members of the group that are our children
// (a zombie keeps the group alive). Never waits for anything else.
void reap_group(pid_t pgid, pid_t leader, std::optional<int>& leader_status) {
  if (!leader_status && leader > 0) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(leader, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == leader) leader_status = status;
  }
  while (true) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    if (::waitid(P_PGID, static_cast<id_t>(pgid), &info, WEXITED | WNOHANG) != 0) {
      if (errno == EINTR) continue;
      return;  // ECHILD: no children of ours in that group
    }
    if (info.si_pid == 0) return;
    if (info.si_pid == leader && !leader_status) leader_status = status_from_siginfo(info);
  }
}

// Whether group pgid has a member that is not a zombie; nullopt when /proc cannot tell.
// Zombie members that are our children (orphans adopted as subreaper) are reaped on the
// way, except the group leader, whose status belongs to the caller.
std::optional<bool> live_member(pid_t pgid) {
  const pid_t self = ::getpid();
  DIR* dir = ::opendir("/proc");
  if (!dir) return std::nullopt;
  std::unique_ptr<DIR, int (*)(DIR*)> owned(dir, ::closedir);
  char path[sizeof "/proc/" + sizeof(dirent::d_name) + sizeof "/stat"];
  char buffer[512];
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const char* paren = std::strrchr(buffer, ')');
    if (!paren) continue;
    char state = 0;
    long ppid = 0;
    long pgrp = 0;
    if (std::sscanf(paren + 1, " %c %ld %ld", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp != pgid) continue;
    if (state != 'Z' && state != 'X') return true;
    pid_t pid = static_cast<pid_t>(std::atol(entry->d_name));
    if (ppid == self && pid != pgid) {
      int status;
      ::waitpid(pid, &status, WNOHANG);
    }
  }
  return false;
}

}  // namespace

bool signal_group(pid_t pgid, int sig) {
  check_group(pgid);
  if (::kill(-pgid, sig) == 0) return true;
  return errno != ESRCH;
}

bool group_alive(pid_t pgid) {
  check_group(pgid);
  if (::kill(-pgid, 0) != 0 && errno != EPERM) return false;
  // kill() also finds zombies, which stay until their parent reaps them (an init
  // that reaps slowly keeps a dead group "alive" for seconds): ask /proc for a live one.
  return live_member(pgid).value_or(true);
}

std::optional<int> kill_group(pid_t pgid, pid_t leader, const KillSequence& sequence) {
  using Clock = std::chrono::steady_clock;
  check_group(pgid);
  std::optional<int> leader_status;
  for (const auto& step : sequence) {
    reap_group(pgid, leader, leader_status);
    if (!signal_group(pgid, step.signal)) break;
    // SIGCONT lets stopped members act on TERM; harmless for the others.
    if (step.signal != SIGKILL && step.signal != SIGCONT) signal_group(pgid, SIGCONT);
    auto deadline = Clock::now() + step.grace;
    auto interval = std::chrono::milliseconds(5);
    bool gone = false;
    while (true) {
      reap_group(pgid, leader, leader_status);
      if (!group_alive(pgid)) {
        gone = true;
        break;
      }
      if (Clock::now() >= deadline) break;
      std::this_thread::sleep_for(interval);
      interval = std::min(interval * 2, std::chrono::milliseconds(10));
    }
    if (gone) break;
  }
  reap_group(pgid, leader, leader_status);
  return leader_status;
}

void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
}

std::string signal_name(int sig) {
  for (const auto& entry : k_signals) {
    if (entry.number == sig) return entry.name;
  }
  return "SIG?";
}

namespace {

// One self-pipe for the process: the handler only writes the signal number to it.
int g_signal_pipe[2] = {-1, -1};
std::once_flag g_signal_pipe_once;

void on_signal(int sig) {
  int saved = errno;
  unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

void drain(int fd, std::vector<int>* into) {
  unsigned char buffer[64];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (into) into->insert(into->end(), buffer, buffer + n);
  }
}

}  // namespace

SignalWatch::SignalWatch(std::vector<int> signals) : m_signals(std::move(signals)) {
  std::call_once(g_signal_pipe_once, [] {
    Pipe p = make_pipe();
    set_nonblocking(p.read.get());
    set_nonblocking(p.write.get());
    g_signal_pipe[0] = p.read.release();
    g_signal_pipe[1] = p.write.release();
  });
  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  m_previous.resize(m_signals.size());
  for (std::size_t i = 0; i < m_signals.size(); ++i) {
    if (::sigaction(m_signals[i], &action, &m_previous[i]) != 0) {
      int err = errno;
      for (std::size_t j = 0; j < i; ++j) ::sigaction(m_signals[j], &m_previous[j], nullptr);
      throw std::system_error(err, std::generic_category(), "sigaction " + signal_name(m_signals[i]));
    }
  }
}

SignalWatch::~SignalWatch() {
  for (std::size_t i = 0; i < m_signals.size(); ++i) ::sigaction(m_signals[i], &m_previous[i], nullptr);
  drain(g_signal_pipe[0], nullptr);
}

int SignalWatch::fd() const { return g_signal_pipe[0]; }

std::vector<int> SignalWatch::read() {
  std::vector<int> received;
  drain(g_signal_pipe[0], &received);
  return received;
}

}  // namespace ciutils
