#include "ciutils/secrets.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace ciutils;

TEST(Secrets, RedactsEveryOccurrenceLongestFirst) {
  Secrets secrets;
  secrets.add("abc");  // too short to redact safely
  secrets.add("hunter2");
  secrets.add("hunter2hunter2x");
  EXPECT_EQ(secrets.redact("a hunter2 b hunter2hunter2x abc"), "a *** b *** abc");
}

TEST(Secrets, ExpandEnvRecordsValues) {
  ::setenv("CIUTILS_TEST_TOKEN", "s3cr3t-value", 1);
  ::unsetenv("CIUTILS_TEST_MISSING");
  Secrets secrets;
  EXPECT_EQ(expand_env("slack://x/${CIUTILS_TEST_TOKEN}/y", "--to", secrets), "slack://x/s3cr3t-value/y");
  EXPECT_EQ(secrets.redact("token s3cr3t-value"), "token ***");
  try {
    expand_env("a ${CIUTILS_TEST_MISSING}", "config.json:3:5", secrets);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "config.json:3:5: ${CIUTILS_TEST_MISSING} is not set");
  }
  EXPECT_THROW(expand_env("a ${bad-name}", "--to", secrets), UsageError);
  EXPECT_THROW(expand_env("a ${OPEN", "--to", secrets), UsageError);
  ::unsetenv("CIUTILS_TEST_TOKEN");
}

TEST(Secrets, RedactsEncodedForms) {
  Secrets secrets;
  secrets.add("pa\"ss\\w/rd+x");
  EXPECT_EQ(secrets.redact(R"({"k":"pa\"ss\\w/rd+x"})"), R"({"k":"***"})");
  EXPECT_EQ(secrets.redact(R"("{\"k\":\"pa\\\"ss\\\\w/rd+x\"}")"), R"("{\"k\":\"***\"}")");
  EXPECT_EQ(secrets.redact("?key=pa%22ss%5Cw%2Frd%2Bx&a=pa%22ss%5cw%2frd%2bx"), "?key=***&a=***");
  // base64("u:" + secret) holds the secret's own characters at offset 2.
  EXPECT_EQ(secrets.redact("Basic dTpwYSJzc1x3L3JkK3g="), "Basic dTp***g=");
}

TEST(Secrets, ExpandEnvTrimsOneTrailingNewline) {
  ::setenv("CIUTILS_TEST_PASTED", "token-value\n\n", 1);
  Secrets secrets;
  EXPECT_EQ(expand_env("${CIUTILS_TEST_PASTED}", "--to", secrets), "token-value\n");
  ::setenv("CIUTILS_TEST_PASTED", "token-value\r\n", 1);
  EXPECT_EQ(expand_env("${CIUTILS_TEST_PASTED}", "--to", secrets), "token-value");
  ::setenv("CIUTILS_TEST_PASTED", "\n", 1);
  EXPECT_THROW(expand_env("${CIUTILS_TEST_PASTED}", "--to", secrets), UsageError);
  ::unsetenv("CIUTILS_TEST_PASTED");
}
