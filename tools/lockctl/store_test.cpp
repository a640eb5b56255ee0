// The Lua scripts against a real redis-server: fencing across many grants, FIFO order,
// all-or-nothing pools, and the distinct release outcomes.
#include "lock_store.h"
#include "pool_change.h"
#include "scripts.h"
#include "status_view.h"

#include "ciutils/error.h"
#include "ciutils/test_redis_server.h"

#include <gtest/gtest.h>

#include <memory>

namespace ciutils::lockctl {
namespace {

using namespace std::chrono_literals;

// A throwaway redis-server for the whole suite.
class StoreTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { s_server = std::make_unique<testing::RedisServer>(); }
  static void TearDownTestSuite() { s_server.reset(); }
  void SetUp() override {
    m_redis.emplace(Redis::connect(parse_redis_url(s_server->url())));
    m_redis->command({"FLUSHALL"});
  }

  AcquireRequest request(const std::string& name, bool pool = false, int quantity = 1) {
    AcquireRequest r;
    r.target = pool ? Target::of_pool(name, quantity) : Target::of_resources({name});
    r.wait = 0ms;
    r.owner = "test";
    r.ttl = 10s;
    return r;
  }

  std::optional<Grant> try_acquire(const AcquireRequest& r) {
    SignalWatch none({});
    return acquire_lease(*m_redis, m_keys, r, none, [](const std::string&) {});
  }

  std::string release(const Grant& g) {
    return string_field(call_script(*m_redis, release_script(), g.prefix, {g.token, g.resources.front()}), "status");
  }

  static std::unique_ptr<testing::RedisServer> s_server;
  KeySpace m_keys{"t"};
  std::optional<Redis> m_redis;
};

std::unique_ptr<testing::RedisServer> StoreTest::s_server;

TEST_F(StoreTest, FenceStrictlyIncreasesAcross1000Grants) {
  long long last = 0;
  for (int i = 0; i < 1000; ++i) {
    auto g = try_acquire(request("f"));
    ASSERT_TRUE(g) << "grant " << i;
    ASSERT_GT(g->fences.front(), last);
    last = g->fences.front();
    ASSERT_EQ(release(*g), "released");
  }
  EXPECT_EQ(last, 1000);
}

TEST_F(StoreTest, ReleaseOutcomesAreDistinct) {
  auto g = try_acquire(request("r"));
  ASSERT_TRUE(g);
  EXPECT_EQ(release(*g), "released");
  EXPECT_EQ(release(*g), "already-released");
  auto h = try_acquire(request("r"));
  ASSERT_TRUE(h);
  Grant stranger = *h;
  stranger.token = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(release(stranger), "held-by-other");
  auto forced = call_script(*m_redis, force_release_script(), h->prefix, {"r", ""});
  EXPECT_EQ(integer_field(forced, "count"), 1);
  EXPECT_EQ(release(*h), "forced");
}

TEST_F(StoreTest, PoolQuantityIsAllOrNothing) {
  change_pool(*m_redis, m_keys, "set", "p", {"a", "b", "c"});
  auto one = try_acquire(request("b"));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->prefix, pool_prefix(m_keys, "p"));
  EXPECT_FALSE(try_acquire(request("p", true, 3)));
  auto status = read_status(*m_redis, pool_prefix(m_keys, "p"), Target::of_pool("p"));
  long long held = 0;
  for (const auto& r : status.at("resources").as_array()) held += integer_field(r.as_object(), "held");
  EXPECT_EQ(held, 1);
  auto two = try_acquire(request("p", true, 2));
  ASSERT_TRUE(two);
  EXPECT_EQ(two->resources, (std::vector<std::string>{"a", "c"}));
  EXPECT_THROW(try_acquire(request("p", true, 4)), UsageError);
  EXPECT_THROW(try_acquire(request("nope", true, 1)), UsageError);
}

TEST_F(StoreTest, QueueIsFifoThenPriority) {
  auto holder = try_acquire(request("q"));
  ASSERT_TRUE(holder);
  const std::string prefix = resource_prefix(m_keys, "q");
  auto enqueue = [&](const std::string& token, int priority) {
    AcquireRequest r = request("q");
    r.priority = priority;
    auto reply = call_script(*m_redis, acquire_script(), prefix, {request_json(r, token, true)});
    EXPECT_EQ(string_field(reply, "status"), "queued");
  };
  enqueue("w1", 0);
  enqueue("w2", 0);
  enqueue("w3", 5);
  auto order = m_redis->command({"ZRANGE", prefix + "queue", "0", "-1"}).strings();
  EXPECT_EQ(order, (std::vector<std::string>{"w3", "w1", "w2"}));
  // A newcomer cannot jump the queue even when the resource is free.
  ASSERT_EQ(release(*holder), "released");
  EXPECT_FALSE(try_acquire(request("q")));
  // The head was woken.
  EXPECT_EQ(m_redis->command({"LLEN", prefix + "wake:w3"}).integer(), 1);
}

}  // namespace
}  // namespace ciutils::lockctl
