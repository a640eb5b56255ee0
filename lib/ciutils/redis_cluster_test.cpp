#include "ciutils/redis_cluster.h"

#include <gtest/gtest.h>

using namespace ciutils;

TEST(RedisCluster, ParsesRedirects) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", "10.0.0.9");
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->node.host, "127.0.0.1");
  EXPECT_EQ(moved->node.port, 6381);

  auto ask = parse_redirect("ASK 16383 redis-2.internal:7002", "x");
  ASSERT_TRUE(ask);
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->slot, 16383);
  EXPECT_EQ(ask->node.host, "redis-2.internal");

  // An unknown endpoint (Redis 7: "MOVED 1 :7001") is on the host that answered.
  auto same_host = parse_redirect("MOVED 1 :7001", "10.0.0.9");
  ASSERT_TRUE(same_host);
  EXPECT_EQ(same_host->node.host, "10.0.0.9");
  EXPECT_EQ(same_host->node.port, 7001);

  auto v6 = parse_redirect("MOVED 5 [::1]:7001", "x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->node.host, "::1");

  EXPECT_FALSE(parse_redirect("ERR unknown command", "x"));
  EXPECT_FALSE(parse_redirect("MOVED 16384 h:1", "x"));
  EXPECT_FALSE(parse_redirect("MOVED x h:1", "x"));
  EXPECT_FALSE(parse_redirect("MOVED 1 h:0", "x"));
  EXPECT_FALSE(parse_redirect("MOVED 1", "x"));
}
