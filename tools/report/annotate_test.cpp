#include "annotate.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

TEST(Annotate, EscapesDataAndProperties) {
  EXPECT_EQ(escape_command_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
  EXPECT_EQ(escape_command_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
}

TEST(Annotate, OutputCannotInjectCommands) {
  TestResult r;
  r.name = "n,1:2";
  r.classname = "c";
  r.status = Status::failed;
  r.file = "src/a,b.cpp";
  r.line = 12;
  r.message = "boom\n::add-mask::secret\n::set-env name=X::y";
  std::string out = render_annotations({r});
  EXPECT_EQ(out,
            "::error file=src/a%2Cb.cpp,line=12,title=c › n%2C1%3A2 failed::boom%0A::add-mask::secret%0A::set-env "
            "name=X::y\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
}

TEST(Annotate, AtMostTenPerTypeRestSummarised) {
  std::vector<TestResult> rs;
  for (int i = 0; i < 25; ++i) {
    TestResult r;
    r.name = "t" + std::to_string(i);
    r.classname = "c";
    r.status = i < 15 ? Status::failed : Status::flaky;
    rs.push_back(r);
  }
  std::string out = render_annotations(rs);
  std::size_t errors = 0, warnings = 0, pos = 0;
  while ((pos = out.find("::error ", pos)) != std::string::npos) ++errors, ++pos;
  pos = 0;
  while ((pos = out.find("::warning ", pos)) != std::string::npos) ++warnings, ++pos;
  EXPECT_EQ(errors, 10u);
  EXPECT_EQ(warnings, 10u);
  EXPECT_NE(out.find("::error title=6 more failed tests::c › t9, c › t10, c › t11, c › t12, c › t13, c › t14\n"),
            std::string::npos);
}

}  // namespace
}  // namespace ciutils::report
