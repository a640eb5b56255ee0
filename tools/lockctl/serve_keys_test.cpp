#include "serve_keys.h"

#include "ciutils/error.h"
#include "ciutils/sha256.h"

#include <gtest/gtest.h>

using namespace ciutils;
using namespace ciutils::lockctl;

namespace {

std::string usage_message(std::string_view text) {
  try {
    ApiKeys::parse(text, "keys");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ApiKeys, FindsAKeyByItsHashOnly) {
  std::string text = "# comment\n\n" + key_file_line("secret-one", "ci", {}) + "\n" +
                     key_file_line("secret-two", "narrow", {"uat-*", "db"}) + "\n";
  ApiKeys keys = ApiKeys::parse(text, "keys");
  ASSERT_EQ(keys.size(), 2u);
  ASSERT_NE(keys.find("secret-one"), nullptr);
  EXPECT_EQ(keys.find("secret-one")->name, "ci");
  EXPECT_EQ(keys.find("secret-two")->name, "narrow");
  EXPECT_EQ(keys.find("secret-on"), nullptr);
  EXPECT_EQ(keys.find(""), nullptr);
  EXPECT_EQ(keys.find(sha256_hex("secret-one")), nullptr);  // the hash itself is no key
  EXPECT_EQ(text.find("secret"), std::string::npos);         // the file holds no secret
}

TEST(ApiKeys, GlobsLimitWhatAKeyMayLock) {
  ApiKey any{"", "ci", {}};
  ApiKey narrow{"", "narrow", {"uat-*", "db"}};
  EXPECT_TRUE(any.allows("prod"));
  EXPECT_TRUE(narrow.allows("uat-3"));
  EXPECT_TRUE(narrow.allows("db"));
  EXPECT_FALSE(narrow.allows("prod"));
  EXPECT_FALSE(narrow.allows("db2"));
}

TEST(ApiKeys, BadLinesNameTheFileAndLine) {
  EXPECT_EQ(usage_message("\nabc ci\n"),
            "keys:2: expected the key's SHA-256 (64 hex digits) first (make a line with: lockctl serve "
            "hash-key NAME)");
  EXPECT_EQ(usage_message(sha256_hex("k")), "keys:1: missing the key's NAME after its hash");
  EXPECT_EQ(usage_message("# only a comment\n"), "--api-keys: keys: no keys in the file");
}
