#include "ciutils/key_slot.h"

#include <gtest/gtest.h>

using namespace ciutils;

// The Redis Cluster specification's example: the CRC16 of "123456789" is 0x31C3.
TEST(KeySlot, Crc16OfTheSpecificationsExample) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

// Slots as CLUSTER KEYSLOT gives them (and the specification's reference implementation).
TEST(KeySlot, SlotsOfPlainKeys) {
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot("hello"), 866);
  EXPECT_EQ(key_slot("somekey"), 11058);
  EXPECT_EQ(key_slot("123456789"), 0x31C3 % 16384);
}

// The specification's hash tag rules and examples.
TEST(KeySlot, HashTags) {
  // {user1000}.following and {user1000}.followers hash "user1000".
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("{user1000}.followers"), key_slot("user1000"));
  // foo{}{bar}: an empty first tag means the whole key is hashed.
  EXPECT_EQ(key_slot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);
  // foo{{bar}}zap: the tag is "{bar", up to the first '}'.
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  // foo{bar}{zap}: only the first tag counts.
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  // No closing brace: the whole key.
  EXPECT_EQ(key_slot("foo{bar"), crc16("foo{bar") % 16384);
  // Every key of a ciutils lock shares its tag's slot.
  EXPECT_EQ(key_slot("ciutils:{lock:uat}:leases"), key_slot("lock:uat"));
  EXPECT_EQ(key_slot("ciutils:{lock:uat}:leases"), key_slot("other:{lock:uat}:fence:x"));
}

TEST(KeySlot, CommandKeys) {
  using V = std::vector<std::string>;
  EXPECT_EQ(command_key(V{"GET", "k"}), "k");
  EXPECT_EQ(command_key(V{"blpop", "w", "5"}), "w");
  EXPECT_EQ(command_key(V{"EVALSHA", "abc", "2", "k1", "k2", "a"}), "k1");
  EXPECT_EQ(command_key(V{"EVALSHA", "abc", "0", "a"}), std::nullopt);
  EXPECT_EQ(command_key(V{"EVALSHA", "abc"}), std::nullopt);
  EXPECT_EQ(command_key(V{"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "5", "streams", "s", ">"}), "s");
  EXPECT_EQ(command_key(V{"XREAD", "COUNT", "1"}), std::nullopt);
  EXPECT_EQ(command_key(V{"XGROUP", "DELCONSUMER", "s", "g", "c"}), "s");
  EXPECT_EQ(command_key(V{"SCAN", "0", "MATCH", "x*"}), std::nullopt);
  EXPECT_EQ(command_key(V{"SCRIPT", "LOAD", "return 1"}), std::nullopt);
  EXPECT_EQ(command_key(V{"TIME"}), std::nullopt);
  EXPECT_EQ(command_key(V{"PING"}), std::nullopt);
}
