#include "headroom.h"
#include "running_median.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

TEST(HeadroomTest, ReadsProcFiles) {
  EXPECT_EQ(mem_available("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    2048 kB\n"), 2048u * 1024);
  EXPECT_EQ(mem_available("MemTotal: 1 kB\n"), std::nullopt);
  EXPECT_EQ(processes_running("cpu  1 2 3\nctxt 9\nprocs_running 3\nprocs_blocked 2\n"), 5);
  EXPECT_EQ(processes_running("procs_running 3\n"), std::nullopt);
  // The real files of this machine parse.
  EXPECT_TRUE(lack_of_headroom({}).empty());
  EXPECT_FALSE(lack_of_headroom({std::uint64_t(1) << 62, std::nullopt}).empty());
}

TEST(HeadroomTest, ParsesLoad) {
  EXPECT_EQ(parse_load("3", 8), 3.0);
  EXPECT_EQ(parse_load("50%", 8), 4.0);
  EXPECT_EQ(parse_load("0", 8), 0.01);
  EXPECT_THROW(parse_load("", 8), UsageError);
  EXPECT_THROW(parse_load("-1", 8), UsageError);
  EXPECT_THROW(parse_load("x%", 8), UsageError);
}

TEST(RunningMedianTest, FollowsTheMiddle) {
  RunningMedian m;
  EXPECT_EQ(m.median(), std::nullopt);
  m.add(5);
  EXPECT_EQ(m.median(), 5.0);
  m.add(1);
  EXPECT_EQ(m.median(), 3.0);
  m.add(100);
  EXPECT_EQ(m.median(), 5.0);
  m.add(2);
  m.add(3);
  EXPECT_EQ(m.median(), 3.0);
  EXPECT_EQ(m.count(), 5u);
}

}  // namespace
}  // namespace ciutils::prun
