#include "runner.h"

#include <gtest/gtest.h>

#include <map>

namespace ciutils::prun {
namespace {

struct Ended {
  std::string command;
  Outcome outcome;
};

class RunnerTest : public ::testing::Test {
protected:
  RunnerConfig config() {
    RunnerConfig c;
    c.output = OutputMode::ungroup;
    c.run = {"runner-test", "host"};
    c.quiet = true;
    c.kill_sequence = {{SIGTERM, std::chrono::milliseconds(2000)}, {SIGKILL, std::chrono::milliseconds(0)}};
    return c;
  }
  JobEndCallback collect() {
    return [this](const Job& job, const std::string& command, const Outcome& o, std::size_t, const std::string&) {
      ended[job.number] = {command, o};
    };
  }
  static std::deque<Job> jobs(std::initializer_list<const char*> commands) {
    std::deque<Job> q;
    std::size_t n = 0;
    for (const char* c : commands) {
      Job j;
      j.name = c;
      j.command = c;
      j.number = ++n;
      q.push_back(j);
    }
    return q;
  }
  std::map<std::size_t, Ended> ended;
};

TEST_F(RunnerTest, ClassifiesOutcomes) {
  Runner runner(config(), collect());
  auto result = runner.run_batch(jobs({"true", "exit 3", "kill -SEGV $$", "no-such-command-prun 2>/dev/null"}), 2,
                                 {}, BatchKind::normal);
  EXPECT_EQ(result.passed, 1u);
  EXPECT_EQ(result.failed, 3u);
  EXPECT_EQ(ended[1].outcome.status, Status::passed);
  EXPECT_EQ(ended[2].outcome.status, Status::failed);
  EXPECT_EQ(ended[2].outcome.exit_code, 3);
  EXPECT_EQ(ended[2].outcome.message, "exit status 3");
  EXPECT_EQ(ended[3].outcome.status, Status::failed);
  EXPECT_EQ(ended[3].outcome.signal, SIGSEGV);
  EXPECT_EQ(ended[3].outcome.exit_code, 128 + SIGSEGV);
  EXPECT_EQ(ended[4].outcome.status, Status::error);
  EXPECT_EQ(ended[4].outcome.exit_code, 127);
}

TEST_F(RunnerTest, TimeoutKillsTheGroup) {
  Runner runner(config(), collect());
  JobSettings s;
  s.timeout = std::chrono::milliseconds(200);
  auto result = runner.run_batch(jobs({"sleep 30 & sleep 30"}), 1, s, BatchKind::normal);
  EXPECT_EQ(result.failed, 1u);
  const auto& o = ended[1].outcome;
  EXPECT_EQ(o.status, Status::timeout);
  EXPECT_EQ(o.exit_code, 124);
  EXPECT_TRUE(o.timed_out);
  EXPECT_LT(o.duration_s, 5.0);
}

TEST_F(RunnerTest, RetriesMakeFlaky) {
  std::string marker = ::testing::TempDir() + "/prun-flaky-marker";
  std::remove(marker.c_str());
  Runner runner(config(), collect());
  JobSettings s;
  s.retries = 2;
  std::string cmd = "test -e " + marker + " || { touch " + marker + "; exit 1; }";
  auto q = jobs({"x"});
  q.front().command = cmd;
  auto result = runner.run_batch(std::move(q), 1, s, BatchKind::normal);
  EXPECT_EQ(result.passed, 1u);
  EXPECT_EQ(result.flaky, 1u);
  EXPECT_EQ(ended[1].outcome.status, Status::flaky);
  EXPECT_EQ(ended[1].outcome.attempts, 2);
  std::remove(marker.c_str());
}

TEST_F(RunnerTest, QueueLargerThanSlotsRunsEveryJobOnce) {
  Runner runner(config(), collect());
  std::deque<Job> q;
  for (std::size_t i = 1; i <= 300; ++i) {
    Job j;
    j.name = "j" + std::to_string(i);
    j.command = ":";
    j.number = i;
    q.push_back(j);
  }
  auto result = runner.run_batch(std::move(q), 3, {}, BatchKind::normal);
  EXPECT_EQ(result.passed, 300u);
  EXPECT_EQ(ended.size(), 300u);
  for (const auto& [n, e] : ended) EXPECT_LT(e.outcome.slot, 3);
}

TEST_F(RunnerTest, FixedSlotsAndSlotEnvironment) {
  auto c = config();
  c.slot_env = {{"TARGET", {"a", "b"}}};
  c.output = OutputMode::group;
  Runner runner(c, collect());
  auto q = jobs({"echo $PRUN_SLOT:$CI_COMMAND_NUMBER:$PRUN_SLOT_COUNT:$TARGET:$PROJECT_NAME",
                 "echo $PRUN_SLOT:$CI_COMMAND_NUMBER:$PRUN_SLOT_COUNT:$TARGET:$PROJECT_NAME"});
  q[0].fixed_slot = 1;
  q[1].fixed_slot = 0;
  runner.run_batch(std::move(q), 2, {}, BatchKind::normal);
  EXPECT_EQ(ended[1].outcome.stdout_tail, "1:1:2:b:runner-test-1\n");
  EXPECT_EQ(ended[2].outcome.stdout_tail, "0:0:2:a:runner-test-0\n");
}

}  // namespace
}  // namespace ciutils::prun
