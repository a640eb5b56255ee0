#include "names.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::lockctl {
namespace {

TEST(Names, AcceptsPlainNames) {
  EXPECT_NO_THROW(validate_name("uat-1", "resource"));
  EXPECT_NO_THROW(validate_name("licence.pool_2", "pool"));
}

TEST(Names, RejectsEmptyAndBadCharacters) {
  try {
    validate_name("", "RESOURCE");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "RESOURCE: empty name");
  }
  try {
    validate_name("a:b", "--pool");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--pool: 'a:b' may contain only letters, digits, '.', '_' and '-'");
  }
  EXPECT_THROW(validate_name("a{b}", "resource"), UsageError);
  EXPECT_THROW(validate_name(std::string(129, 'a'), "resource"), UsageError);
}

TEST(Names, TokensAre32HexDigits) {
  std::string t = new_token();
  EXPECT_EQ(t.size(), 32u);
  EXPECT_NO_THROW(validate_token(t, "--token"));
  EXPECT_NE(t, new_token());
  EXPECT_THROW(validate_token("xyz", "--token"), UsageError);
  EXPECT_THROW(validate_token(std::string(32, 'G'), "--token"), UsageError);
  try {
    validate_token("abc", "--holder");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--holder: invalid token 'abc' (expected 32 hex digits as printed by acquire)");
  }
}

}  // namespace
}  // namespace ciutils::lockctl
