#include "input_sources.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

using Lists = std::vector<std::vector<std::string>>;

TEST(CombineSourcesTest, CrossProductFirstSourceSlowest) {
  EXPECT_EQ(combine_sources({{{"a", "b"}}, {{"1", "2"}}}, false), (Lists{{"a", "1"}, {"a", "2"}, {"b", "1"}, {"b", "2"}}));
  EXPECT_EQ(combine_sources({{{"a", "b"}}}, false), (Lists{{"a"}, {"b"}}));
  EXPECT_EQ(combine_sources({{{"a"}}, {{}}}, false), Lists{});
  EXPECT_EQ(combine_sources({}, false), Lists{});
}

TEST(CombineSourcesTest, LinkedSourcesPair) {
  // :::+ pairs with the source before it; the shorter one ends the pairs.
  EXPECT_EQ(combine_sources({{{"a", "b", "c"}}, {{"1", "2"}, true}}, false), (Lists{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(combine_sources({{{"a", "b"}}, {{"1", "2"}, true}, {{"X", "Y"}}}, false),
            (Lists{{"a", "1", "X"}, {"a", "1", "Y"}, {"b", "2", "X"}, {"b", "2", "Y"}}));
  // --link: shorter sources wrap around to the longest.
  EXPECT_EQ(combine_sources({{{"a", "b"}}, {{"1", "2", "3"}}, {{"X"}}}, true),
            (Lists{{"a", "1", "X"}, {"b", "2", "X"}, {"a", "3", "X"}}));
}

TEST(GroupItemsTest, RunsOfN) {
  EXPECT_EQ(group_items({"1", "2", "3"}, 2), (Lists{{"1", "2"}, {"3"}}));
  EXPECT_EQ(group_items({"1", "2"}, 0), (Lists{{}, {}}));
}

TEST(SpreadItemsTest, EvenlyOverSlotsWithinTheLength) {
  EXPECT_EQ(spread_items({"1", "2", "3", "4", "5"}, 2, 1000), (Lists{{"1", "2", "3"}, {"4", "5"}}));
  EXPECT_EQ(spread_items({"1", "2"}, 8, 1000), (Lists{{"1"}, {"2"}}));
  // Each item costs its quoted length and a space: "aa " is 3 bytes.
  EXPECT_EQ(spread_items({"aa", "bb", "cc"}, 1, 6), (Lists{{"aa", "bb"}, {"cc"}}));
  EXPECT_EQ(spread_items({}, 2, 10), Lists{});
}

}  // namespace
}  // namespace ciutils::prun
