#include "queue_command.h"
#include "queue_store.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

TEST(FallbackTest, ParsesShardKOfN) {
  Shard s = parse_fallback("shard:2/3");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.total, 3);
}

TEST(FallbackTest, RejectsOtherForms) {
  EXPECT_THROW(parse_fallback("2/3"), UsageError);
  EXPECT_THROW(parse_fallback("shard:3/2"), UsageError);
  EXPECT_THROW(parse_fallback("shard:0/2"), UsageError);
  EXPECT_THROW(parse_fallback("shard:1"), UsageError);
  EXPECT_THROW(parse_fallback("local"), UsageError);
}

TEST(QueueNameTest, AcceptsRunIdsCiSystemsMake) {
  EXPECT_NO_THROW(validate_queue_name("nightly@2026-11-22T02:00:00Z", "--run-id"));
  EXPECT_NO_THROW(validate_queue_name("web/e2e-1234.5+x=y", "--run-id"));
}

TEST(QueueNameTest, RejectsHashTagBracesSpacesAndEmpty) {
  EXPECT_THROW(validate_queue_name("a{b}", "--queue"), UsageError);
  EXPECT_THROW(validate_queue_name("a b", "--queue"), UsageError);
  EXPECT_THROW(validate_queue_name("", "--queue"), UsageError);
  EXPECT_THROW(validate_queue_name(std::string(201, 'a'), "--queue"), UsageError);
}

TEST(QueueKeysTest, EveryKeyOfARunSharesOneHashTag) {
  QueueKeys keys(KeySpace("ns"), "e2e", "r1");
  for (const auto& key : keys.all()) EXPECT_EQ(key.rfind("ns:{prunq:e2e/r1}:", 0), 0u) << key;
  EXPECT_EQ(keys.results(), "ns:{prunq:e2e/r1}:results");
  EXPECT_EQ(keys.duplicates(), "ns:{prunq:e2e/r1}:duplicates");
}

}  // namespace
}  // namespace ciutils::prun
