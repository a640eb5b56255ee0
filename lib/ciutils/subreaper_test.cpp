#include "ciutils/subreaper.h"

#include "ciutils/process.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

namespace ciutils {
namespace {

using namespace std::chrono_literals;

template <typename F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

std::string read_line(int fd) {
  std::string out;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') out += c;
  return out;
}

// A group of two sleeps (leader and a background one) that ignores SIGTERM.
Child sleeping_group() {
  return spawn({.argv = {"sh", "-c", "trap '' TERM; sleep 1000 & echo ready; wait"}, .out = Redirect::pipe()});
}

TEST(GroupGuard, KillsTheGroupWhenItsOwnerIsKilledWithSigkill) {
  Pipe report = make_pipe();
  pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    Child child = sleeping_group();
    read_line(child.out.get());
    GroupGuard guard(child.pgid);
    std::string pgid = std::to_string(child.pgid) + "\n";
    [[maybe_unused]] auto n = ::write(report.write.get(), pgid.data(), pgid.size());
    while (true) ::pause();
  }
  report.write.reset();
  pid_t pgid = std::stoi(read_line(report.read.get()));
  ASSERT_GT(pgid, 1);
  EXPECT_TRUE(group_alive(pgid));
  ::kill(owner, SIGKILL);
  int status;
  ::waitpid(owner, &status, 0);
  EXPECT_TRUE(eventually([&] { return !group_alive(pgid); }));
}

TEST(GroupGuard, EndingKillsTheGroupUnlessDismissed) {
  Child kept = sleeping_group();
  Child killed = sleeping_group();
  read_line(kept.out.get());
  read_line(killed.out.get());
  {
    GroupGuard dismissed(kept.pgid);
    dismissed.dismiss();
    GroupGuard active(killed.pgid);
  }
  EXPECT_EQ(exit_code_from_status(wait_for(killed.pid)), 128 + SIGKILL);
  EXPECT_TRUE(group_alive(kept.pgid));
  kill_group(kept.pgid, kept.pid, {{SIGKILL, 5s}});
}

TEST(KillChildren, KillsAnEscapedSessionAndNamesIt) {
  become_subreaper();
  Child child = spawn({.argv = {"sh", "-c", "setsid sleep 1000 >/dev/null & echo $!"}, .out = Redirect::pipe()});
  pid_t escapee = std::stoi(read_line(child.out.get()));
  EXPECT_EQ(exit_code_from_status(wait_for(child.pid)), 0);
  ASSERT_TRUE(eventually([&] {
    auto children = children_of_self();
    return std::find(children.begin(), children.end(), escapee) != children.end() && process_name(escapee) == "sleep";
  }));
  auto killed = kill_children([](pid_t) { return true; });
  ASSERT_EQ(killed.size(), 1U);
  EXPECT_EQ(killed[0].pid, escapee);
  EXPECT_EQ(killed[0].name, "sleep");
  errno = 0;
  EXPECT_EQ(::kill(escapee, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(KillChildren, PicksByEnvironment) {
  become_subreaper();
  auto env = environment_with({"MARK=mine"});
  Child mine = spawn({.argv = {"sleep", "1000"}, .env = env});
  Child other = spawn({.argv = {"sleep", "1000"}});
  ASSERT_TRUE(eventually([&] { return process_name(mine.pid) == "sleep"; }));
  EXPECT_TRUE(environ_has(mine.pid, {"MARK=mine"}));
  EXPECT_FALSE(environ_has(other.pid, {"MARK=mine"}));
  auto killed = kill_children([](pid_t pid) { return environ_has(pid, {"MARK=mine"}); });
  ASSERT_EQ(killed.size(), 1U);
  EXPECT_EQ(killed[0].pid, mine.pid);
  EXPECT_EQ(::kill(other.pid, 0), 0);
  kill_group(other.pgid, other.pid, {{SIGKILL, 5s}});
}

TEST(Spawn, DieWithParentKillsTheChildWhenTheSpawningProcessIsKilled) {
  Pipe report = make_pipe();
  pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    Child child = spawn({.argv = {"sleep", "1000"}, .die_with_parent = true});
    std::string pid = std::to_string(child.pid) + "\n";
    [[maybe_unused]] auto n = ::write(report.write.get(), pid.data(), pid.size());
    while (true) ::pause();
  }
  report.write.reset();
  pid_t child = std::stoi(read_line(report.read.get()));
  ASSERT_GT(child, 1);
  ::kill(parent, SIGKILL);
  int status;
  ::waitpid(parent, &status, 0);
  EXPECT_TRUE(eventually([&] { return !group_alive(child); }));
}

}  // namespace
}  // namespace ciutils
