#include "command_template.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

TEST(ShellQuoteTest, LeavesSafeWordsAlone) {
  EXPECT_EQ(shell_quote("tests/a_test.py"), "tests/a_test.py");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
}

TEST(TemplateTest, FillsPlaceholders) {
  EXPECT_EQ(expand_template("gzip -9 {}", {"a b.txt"}, 3, 1), "gzip -9 'a b.txt'");
  EXPECT_EQ(expand_template("run {} --shard {#} --slot {%}", {"x"}, 7, 2), "run x --shard 7 --slot 2");
  EXPECT_EQ(expand_template("echo", {"x"}, 1, 0), "echo x");
  EXPECT_EQ(expand_template("echo {", {"x"}, 1, 0), "echo { x");
  EXPECT_TRUE(template_uses_slot("a {%}"));
  EXPECT_FALSE(template_uses_slot("a {}"));
}

TEST(TemplateTest, FillsParallelsReplacementStrings) {
  EXPECT_EQ(expand_template("convert {} {.}.png", {"dir/a b.jpg"}, 1, 0), "convert 'dir/a b.jpg' 'dir/a b'.png");
  EXPECT_EQ(expand_template("{/} {//} {/.}", {"x/y/z.tar.gz"}, 1, 0), "z.tar.gz x/y z.tar");
  EXPECT_EQ(expand_template("{//} {.}", {"plain"}, 1, 0), ". plain");
  EXPECT_EQ(expand_template("{.}", {"a.b/c"}, 1, 0), "a.b/c");
  // Any replacement string means the item is not appended.
  EXPECT_EQ(expand_template("echo {#}", {"x"}, 4, 0), "echo 4");
  EXPECT_EQ(expand_template("echo {/.}", {"d/x.c"}, 4, 0), "echo x");
  EXPECT_EQ(unsupported_replacement("echo {1} {} {2.} {-1/.} {3//}"), std::nullopt);
  EXPECT_EQ(unsupported_replacement("echo {0}"), "{0}");
  EXPECT_EQ(unsupported_replacement("echo {1..}"), "{1..}");
  EXPECT_EQ(unsupported_replacement("echo {+.}"), "{+.}");
  EXPECT_EQ(unsupported_replacement("perl {= s/a/b/ =}"), "{= s/a/b/ =}");
  EXPECT_EQ(unsupported_replacement("awk '{print $1}' {} {.}"), std::nullopt);
  EXPECT_EQ(unsupported_replacement("f() { :; }; {}"), std::nullopt);
}

TEST(TemplateTest, FillsPositionalArguments) {
  std::vector<std::string> args{"a.x/b.c", "d/e f.g"};
  EXPECT_EQ(expand_template("echo {1.} {2/} {-1} {2//} {1/.}", args, 1, 0), "echo a.x/b 'e f.g' 'd/e f.g' d b");
  EXPECT_EQ(expand_template("echo {} {.}", args, 1, 0), "echo a.x/b.c 'd/e f.g' a.x/b 'd/e f'");
  EXPECT_EQ(expand_template("echo", args, 1, 0), "echo a.x/b.c 'd/e f.g'");
  // A position beyond the job's arguments (the short last group of -N) is nothing at all.
  EXPECT_EQ(expand_template("echo {1}-{3}", args, 1, 0), "echo a.x/b.c-");
  EXPECT_EQ(expand_template("echo x{}y", {""}, 1, 0), "echo x''y");
  EXPECT_EQ(expand_template("echo", {}, 1, 0), "echo");
  EXPECT_EQ(highest_position("{1} {-3.} {} {#}"), 3u);
  EXPECT_EQ(highest_position("{}"), 0u);
}

TEST(TemplateTest, ContextReplaceRepeatsTheWord) {
  std::vector<std::string> args{"a", "b c"};
  EXPECT_EQ(expand_template("echo x{}y {#}", args, 5, 0, true), "echo xay x'b c'y 5");
  EXPECT_EQ(expand_template("echo", args, 5, 0, true), "echo a 'b c'");
  EXPECT_EQ(expand_template("echo {1}", args, 5, 0, true), "echo a");
}

TEST(TemplateTest, PlanCommandsGetNumbersButNotTheShellsOwn) {
  EXPECT_EQ(expand_numbers("up -p ci{%} --job {#} {} ${#} $# {%%}", 12, 3), "up -p ci3 --job 12 {} ${#} $# {%%}");
  EXPECT_EQ(expand_numbers("{%}{#}", 1, 0), "01");
}

TEST(TemplateTest, JoinsWords) { EXPECT_EQ(join_template({"echo", "{}", "|", "wc"}), "echo {} | wc"); }

}  // namespace
}  // namespace ciutils::prun
