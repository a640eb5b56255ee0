#include "ciutils/subreaper.h"

#include "ciutils/fd.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

namespace ciutils {

namespace {

// Runs in the forked watcher: async-signal-safe calls only.
[[noreturn]] void watch(int alive, pid_t pgid) {
  // Only our end of the pipe may stay open here, or a later guard's watcher would keep an
  // earlier one's pipe alive. Every signal stays blocked: a Ctrl-C to the tool's group
  // must not end the watcher before the tool.
  if (alive > 3) ::syscall(SYS_close_range, 3U, static_cast<unsigned>(alive - 1), 0U);
  ::syscall(SYS_close_range, static_cast<unsigned>(alive + 1), ~0U, 0U);
  char byte;
  while (::read(alive, &byte, 1) < 0 && errno == EINTR) {
  }
  ::kill(-pgid, SIGKILL);
  ::_exit(0);
}

}  // namespace

GroupGuard::GroupGuard(pid_t pgid) : m_pgid(pgid) {
  if (pgid <= 1 || pgid == ::getpgrp()) throw std::invalid_argument("GroupGuard: invalid process group");
  Pipe pipe = make_pipe();
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = ::fork();
  if (pid == 0) watch(pipe.read.get(), pgid);
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) throw std::system_error(fork_errno, std::generic_category(), "fork");
  m_watcher = pid;
  m_alive = std::move(pipe.write);
}

GroupGuard::~GroupGuard() {
  if (m_dismissed) {
    ::kill(m_watcher, SIGKILL);
  } else {
    m_alive.reset();  // the watcher kills the group and exits
  }
  int status;
  while (::waitpid(m_watcher, &status, 0) < 0 && errno == EINTR) {
  }
}

std::vector<pid_t> children_of_self() {
  const std::string text = read_small_file("/proc/self/task/" + std::to_string(::getpid()) + "/children");
  std::vector<pid_t> pids;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    pid_t pid = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') pid = pid * 10 + (text[j++] - '0');
    if (j > i) pids.push_back(pid);
    i = j + 1;
  }
  return pids;
}

std::string process_name(pid_t pid) {
  std::string name = read_small_file("/proc/" + std::to_string(pid) + "/comm");
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name.empty() ? "?" : name;
}

bool is_zombie(pid_t pid) {
  // "pid (comm) state …": comm may hold spaces and parentheses.
  const std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool environ_has(pid_t pid, const std::vector<std::string>& entries) {
  const std::string text = read_small_file("/proc/" + std::to_string(pid) + "/environ");
  std::size_t found = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = text.find('\0', i);
    if (end == std::string::npos) end = text.size();
    std::string_view entry(text.data() + i, end - i);
    for (const auto& wanted : entries) {
      if (entry == wanted) ++found;
    }
    i = end + 1;
  }
  return found >= entries.size();
}

void kill_process_and_group(pid_t pid) {
  pid_t pg = ::getpgid(pid);
  if (pg > 1 && pg != ::getpgrp()) ::kill(-pg, SIGKILL);
  ::kill(pid, SIGKILL);
}

std::vector<Escapee> kill_children(const std::function<bool(pid_t)>& pick) {
  std::vector<Escapee> killed;
  for (int round = 0; round < 100; ++round) {
    bool any = false;
    for (pid_t pid : children_of_self()) {
      if (!pick(pid)) continue;
      any = true;
      int status;
      if (::waitpid(pid, &status, WNOHANG) == pid) continue;  // already a zombie
      killed.push_back({pid, process_name(pid)});
      kill_process_and_group(pid);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return killed;
}

}  // namespace ciutils
