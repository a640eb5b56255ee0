#include "lock_store.h"

#include "runner.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ciutils::lockctl {
namespace {

TEST(Replies, DecodesGrant) {
  auto reply = decode_reply(
      R"({"status":"granted","resources":["uat-1","uat-2"],"fences":[3,17],"props":["{\"url\":\"https://x/\"}","{}"],"expires":1763900060000,"now":1763900000000,"waited_ms":250})");
  Grant g = decode_grant(reply, "p:", "t", milliseconds(60000));
  EXPECT_EQ(g.resources, (std::vector<std::string>{"uat-1", "uat-2"}));
  EXPECT_EQ(g.fences, (std::vector<long long>{3, 17}));
  EXPECT_EQ(g.props.at(0).at("url").as_string(), "https://x/");
  EXPECT_TRUE(g.props.at(1).empty());
  EXPECT_EQ(g.expires_ms, 1763900060000LL);
  EXPECT_EQ(g.now_ms, 1763900000000LL);
  EXPECT_EQ(g.waited_ms, 250);
}

TEST(Replies, EmptyLuaArraysDecodeAsEmpty) {
  auto reply = decode_reply(R"({"status":"held-by-other","owners":{}})");
  EXPECT_TRUE(string_list(reply.at("owners")).empty());
  EXPECT_TRUE(integer_list(boost::json::object{}).empty());
}

TEST(Replies, RejectsMalformed) {
  EXPECT_THROW(decode_reply("[1,2]"), std::runtime_error);
  EXPECT_THROW(decode_reply("nope"), std::runtime_error);
  auto mismatched = decode_reply(R"({"status":"granted","resources":["a"],"fences":[]})");
  EXPECT_THROW(decode_grant(mismatched, "p:", "t", milliseconds(1000)), std::runtime_error);
}

TEST(Keys, ScopesShareOneHashTag) {
  KeySpace keys("ci");
  EXPECT_EQ(resource_prefix(keys, "uat"), "ci:{lock:uat}:");
  EXPECT_EQ(pool_prefix(keys, "uat"), "ci:{lock:pool:uat}:");
}

TEST(Request, CarriesTheWholeRequest) {
  AcquireRequest r;
  r.target = Target::of_pool("uat", 2);
  r.ttl = milliseconds(5000);
  r.priority = 3;
  r.owner = "agent-7:12";
  auto o = boost::json::parse(request_json(r, "tok", true)).as_object();
  EXPECT_EQ(o.at("kind").as_string(), "pool");
  EXPECT_EQ(o.at("quantity").as_int64(), 2);
  EXPECT_EQ(o.at("ttl_ms").as_int64(), 5000);
  EXPECT_EQ(o.at("priority").as_int64(), 3);
  EXPECT_EQ(o.at("host").as_string(), "agent-7");
  EXPECT_TRUE(o.at("wait").as_bool());
  EXPECT_TRUE(o.at("ci").as_object().empty());
}

TEST(Environment, ExportsLease) {
  Grant g;
  g.resources = {"uat-1", "uat-3"};
  g.fences = {4, 9};
  g.token = "abc";
  g.props = {boost::json::object{{"url", "https://uat-1/"}}, boost::json::object{{"region", "eu"}}};
  auto env = lease_environment(g);
  EXPECT_EQ(env, (std::vector<std::string>{"LOCKCTL_RESOURCE=uat-1", "LOCKCTL_RESOURCES=uat-1 uat-3",
                                           "LOCKCTL_TOKEN=abc", "LOCKCTL_FENCE=4", "LOCKCTL_FENCES=4 9",
                                           "LOCKCTL_PROP_URL=https://uat-1/", "LOCKCTL_RESOURCE0_PROP_URL=https://uat-1/",
                                           "LOCKCTL_RESOURCE1_PROP_REGION=eu"}));
}

}  // namespace
}  // namespace ciutils::lockctl
