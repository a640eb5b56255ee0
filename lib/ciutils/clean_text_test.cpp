#include "ciutils/clean_text.h"

#include <gtest/gtest.h>

namespace ciutils {
namespace {

TEST(CleanText, KeepsPlainUtf8) { EXPECT_EQ(clean_text("héllo\tworld\n✓"), "héllo\tworld\n✓"); }

TEST(CleanText, StripsAnsiEscapes) {
  EXPECT_EQ(clean_text("\x1b[31mred\x1b[0m \x1b[1;32mgreen\x1b[m"), "red green");
  EXPECT_EQ(clean_text("a\x1b]0;title\x07" "b"), "ab");
  EXPECT_EQ(clean_text("a\x1b(Bb"), "ab");
}

TEST(CleanText, ShowsControlCharactersVisibly) {
  EXPECT_EQ(clean_text(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(clean_text("\x01\x08\x0b\x0c"), "\\x01\\x08\\x0B\\x0C");
}

TEST(CleanText, ReplacesNonCharactersAndInvalidUtf8) {
  EXPECT_EQ(clean_text("\xEF\xBF\xBE"), "\\uFFFE");
  EXPECT_EQ(clean_text("\xEF\xBF\xBF"), "\\uFFFF");
  EXPECT_EQ(clean_text("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // an encoded surrogate
  EXPECT_EQ(clean_text("a\xC3"), "a\xEF\xBF\xBD");
  EXPECT_EQ(clean_text("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

}  // namespace
}  // namespace ciutils
