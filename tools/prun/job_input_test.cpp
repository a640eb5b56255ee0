#include "job_input.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace ciutils::prun {
namespace {

class JobInputTest : public ::testing::Test {
protected:
  void SetUp() override {
    char dir[] = "/tmp/prun-job-input.XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    m_dir = dir;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::string write(const std::string& name, const std::string& text) {
    std::string path = m_dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string m_dir;
};

std::vector<std::string> names(const std::deque<Job>& queue) {
  std::vector<std::string> out;
  for (const auto& job : queue) out.push_back(job.name);
  return out;
}

TEST_F(JobInputTest, SkipsBlankLinesAndCommentsOfJobLines) {
  auto a = write("a", "echo 1\r\n\n   \n# a comment\n  # indented comment\necho 2\necho 3");  // no final newline
  JobInput input(a, false);
  std::deque<Job> queue;
  input.read_all(queue);
  EXPECT_TRUE(input.done());
  EXPECT_EQ(input.fd(), -1);
  EXPECT_EQ(names(queue), (std::vector<std::string>{"echo 1", "echo 2", "echo 3"}));
  EXPECT_EQ(queue[2].command, "echo 3");
  EXPECT_EQ(queue[0].number, 1u);
  EXPECT_EQ(queue[2].number, 3u);
  EXPECT_FALSE(queue[0].has_template);
}

TEST_F(JobInputTest, TemplateItemsKeepHashAndEmptyLines) {
  auto a = write("a", "#1 item\n\nplain\n");
  JobInput input(a, true);
  std::deque<Job> queue;
  input.read_all(queue);
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue[0].args, std::vector<std::string>{"#1 item"});
  EXPECT_EQ(queue[1].args, std::vector<std::string>{""});
  EXPECT_EQ(queue[1].name, "''");
  EXPECT_TRUE(queue[0].has_template);
  EXPECT_TRUE(queue[0].command.empty());
}

TEST_F(JobInputTest, SkipEmptyDropsBlankItems) {
  InputFormat format;
  format.skip_empty = true;
  auto items = read_items(write("a", "a\n\n \t\nb\n"), format, "--arg-file");
  EXPECT_EQ(items, (std::vector<std::string>{"a", "b"}));
}

TEST_F(JobInputTest, DelimitersAndGroups) {
  InputFormat format;
  format.delimiter = std::string(1, '\0');
  auto items = read_items(write("a", std::string("a b\0c\nd\0\0e", 11)), format, "--arg-file");
  EXPECT_EQ(items, (std::vector<std::string>{"a b", "c\nd", "", "e"}));
  format.delimiter = "::";
  format.per_job = 2;
  JobInput input(write("b", "1::2::3::4::5::"), true, format);
  std::deque<Job> queue;
  input.read_all(queue);
  ASSERT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue[0].args, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(queue[2].args, std::vector<std::string>{"5"});
  EXPECT_EQ(queue[2].name, "5");
  format.per_job = 0;
  JobInput none(write("c", "x::y::"), true, format);
  queue.clear();
  none.read_all(queue);
  ASSERT_EQ(queue.size(), 2u);  // -N0: one job per item, without arguments
  EXPECT_TRUE(queue[1].args.empty());
  EXPECT_EQ(queue[1].name, "job 2");
}

// A delimiter cut between two reads of a pipe still ends the item.
TEST_F(JobInputTest, DelimiterSplitAcrossReads) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(0);
  ASSERT_EQ(::dup2(fds[0], 0), 0);
  ::close(fds[0]);
  InputFormat format;
  format.delimiter = "::";
  JobInput input("-", true, format);
  ::dup2(saved, 0);
  ::close(saved);
  std::deque<Job> queue;
  ASSERT_EQ(::write(fds[1], "a:", 2), 2);
  EXPECT_EQ(input.read_some(queue), 0u);
  ASSERT_EQ(::write(fds[1], ":b", 2), 2);
  EXPECT_EQ(input.read_some(queue), 1u);
  ::close(fds[1]);
  input.read_all(queue);
  EXPECT_EQ(names(queue), (std::vector<std::string>{"a", "b"}));
}

TEST(DelimiterTest, ReadsEscapes) {
  EXPECT_EQ(parse_delimiter("\\n"), "\n");
  EXPECT_EQ(parse_delimiter("\\0"), std::string(1, '\0'));
  EXPECT_EQ(parse_delimiter("\\x2c"), ",");
  EXPECT_EQ(parse_delimiter("\\054"), ",");
  EXPECT_EQ(parse_delimiter("ab"), "ab");
  EXPECT_THROW(parse_delimiter(""), UsageError);
  EXPECT_THROW(parse_delimiter("\\q"), UsageError);
}

TEST_F(JobInputTest, MissingFileNamesTheFlag) {
  try {
    JobInput input(m_dir + "/missing", false);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "--arg-file: " + m_dir + "/missing: No such file or directory");
  }
}

// A pipe from a producer: lines become jobs as they arrive, a split line waits for its end.
TEST_F(JobInputTest, PipeFeedsJobsAsLinesArrive) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(0);
  ASSERT_EQ(::dup2(fds[0], 0), 0);
  ::close(fds[0]);
  JobInput input("", false);
  ::dup2(saved, 0);
  ::close(saved);

  std::deque<Job> queue;
  EXPECT_FALSE(input.ready());
  ASSERT_EQ(::write(fds[1], "echo a\necho b", 13), 13);
  EXPECT_TRUE(input.ready());
  EXPECT_EQ(input.read_some(queue), 1u);
  EXPECT_EQ(names(queue), (std::vector<std::string>{"echo a"}));
  EXPECT_FALSE(input.ready());
  ASSERT_EQ(::write(fds[1], "c\n", 2), 2);
  EXPECT_EQ(input.read_some(queue), 1u);
  EXPECT_EQ(queue.back().name, "echo bc");
  EXPECT_EQ(queue.back().number, 2u);
  EXPECT_FALSE(input.done());
  ::close(fds[1]);
  EXPECT_TRUE(input.ready());
  EXPECT_EQ(input.read_some(queue), 0u);
  EXPECT_TRUE(input.done());
  EXPECT_EQ(input.jobs_read(), 2u);
}

}  // namespace
}  // namespace ciutils::prun
