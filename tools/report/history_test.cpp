#include "history.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::report {
namespace {

// A history from a string of outcomes, oldest first: p passed, f failed, F flaky, s skipped.
TestHistory make(std::string id, std::string_view outcomes) {
  TestHistory h;
  h.id = std::move(id);
  for (char c : outcomes) {
    HistoryPoint p;
    p.status = c == 'p' ? Status::passed : c == 'f' ? Status::failed : c == 'F' ? Status::flaky : Status::skipped;
    h.points.push_back(p);
  }
  return h;
}

std::vector<std::string> ids(const std::vector<TestHistory>& hs) {
  std::vector<std::string> out;
  for (const auto& h : hs) out.push_back(h.id);
  return out;
}

TEST(HistoryStats, FlipsCountChangesBetweenPassingAndFailingSkippingSkips) {
  EXPECT_EQ(history_stats(make("a", "pfpf")).flips, 3u);
  EXPECT_EQ(history_stats(make("a", "pspFp")).flips, 0u);  // flaky is a pass
  EXPECT_EQ(history_stats(make("a", "fsp")).flips, 1u);
  EXPECT_EQ(history_stats(make("a", "")).flips, 0u);
}

TEST(SortHistories, EachOrder) {
  // given most recently run first
  std::vector<TestHistory> given{make("z::steady", "pppp"), make("a::broken", "ffff"), make("m::retried", "pFpF"),
                                 make("b::alternating", "pfpf"), make("c::once", "pppf")};
  auto sorted = [&](HistorySort s) {
    auto hs = given;
    sort_histories(hs, s);
    return ids(hs);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(sorted(HistorySort::flaky), (V{"m::retried", "b::alternating", "c::once", "a::broken", "z::steady"}));
  EXPECT_EQ(sorted(HistorySort::failures), (V{"a::broken", "b::alternating", "c::once", "z::steady", "m::retried"}));
  EXPECT_EQ(sorted(HistorySort::recent), ids(given));
  EXPECT_EQ(sorted(HistorySort::name), (V{"a::broken", "b::alternating", "c::once", "m::retried", "z::steady"}));
}

TEST(SortHistories, ParsesTheFlag) {
  EXPECT_EQ(parse_history_sort("flaky"), HistorySort::flaky);
  EXPECT_EQ(parse_history_sort("name"), HistorySort::name);
  try {
    parse_history_sort("random");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--sort: 'random' is not one of flaky, failures, recent, name");
  }
}

}  // namespace
}  // namespace ciutils::report
