#include "ciutils/control_escape.h"

#include <gtest/gtest.h>

using ciutils::escape_control;

TEST(EscapeControl, MakesControlCharactersVisible) {
  EXPECT_EQ(escape_control("deploy-bot"), "deploy-bot");
  EXPECT_EQ(escape_control("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(escape_control("\x1b[2J\x07"), "\\x1b[2J\\x07");
  EXPECT_EQ(escape_control(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_control("del\x7f"), "del\\x7f");
  EXPECT_EQ(escape_control("c1 \xc2\x9b" "31m"), "c1 \\u009b31m");
  EXPECT_EQ(escape_control("back\\slash"), "back\\\\slash");
  EXPECT_EQ(escape_control("ünïcödé ✓"), "ünïcödé ✓");
}
