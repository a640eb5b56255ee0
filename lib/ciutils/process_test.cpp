#include "ciutils/process.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ciutils {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A process is gone when it no longer exists or is only a zombie (that someone else reaps).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

pid_t parent_of(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(paren + 2));
  char state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// Polls `done` for up to 20 s (generous: the machine may be busy).
template <class F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ciutils-process-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp");
    m_path = pattern;
  }
  ~TempDir() { fs::remove_all(m_path); }
  const fs::path& path() const { return m_path; }

private:
  fs::path m_path;
};

int run_status(SpawnOptions options) {
  Child child = spawn(options);
  return wait_for(child.pid);
}

TEST(Process, InheritsAndExitsZero) {
  Child child = spawn({.argv = {"true"}});
  EXPECT_GT(child.pid, 0);
  EXPECT_EQ(child.exec_errno, 0);
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, ExitCodeMapping) {
  EXPECT_EQ(exit_code_from_status(run_status({.argv = {"sh", "-c", "exit 3"}})), 3);
  EXPECT_EQ(exit_code_from_status(run_status({.argv = {"sh", "-c", "kill -KILL $$"}})), 137);
  EXPECT_EQ(exit_code_from_status(run_status({.argv = {"sh", "-c", "kill -TERM $$"}})), 143);
  EXPECT_EQ(exit_code_for_exec_errno(ENOENT), 127);
  EXPECT_EQ(exit_code_for_exec_errno(EACCES), 126);
  EXPECT_EQ(exit_code_for_exec_errno(ENOEXEC), 126);
}

TEST(Process, PipesForAllThree) {
  Child child = spawn({.argv = {"sh", "-c", "read x; echo \"out:$x\"; echo err:$x >&2"},
                       .in = Redirect::pipe(),
                       .out = Redirect::pipe(),
                       .err = Redirect::pipe()});
  ASSERT_TRUE(child.in.valid());
  ASSERT_TRUE(child.out.valid());
  ASSERT_TRUE(child.err.valid());
  ASSERT_EQ(::write(child.in.get(), "hello\n", 6), 6);
  child.in.reset();
  EXPECT_EQ(read_all(child.out.get()), "out:hello\n");
  EXPECT_EQ(read_all(child.err.get()), "err:hello\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, NullRedirects) {
  Child child = spawn({.argv = {"sh", "-c", "cat; echo done; echo noise >&2"},
                       .in = Redirect::null(),
                       .out = Redirect::pipe(),
                       .err = Redirect::null()});
  EXPECT_EQ(read_all(child.out.get()), "done\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, FileRedirectsTruncateAndAppend) {
  TempDir dir;
  auto out = dir.path() / "out.txt";
  auto log = dir.path() / "log.txt";
  auto input = dir.path() / "in.txt";
  std::ofstream(input) << "from file\n";
  std::ofstream(out) << "old content that must go\n";
  for (int i = 0; i < 2; ++i) {
    int status = run_status({.argv = {"sh", "-c", "cat; echo line >&2"},
                             .in = Redirect::file(input.string()),
                             .out = Redirect::file(out.string()),
                             .err = Redirect::file(log.string(), true)});
    EXPECT_EQ(exit_code_from_status(status), 0);
  }
  EXPECT_EQ(slurp(out), "from file\n");
  EXPECT_EQ(slurp(log), "line\nline\n");
}

TEST(Process, FileRedirectThatCannotOpenThrows) {
  EXPECT_THROW(spawn({.argv = {"true"}, .out = Redirect::file("/nonexistent-dir/x/out.txt")}),
               std::system_error);
}

TEST(Process, FdRedirectAndStderrToTheSameFd) {
  Pipe p = make_pipe();
  Child child = spawn({.argv = {"sh", "-c", "echo one; echo two >&2"},
                       .out = Redirect::to_fd(p.write.get()),
                       .err = Redirect::to_fd(p.write.get())});
  p.write.reset();
  EXPECT_EQ(read_all(p.read.get()), "one\ntwo\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, MissingProgramIsENOENTAnd127) {
  for (std::string name : {"ciutils-no-such-program", "/nonexistent/ciutils-no-such-program"}) {
    Child child = spawn({.argv = {name}, .err = Redirect::null()});
    EXPECT_EQ(child.exec_errno, ENOENT) << name;
    EXPECT_FALSE(child.out.valid());
    EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 127) << name;
  }
}

TEST(Process, NonExecutableIsEACCESAnd126) {
  TempDir dir;
  auto script = dir.path() / "script.sh";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
  Child child = spawn({.argv = {script.string()}});
  EXPECT_EQ(child.exec_errno, EACCES);
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 126);
}

TEST(Process, ScriptWithoutShebangRunsWithSh) {
  TempDir dir;
  auto script = dir.path() / "plain";
  std::ofstream(script) << "echo \"plain:$1\"\n";
  fs::permissions(script, fs::perms::owner_all);
  Child child = spawn({.argv = {script.string(), "arg"}, .out = Redirect::pipe()});
  EXPECT_EQ(child.exec_errno, 0);
  EXPECT_EQ(read_all(child.out.get()), "plain:arg\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, WorkingDirectory) {
  TempDir dir;
  Child child = spawn({.argv = {"pwd", "-P"}, .cwd = dir.path().string(), .out = Redirect::pipe()});
  EXPECT_EQ(read_all(child.out.get()), fs::canonical(dir.path()).string() + "\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, MissingWorkingDirectoryIsReportedAnd126) {
  Child child = spawn({.argv = {"true"}, .cwd = "/nonexistent/ciutils-dir"});
  EXPECT_EQ(child.exec_errno, ENOENT);
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 126);
}

TEST(Process, EnvironmentOverride) {
  Child child = spawn({.argv = {"sh", "-c", "echo \"$CIUTILS_TEST_X:${HOME:-unset}\""},
                       .env = std::vector<std::string>{"PATH=/usr/bin:/bin", "CIUTILS_TEST_X=42"},
                       .out = Redirect::pipe()});
  EXPECT_EQ(read_all(child.out.get()), "42:unset\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, LooksUpProgramOnTheChildsPath) {
  TempDir dir;
  auto tool = dir.path() / "ciutils-test-hello";
  std::ofstream(tool) << "#!/bin/sh\necho hello from child path\n";
  fs::permissions(tool, fs::perms::owner_all);
  auto env = environment_with({"PATH=" + dir.path().string() + ":/usr/bin:/bin"});
  Child child = spawn({.argv = {"ciutils-test-hello"}, .env = env, .out = Redirect::pipe()});
  EXPECT_EQ(child.exec_errno, 0);
  EXPECT_EQ(read_all(child.out.get()), "hello from child path\n");
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
}

TEST(Process, EnvironmentWithReplacesAndAdds) {
  ::setenv("CIUTILS_TEST_REPLACED", "old", 1);
  auto env = environment_with({"CIUTILS_TEST_REPLACED=new", "CIUTILS_TEST_ADDED=1"});
  int replaced = 0;
  int added = 0;
  for (const auto& entry : env) {
    if (entry.starts_with("CIUTILS_TEST_REPLACED=")) {
      ++replaced;
      EXPECT_EQ(entry, "CIUTILS_TEST_REPLACED=new");
    }
    if (entry == "CIUTILS_TEST_ADDED=1") ++added;
  }
  EXPECT_EQ(replaced, 1);
  EXPECT_EQ(added, 1);
  ::unsetenv("CIUTILS_TEST_REPLACED");
}

TEST(Process, ChildLeadsItsOwnGroup) {
  Child child = spawn({.argv = {"sleep", "1000"}});
  EXPECT_EQ(child.pgid, child.pid);
  EXPECT_EQ(::getpgid(child.pid), child.pid);
  EXPECT_TRUE(group_alive(child.pgid));
  auto status = kill_group(child.pgid, child.pid, parse_kill_sequence("TERM,10s,KILL", "--test"));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code_from_status(*status), 143);
  EXPECT_FALSE(group_alive(child.pgid));
}

TEST(Process, SignalsIgnoredByTheParentAreResetInTheChild) {
  struct sigaction ignore {};
  struct sigaction previous {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(::sigaction(SIGTERM, &ignore, &previous), 0);
  Child child = spawn({.argv = {"sleep", "1000"}});
  ::sigaction(SIGTERM, &previous, nullptr);
  ASSERT_EQ(::kill(child.pid, SIGTERM), 0);
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 143);
}

TEST(Process, KillGroupKillsAGrandchild) {
  TempDir dir;
  auto pid_file = dir.path() / "grandchild.pid";
  Child child = spawn({.argv = {"sh", "-c", "sleep 1000 & echo $! > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; wait",
                                "sh", pid_file.string()}});
  ASSERT_TRUE(eventually([&] { return fs::exists(pid_file); }));
  pid_t grandchild = std::stoi(slurp(pid_file));
  ASSERT_GT(grandchild, 1);
  EXPECT_FALSE(process_gone(grandchild));
  EXPECT_EQ(::getpgid(grandchild), child.pgid);

  auto status = kill_group(child.pgid, child.pid, parse_kill_sequence("TERM,10s,KILL", "--test"));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_TRUE(eventually([&] { return process_gone(grandchild); }));
  EXPECT_FALSE(group_alive(child.pgid));
}

TEST(Process, ChildIgnoringTermGetsKillAfterTheGrace) {
  Child child = spawn({.argv = {"sh", "-c", "trap '' TERM; echo ready; sleep 1000 & wait"},
                       .out = Redirect::pipe()});
  char buffer[6] = {};
  ASSERT_EQ(::read(child.out.get(), buffer, 6), 6);
  ASSERT_EQ(std::string(buffer, 6), "ready\n");
  auto started = std::chrono::steady_clock::now();
  auto status = kill_group(child.pgid, child.pid, parse_kill_sequence("TERM,300ms,KILL", "--test"));
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
  EXPECT_EQ(exit_code_from_status(*status), 137);
  EXPECT_GE(elapsed, 300ms);
  EXPECT_FALSE(group_alive(child.pgid));
}

TEST(Process, KillGroupOfAGoneGroupReturnsAtOnce) {
  Child child = spawn({.argv = {"true"}});
  int status = wait_for(child.pid);
  EXPECT_EQ(exit_code_from_status(status), 0);
  EXPECT_FALSE(group_alive(child.pgid));
  EXPECT_FALSE(kill_group(child.pgid, child.pid, default_kill_sequence()).has_value());
}

TEST(Process, RefusesToSignalEveryoneOrOurselves) {
  EXPECT_THROW(signal_group(0, SIGTERM), std::invalid_argument);
  EXPECT_THROW(signal_group(-1, SIGTERM), std::invalid_argument);
  EXPECT_THROW(signal_group(1, SIGTERM), std::invalid_argument);
  EXPECT_THROW(group_alive(::getpgrp()), std::invalid_argument);
}

TEST(Process, TryWait) {
  Child child = spawn({.argv = {"sleep", "1000"}});
  EXPECT_FALSE(try_wait(child.pid).has_value());
  ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
  std::optional<int> status;
  EXPECT_TRUE(eventually([&] { return (status = try_wait(child.pid)).has_value(); }));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(exit_code_from_status(*status), 137);
}

TEST(KillSequence, Default) {
  auto sequence = default_kill_sequence();
  ASSERT_EQ(sequence.size(), 2u);
  EXPECT_EQ(sequence[0].signal, SIGTERM);
  EXPECT_EQ(sequence[0].grace, 10s);
  EXPECT_EQ(sequence[1].signal, SIGKILL);
}

TEST(KillSequence, ParsesGoodValues) {
  auto sequence = parse_kill_sequence("TERM,10s,KILL", "--kill-sequence");
  ASSERT_EQ(sequence.size(), 2u);
  EXPECT_EQ(sequence[0].signal, SIGTERM);
  EXPECT_EQ(sequence[0].grace, 10s);
  EXPECT_EQ(sequence[1].signal, SIGKILL);

  sequence = parse_kill_sequence("SIGINT, 2s, term,250ms,9", "--kill-sequence");
  ASSERT_EQ(sequence.size(), 3u);
  EXPECT_EQ(sequence[0].signal, SIGINT);
  EXPECT_EQ(sequence[0].grace, 2s);
  EXPECT_EQ(sequence[1].signal, SIGTERM);
  EXPECT_EQ(sequence[1].grace, 250ms);
  EXPECT_EQ(sequence[2].signal, SIGKILL);

  sequence = parse_kill_sequence("KILL", "--kill-sequence");
  ASSERT_EQ(sequence.size(), 1u);
  EXPECT_EQ(sequence[0].signal, SIGKILL);

  sequence = parse_kill_sequence("HUP,1m30s,QUIT", "--kill-sequence");
  ASSERT_EQ(sequence.size(), 2u);
  EXPECT_EQ(sequence[0].grace, 90s);
}

std::string usage_message(std::string_view text) {
  try {
    parse_kill_sequence(text, "--kill-sequence");
  } catch (const UsageError& e) {
    EXPECT_EQ(e.code(), ExitCode::usage);
    return e.what();
  }
  return "no error";
}

TEST(KillSequence, RejectsBadValuesNamingTheFlag) {
  EXPECT_EQ(usage_message("FOO"), "--kill-sequence: unknown signal 'FOO'");
  EXPECT_EQ(usage_message("TERM,10s,FOO"), "--kill-sequence: unknown signal 'FOO'");
  EXPECT_EQ(usage_message("0"), "--kill-sequence: unknown signal '0'");
  EXPECT_EQ(usage_message("SIG"), "--kill-sequence: unknown signal 'SIG'");
  EXPECT_EQ(usage_message(""), "--kill-sequence: empty kill sequence");
  EXPECT_EQ(usage_message("TERM,,KILL").rfind("--kill-sequence: invalid duration ''", 0), 0u);
  EXPECT_EQ(usage_message("TERM,10s"), "--kill-sequence: must end with a signal, not '10s'");
  EXPECT_EQ(usage_message("TERM,KILL"), "--kill-sequence: expected a grace period after 'TERM', got 'KILL'");
  EXPECT_EQ(usage_message("TERM,soon,KILL").rfind("--kill-sequence: invalid duration 'soon'", 0), 0u);
}

TEST(Signals, Names) {
  EXPECT_EQ(signal_name(SIGTERM), "TERM");
  EXPECT_EQ(signal_name(SIGKILL), "KILL");
  EXPECT_EQ(signal_name(SIGHUP), "HUP");
  EXPECT_EQ(signal_name(0), "SIG?");
  EXPECT_EQ(signal_name(1000), "SIG?");
}

volatile std::sig_atomic_t g_previous_handler_ran = 0;
void previous_handler(int) { g_previous_handler_ran = 1; }

TEST(Signals, WatchReceivesRaisedSignalsAndRestoresHandlers) {
  g_previous_handler_ran = 0;
  struct sigaction mine {};
  struct sigaction original {};
  mine.sa_handler = previous_handler;
  sigemptyset(&mine.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &mine, &original), 0);
  {
    SignalWatch watch({SIGUSR1, SIGUSR2});
    EXPECT_TRUE(watch.read().empty());
    ::raise(SIGUSR1);
    ::raise(SIGUSR2);
    pollfd pfd{watch.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 20000), 1);
    EXPECT_EQ(watch.read(), (std::vector<int>{SIGUSR1, SIGUSR2}));
    EXPECT_TRUE(watch.read().empty());
    EXPECT_EQ(g_previous_handler_ran, 0);
  }
  ::raise(SIGUSR1);
  EXPECT_EQ(g_previous_handler_ran, 1);
  ::sigaction(SIGUSR1, &original, nullptr);
}

TEST(Signals, SubreaperAdoptsADoubleForkedOrphan) {
  become_subreaper();
  Child child = spawn({.argv = {"sh", "-c", "sleep 1000 >/dev/null & echo $!"}, .out = Redirect::pipe()});
  std::string line = read_all(child.out.get());
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
  pid_t orphan = std::stoi(line);
  ASSERT_GT(orphan, 1);
  EXPECT_TRUE(eventually([&] { return parent_of(orphan) == ::getpid(); }));
  EXPECT_TRUE(group_alive(child.pgid));

  // The leader is gone; the group still has the orphan, which we can kill and reap.
  auto status = kill_group(child.pgid, child.pid, parse_kill_sequence("TERM,10s,KILL", "--test"));
  EXPECT_FALSE(status.has_value());
  EXPECT_FALSE(group_alive(child.pgid));
  errno = 0;
  EXPECT_EQ(::kill(orphan, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(Signals, GroupAliveReapsAdoptedOrphansButNotTheLeader) {
  become_subreaper();
  Child child = spawn({.argv = {"sh", "-c", "sleep 0.2 >/dev/null & echo $!"}, .out = Redirect::pipe()});
  pid_t orphan = std::stoi(read_all(child.out.get()));
  ASSERT_GT(orphan, 1);
  // The leader may have exited too: group_alive must leave its status to us.
  EXPECT_TRUE(eventually([&] { return !group_alive(child.pgid); }));
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
  errno = 0;
  EXPECT_EQ(::kill(orphan, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

}  // namespace
}  // namespace ciutils
