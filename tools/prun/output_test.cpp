#include "output.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace ciutils::prun {
namespace {

TEST(LineTaggerTest, PrefixesCompleteLinesAndKeepsPartials) {
  LineTagger t(nullptr, "[0/1] ", false);
  EXPECT_EQ(t.tag("a\nb"), "[0/1] a\n");
  EXPECT_EQ(t.tag("c\n\nd\n"), "[0/1] bc\n[0/1] \n[0/1] d\n");
  EXPECT_EQ(t.tag(""), "");
}

TEST(LineTaggerTest, CutsOverlongLines) {
  LineTagger t(nullptr, "> ", false);
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

std::string read_back(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string got;
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) got.append(buffer, n);
  return got;
}

TEST(JobCaptureTest, SpillsLargeOutputAndReplaysStdoutThenStderr) {
  CaptureSettings s;
  s.tail_bytes = 8;
  JobCapture c(s, nullptr, nullptr);
  std::string chunk(100000, 'a');
  std::string out;
  std::string err;
  for (int i = 0; i < 15; ++i) {
    chunk[0] = static_cast<char>('A' + i);
    c.on_data(i % 2 == 0 ? 1 : 2, chunk);
    (i % 2 == 0 ? out : err) += chunk;
  }
  EXPECT_EQ(c.bytes(), out.size() + err.size());
  EXPECT_EQ(c.stdout_tail().size(), 8u);
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    OutputSink sink(fileno(f));
    c.replay(sink);
    EXPECT_FALSE(sink.pending());
  }
  EXPECT_EQ(read_back(f), out + "\n" + err);  // stderr starts on a line of its own
  std::fclose(f);
}

TEST(JobCaptureTest, CombinedTailKeepsLinesWhole) {
  CaptureSettings s;
  JobCapture c(s, nullptr, nullptr);
  c.on_data(1, "out-a");
  c.on_data(2, "err-1\n");
  c.on_data(1, "out-b\nrest");
  c.on_eof(1);
  c.on_eof(2);
  EXPECT_EQ(c.combined_tail(), "err-1\nout-aout-b\nrest\n");
}

TEST(OutputSinkTest, QueuesWhatAFullPipeDoesNotTakeAndNeverBlocks) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string data(1 << 20, 'x');
  {
    OutputSink sink(fds[1]);
    sink.write(data);  // more than the pipe holds: must return at once
    EXPECT_TRUE(sink.pending());
    EXPECT_GT(sink.backlog(), 0u);
    std::string got;
    char buffer[65536];
    while (sink.pending()) {
      ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      ASSERT_GT(n, 0);
      got.append(buffer, static_cast<std::size_t>(n));
      sink.on_writable();
    }
    while (got.size() < data.size()) {
      ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      ASSERT_GT(n, 0);
      got.append(buffer, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(got, data);
  }
  // Our own non-blocking description: the shared one keeps its flags.
  EXPECT_EQ(::fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(GithubTest, NeutralisesWorkflowCommands) {
  const std::string zw = "\xE2\x80\x8B";  // zero-width space
  EXPECT_EQ(neutralise_workflow_commands("::error::x"), ":" + zw + ":error::x");
  EXPECT_EQ(neutralise_workflow_commands("  ::add-mask::x"), "  :" + zw + ":add-mask::x");
  EXPECT_EQ(neutralise_workflow_commands("see ##[error]x"), "see #" + zw + "#[error]x");
  EXPECT_EQ(neutralise_workflow_commands("a::b"), "a::b");
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
