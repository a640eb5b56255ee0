#include "text.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

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
