#include "ciutils/html_escape.h"

#include <gtest/gtest.h>

TEST(HtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(ciutils::html_escape("<script>alert('x&y')</script> \"q\""),
            "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt; &quot;q&quot;");
  EXPECT_EQ(ciutils::html_escape("plain ✓"), "plain ✓");
}
