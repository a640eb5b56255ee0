#include "output.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

TEST(LineTaggerTest, PrefixesCompleteLinesAndKeepsPartials) {
  LineTagger t(-1, "[0/1] ", false);
  EXPECT_EQ(t.tag("a\nb"), "[0/1] a\n");
  EXPECT_EQ(t.tag("c\n\nd\n"), "[0/1] bc\n[0/1] \n[0/1] d\n");
  EXPECT_EQ(t.tag(""), "");
}

TEST(LineTaggerTest, CutsOverlongLines) {
  LineTagger t(-1, "> ", false);
  std::string big(LineTagger::k_max_line + 10, 'x');
  std::string out = t.tag(big);
  EXPECT_EQ(out.size(), 2 + big.size() + 1);
}

TEST(TailTest, KeepsLastBytes) {
  Tail t(4);
  t.append("ab");
  t.append("cdef");
  EXPECT_EQ(t.str(), "cdef");
  t.append("0123456789");
  EXPECT_EQ(t.str(), "6789");
  Tail none(0);
  none.append("x");
  EXPECT_EQ(none.str(), "");
}

TEST(JobCaptureTest, SpillsLargeOutputAndReplaysItInOrder) {
  CaptureSettings s;
  s.tail_bytes = 8;
  JobCapture c(s);
  std::string chunk(100000, 'a');
  std::string expected;
  for (int i = 0; i < 15; ++i) {
    chunk[0] = static_cast<char>('A' + i);
    c.on_data(i % 2 == 0 ? 1 : 2, chunk);
    expected += chunk;
  }
  EXPECT_EQ(c.bytes(), expected.size());
  EXPECT_EQ(c.stdout_tail().size(), 8u);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string got;
  // The pipe holds less than the output: read it from a second thread-free loop by
  // replaying into a temp file instead.
  ::close(fds[0]);
  ::close(fds[1]);
  std::string path = ::testing::TempDir() + "/replay.txt";
  FILE* f = std::fopen(path.c_str(), "w+");
  ASSERT_NE(f, nullptr);
  c.replay(fileno(f));
  std::fflush(f);
  std::rewind(f);
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) got.append(buffer, n);
  std::fclose(f);
  std::remove(path.c_str());
  EXPECT_EQ(got, expected);
}

TEST(GithubTest, StopAndResume) {
  std::string token = random_token();
  EXPECT_EQ(token.size(), 29u);
  EXPECT_NE(token, random_token());
  EXPECT_EQ(github_stop_commands("t"), "::stop-commands::t\n");
  EXPECT_EQ(github_resume_commands("t"), "::t::\n");
}

}  // namespace
}  // namespace ciutils::prun
