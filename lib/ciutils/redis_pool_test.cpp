#include "ciutils/redis_pool.h"

#include "ciutils/error.h"
#include "ciutils/test_redis_server.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace ciutils;
using namespace ciutils::testing;

namespace {

long long client_id(Redis& redis) { return redis.command({"CLIENT", "ID"}).integer(); }

}  // namespace

TEST(RedisPool, LendsEachConnectionToOneHolderAndReusesItAfter) {
  RedisServer server;
  RedisPool pool(parse_redis_url(server.url()));
  long long first = 0, second = 0;
  {
    auto a = pool.take();
    auto b = pool.take();
    first = client_id(*a);
    second = client_id(*b);
    EXPECT_NE(first, second);  // two holders at once: two connections
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 2u);
  auto again = pool.take();
  long long id = client_id(*again);
  EXPECT_TRUE(id == first || id == second) << id;  // no new connection
  EXPECT_EQ(pool.idle(), 1u);
}

TEST(RedisPool, KeepsAtMostMaxIdleConnections) {
  RedisServer server;
  RedisPool pool(parse_redis_url(server.url()), 1);
  long long first = 0, second = 0;
  {
    auto a = pool.take();
    auto b = pool.take();
    first = client_id(*a);
    second = client_id(*b);
  }
  EXPECT_EQ(pool.idle(), 1u);
  auto kept = pool.take();
  auto other = pool.take();
  long long kept_id = client_id(*kept);
  EXPECT_TRUE(kept_id == first || kept_id == second) << kept_id;
  EXPECT_GT(client_id(*other), std::max(first, second));  // the other one was closed: a new connection
}

TEST(RedisPool, ALeaseEndedByAnExceptionGivesItsConnectionBack) {
  RedisServer server;
  RedisPool pool(parse_redis_url(server.url()));
  EXPECT_THROW(
      {
        auto redis = pool.take();
        redis->command({"SET", "k", "v"});
        redis->command({"INCR", "k"});  // a reply error
      },
      RedisReplyError);
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_EQ(pool.take()->command({"GET", "k"}).string(), "v");
}

TEST(RedisPool, AConnectionGivenBackAfterTheServerRestartedReconnects) {
  RedisServer server;
  RedisPool pool(parse_redis_url(server.url()));
  { pool.take()->command({"SET", "k", "v"}); }
  server.kill_now();
  EXPECT_THROW(pool.take()->command({"GET", "k"}), ServiceError);  // lost: the command fails, once
  EXPECT_EQ(pool.idle(), 1u);
  EXPECT_THROW(pool.take()->command({"PING"}), ServiceError);  // still down
  server.start();
  EXPECT_TRUE(pool.take()->command({"GET", "k"}).is_nil());  // a new server, reached again
}

TEST(RedisPool, TakeIsAServiceErrorWhenRedisCannotBeReached) {
  RedisPool pool(parse_redis_url("redis://127.0.0.1:" + std::to_string(free_port()) + "/0"));
  EXPECT_THROW(pool.take(), ServiceError);
  EXPECT_EQ(pool.idle(), 0u);
}
