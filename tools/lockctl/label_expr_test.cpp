#include "label_expr.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::lockctl {
namespace {

using Postfix = std::vector<std::string>;

TEST(LabelExpr, OneLabel) { EXPECT_EQ(parse_label_expr("gpu").postfix, Postfix{"gpu"}); }

TEST(LabelExpr, AndBindsTighterThanOr) {
  EXPECT_EQ(parse_label_expr("a || b && c").postfix, (Postfix{"a", "b", "c", "&&", "||"}));
  EXPECT_EQ(parse_label_expr("(a || b) && c").postfix, (Postfix{"a", "b", "||", "c", "&&"}));
}

TEST(LabelExpr, NotAndSpaces) {
  EXPECT_EQ(parse_label_expr("  !arm&&linux-x86_64 ").postfix, (Postfix{"arm", "!", "linux-x86_64", "&&"}));
  EXPECT_EQ(parse_label_expr("!!a").postfix, (Postfix{"a", "!", "!"}));
}

std::string error_of(const std::string& text) {
  try {
    parse_label_expr(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LabelExpr, ErrorsNameTheColumn) {
  EXPECT_EQ(error_of(""), "--label: empty expression");
  EXPECT_EQ(error_of("linux &&"), "--label: expected a label at column 9 of 'linux &&'");
  EXPECT_EQ(error_of("linux & gpu"), "--label: unexpected '&' at column 7 of 'linux & gpu'");
  EXPECT_EQ(error_of("(a || b"), "--label: expected ')' at column 8 of '(a || b'");
  EXPECT_EQ(error_of("a && $x"), "--label: expected a label, found '$' at column 6 of 'a && $x'");
  EXPECT_EQ(error_of("a b"), "--label: unexpected 'b' at column 3 of 'a b'");
}

}  // namespace
}  // namespace ciutils::lockctl
