#include "ciutils/json.h"

#include "ciutils/error.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace ciutils;

namespace {

std::string usage_message(auto fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ParseJson, ReportsLineAndColumn) {
  EXPECT_EQ(parse_json(R"({"a": [1, 2]})", "x.json").at("a").as_array().size(), 2u);
  EXPECT_EQ(usage_message([] { parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", "plan.json"); }),
            "plan.json:3:8: invalid JSON: syntax error");
  EXPECT_EQ(usage_message([] { parse_json("{} x", "plan.json"); }),
            "plan.json:1:4: unexpected content after the JSON value");
  EXPECT_EQ(usage_message([] { parse_json("{\"a\": ", "plan.json"); }),
            "plan.json:1:7: invalid JSON: incomplete JSON");
}

TEST(JsonDocument, PointsAtFieldsByPointer) {
  auto doc = JsonDocument::parse("{\n  \"steps\": [\n    {\"timeout\": \"5x\"},\n    {\"a/b\": 1}\n  ]\n}", "plan.json");
  EXPECT_EQ(doc.where("/steps/0/timeout"), "plan.json:3:17");
  EXPECT_EQ(doc.where("/steps/1"), "plan.json:4:5");
  EXPECT_EQ(doc.where("/steps/1/a~1b"), "plan.json:4:13");
  // A missing field points at its nearest existing parent.
  EXPECT_EQ(doc.where("/steps/1/name"), "plan.json:4:5");
  EXPECT_EQ(doc.where(""), "plan.json:1:1");
  EXPECT_EQ(usage_message([&] { doc.fail("/steps/0/timeout", "invalid duration '5x'"); }),
            "plan.json:3:17: invalid duration '5x'");
}

TEST(JsonDocument, RefusesADuplicateKeyWhereItIsWrittenAgain) {
  EXPECT_EQ(usage_message([] {
              JsonDocument::parse("{\"schedules\": [\n  {\"name\": \"a\",\n   \"cron\": \"* * * * *\", \"name\": \"b\"}]}",
                                  "s.json");
            }),
            "s.json:3:25: duplicate key 'name'");
  // The same key in different objects is fine.
  EXPECT_NO_THROW(JsonDocument::parse("[{\"a\": 1}, {\"a\": 2, \"b\": {\"a\": 3}}]", "x.json"));
}

TEST(JsonlReader, ReadsRecordsAndNamesTheBadLine) {
  std::istringstream in("{\"a\":1}\n\n{\"a\":2}\r\n{\"a\":\n{\"a\":4}\n");
  JsonlReader reader(in, "results.jsonl");
  EXPECT_EQ(reader.next()->at("a").as_int64(), 1);
  EXPECT_EQ(reader.next()->at("a").as_int64(), 2);
  EXPECT_EQ(reader.line(), 3u);
  EXPECT_EQ(usage_message([&] { reader.next(); }),
            "results.jsonl:4: invalid JSON at column 6: incomplete JSON");
  EXPECT_EQ(reader.next()->at("a").as_int64(), 4);
  EXPECT_FALSE(reader.next());
}

TEST(JsonlReader, RejectsTwoValuesOnALine) {
  std::istringstream in("{} {}\n");
  JsonlReader reader(in, "-");
  EXPECT_EQ(usage_message([&] { reader.next(); }), "-:1: unexpected content after the JSON value");
}

TEST(JsonlWriter, OneCompleteLinePerRecord) {
  char path[] = "/tmp/ciutils-jsonl-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  JsonlWriter writer(fd);
  writer.write(boost::json::object{{"name", "a"}, {"n", 1}});
  writer.write(boost::json::object{{"name", "line\nbreak"}});
  ::close(fd);
  std::ifstream in(path);
  std::string l1, l2, l3;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_EQ(l1, R"({"name":"a","n":1})");
  EXPECT_EQ(l2, R"({"name":"line\nbreak"})");
  EXPECT_FALSE(std::getline(in, l3));
  ::unlink(path);
}

TEST(JsonFields, TypedAccessNamesTheField) {
  auto value = parse_json(R"({"name":"x","n":2.5,"bad":3})", "r");
  const auto& obj = as_object(value, "r:1");
  EXPECT_EQ(get_string(obj, "name", "r:1"), "x");
  EXPECT_EQ(*find_number(obj, "n", "r:1"), 2.5);
  EXPECT_FALSE(find_string(obj, "missing", "r:1"));
  EXPECT_EQ(usage_message([&] { get_string(obj, "bad", "r:1"); }), "r:1: field 'bad' must be a string");
  EXPECT_EQ(usage_message([&] { get_string(obj, "missing", "r:1"); }), "r:1: field 'missing' is missing");
  EXPECT_EQ(usage_message([&] { as_object(parse_json("[]", "r"), "r:2"); }), "r:2: expected a JSON object");
}

TEST(ToJson, DoublesInShortestPlainForm) {
  boost::json::object o{{"a", 0.202}, {"b", 12.345}, {"c", 3.0}, {"d", boost::json::array{1.5, "x", nullptr}}};
  EXPECT_EQ(to_json(o), R"({"a":0.202,"b":12.345,"c":3,"d":[1.5,"x",null]})");
  EXPECT_EQ(to_json(boost::json::value(1e-7)), "1e-07");
  EXPECT_EQ(to_json(boost::json::value(std::nan(""))), "null");
  EXPECT_EQ(to_json(boost::json::object{{"k\"ey", "v\n"}}), R"({"k\"ey":"v\n"})");
}
