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
