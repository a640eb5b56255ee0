#include "summary.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

std::vector<TestResult> many(std::size_t n, Status s, std::size_t output) {
  std::vector<TestResult> out;
  for (std::size_t i = 0; i < n; ++i) {
    TestResult r;
    r.name = "test " + std::to_string(i);
    r.classname = "suite";
    r.status = s;
    r.duration_s = static_cast<double>(i);
    r.message = "boom " + std::to_string(i);
    r.stderr_tail = std::string(output, 'x');
    out.push_back(r);
  }
  return out;
}

TEST(Summary, MarkdownEscapesNamesAndMentions) {
  EXPECT_EQ(markdown_inline("<b>@team *x* | y`"), "&lt;b&gt;@&#8203;team \\*x\\* \\| y\\`");
}

TEST(Summary, ListsFailuresFirst) {
  auto r = many(2, Status::failed, 10);
  auto p = many(1, Status::passed, 0);
  r.insert(r.begin(), p.begin(), p.end());
  std::string md = render_summary(r, {});
  EXPECT_EQ(md.rfind("## ❌ Test results: 2 failed, 1 passed (3 tests, 1.00s)", 0), 0u);
  EXPECT_LT(md.find("### Failed tests (2)"), md.find("### Slowest tests"));
  EXPECT_NE(md.find("```text\nxxxxxxxxxx\n```"), std::string::npos);
}

TEST(Summary, StaysUnderMaxBytesDroppingLeastImportantFirst) {
  auto r = many(3000, Status::failed, 4000);
  auto s = many(500, Status::skipped, 0);
  r.insert(r.end(), s.begin(), s.end());
  for (std::size_t max : {std::size_t{1024 * 1024}, std::size_t{64 * 1024}, std::size_t{2000}, std::size_t{64}}) {
    for (auto format : {SummaryFormat::markdown, SummaryFormat::text}) {
      SummaryOptions o;
      o.max_bytes = max;
      o.format = format;
      std::string out = render_summary(r, o);
      EXPECT_LE(out.size(), max) << max;
    }
  }
  SummaryOptions o;
  o.max_bytes = 64 * 1024;
  std::string md = render_summary(r, o);
  EXPECT_NE(md.find("### Failed tests (3000)"), std::string::npos);
  EXPECT_EQ(md.find("Skipped tests"), std::string::npos);
  EXPECT_NE(md.find("left out to stay under 65536 bytes"), std::string::npos);
}

TEST(Summary, CutsOnlyWholeLinesAndWords) {
  std::vector<TestResult> r = many(3, Status::failed, 0);
  for (auto& t : r) t.name = std::string(5000, 'n') + " 12345678";
  for (std::size_t max : {std::size_t{64}, std::size_t{100}, std::size_t{300}, std::size_t{2000}}) {
    SummaryOptions o;
    o.max_bytes = max;
    o.title = "Nightly run 20261201";
    std::string out = render_summary(r, o);
    EXPECT_LE(out.size(), max);
    std::string full = render_summary(r, SummaryOptions{.max_bytes = 1 << 30, .title = "Nightly run 20261201"});
    // Every line but the note is a whole line of the untrimmed summary, or a whole-word
    // prefix of its headline.
    std::size_t pos = 0;
    while (pos < out.size()) {
      auto end = out.find('\n', pos);
      std::string line = out.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? out.size() : end + 1;
      if (line.empty() || line.starts_with("_…cut") || line.starts_with("_Parts") || line.starts_with("- … and ")) continue;
      bool whole = full.find("\n" + line + "\n") != std::string::npos || full.starts_with(line + "\n");
      bool word = full.starts_with(line + " ");
      EXPECT_TRUE(whole || word) << max << ": '" << line << "'";
      if (line.starts_with("|")) {
        EXPECT_TRUE(line.ends_with("|")) << line;
      }
    }
  }
}

TEST(Summary, FencesOutputHoldingBackticks) {
  auto r = many(1, Status::failed, 0);
  r[0].stderr_tail = "```\n## injected";
  std::string md = render_summary(r, {});
  EXPECT_NE(md.find("````text\n```\n## injected\n````"), std::string::npos);
}

}  // namespace
}  // namespace ciutils::report
