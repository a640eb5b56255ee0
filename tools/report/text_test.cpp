#include "text.h"

#include <gtest/gtest.h>

namespace ciutils::report {
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

TEST(TrimMiddle, KeepsHeadAndTail) {
  EXPECT_EQ(trim_middle("abcdef", 3, 3), "abcdef");
  EXPECT_EQ(trim_middle("abcdefghij", 2, 3), "ab\n[… 5 bytes trimmed …]\nhij");
}

TEST(TrimMiddle, NeverCutsACharacter) {
  std::string s = "ééééé";  // 2 bytes each
  std::string t = trim_middle(s, 3, 3);
  EXPECT_EQ(t.substr(0, 2), "é");
  EXPECT_EQ(t.substr(t.size() - 2), "é");
}

TEST(FirstLine, TrimsBlanks) {
  EXPECT_EQ(first_line("\n  boom  \nmore"), "boom");
  EXPECT_EQ(first_line(""), "");
}

TEST(XmlEscape, EscapesMarkupAndSplitsCdataEnd) {
  EXPECT_EQ(xml_escape("a<b>&]]>"), "a&lt;b&gt;&amp;]]&gt;");
  EXPECT_EQ(xml_escape("\"x\"\n\t\r", true), "&quot;x&quot;&#10;&#9;&#13;");
}

TEST(HtmlEscape, EscapesScript) {
  EXPECT_EQ(html_escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
}

}  // namespace
}  // namespace ciutils::report
