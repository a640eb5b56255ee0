#include "input.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ciutils::report {
namespace {

std::vector<TestResult> read(const std::string& text, const std::string& source = "t.in") {
  std::istringstream in(text);
  std::vector<TestResult> out;
  read_input(in, source, [&](TestResult&& r) { out.push_back(std::move(r)); });
  return out;
}

std::string error_of(const std::string& text, const std::string& source = "t.in") {
  try {
    read(text, source);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Detect, TellsFormatsApart) {
  EXPECT_EQ(detect_format("{\"name\":1}", "x"), Format::jsonl);
  EXPECT_EQ(detect_format("\xEF\xBB\xBF<?xml", "x"), Format::junit);
  EXPECT_EQ(detect_format("TAP version 14\n", "x"), Format::tap);
  EXPECT_EQ(detect_format("1..3\n", "x"), Format::tap);
  EXPECT_THROW(detect_format("hello", "x"), UsageError);
}

TEST(Jsonl, ReadsRecords) {
  auto r = read(R"({"name":"a","classname":"c","status":"timeout","duration_s":2})" "\n\n"
                R"({"name":"b","status":"passed"})" "\n", "dir/unit.jsonl");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, Status::timeout);
  EXPECT_EQ(r[0].message, "timed out");
  EXPECT_DOUBLE_EQ(r[0].duration_s, 2);
  EXPECT_EQ(r[1].classname, "unit");
}

TEST(Jsonl, NamesFileLineAndField) {
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\"}\n{\"name\":\"b\",\"status\":\"weird\"}\n"),
            "t.in:2: field 'status' is 'weird', not one of passed, failed, error, timeout, skipped, flaky");
  EXPECT_EQ(error_of("{\"name\":\"a\"}"), "t.in:1: field 'status' is missing");
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\",\"duration_s\":\"1\"}"),
            "t.in:1: field 'duration_s' must be a number");
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\",\"started_at\":\"yesterday\"}"),
            "t.in:1: field 'started_at' is not a UTC timestamp like 2026-11-22T10:00:00.123Z");
  EXPECT_EQ(error_of("{\"name\":\"a\",\"status\":\"passed\",\"attempts\":0}"), "t.in:1: field 'attempts' must be >= 1");
  EXPECT_NE(error_of("{\"name\":\"a\",\"status\":\"passed\"}\n{\"name\": tru}").find("t.in:2:"), std::string::npos);
  EXPECT_NE(error_of("{\"name\":\"a\",\"status\":\"passed\"} x").find("t.in:1:"), std::string::npos);
}

TEST(Jsonl, CleansNastyStrings) {
  auto r = read(R"({"name":"n\u0000\u001b[31mx","status":"failed","message":"\ud800 lone \uFFFE \ud83d\ude00"})");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "n\\x00x");
  EXPECT_EQ(r[0].message, "\xEF\xBF\xBD lone \\uFFFE \xF0\x9F\x98\x80");
}

TEST(Jsonl, RepairsOnlyLoneSurrogates) {
  EXPECT_EQ(repair_lone_surrogates(R"("\ud800x")"), R"("\ufffdx")");
  EXPECT_EQ(repair_lone_surrogates(R"("\udc00")"), R"("\ufffd")");
  EXPECT_EQ(repair_lone_surrogates(R"("\ud83d\ude00")"), R"("\ud83d\ude00")");
  EXPECT_EQ(repair_lone_surrogates(R"("\\ud800")"), R"("\\ud800")");  // an escaped backslash
}

TEST(Input, RefusesZeroBytes) {
  EXPECT_EQ(error_of(""), "t.in: empty file (0 bytes): refusing it, as CI servers would show an \"[empty]\" failure");
  EXPECT_EQ(read("\n\n").size(), 0u);
}

TEST(Tap, ReadsPlanTestsAndDirectives) {
  auto r = read("TAP version 13\n1..4\nok 1 - one\nnot ok 2 - two \\# hash\nok 3 three # SKIP no db\n"
                "not ok 4 four # TODO later\n", "suite.tap");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].name, "one");
  EXPECT_EQ(r[0].classname, "suite");
  EXPECT_EQ(r[1].name, "two # hash");
  EXPECT_EQ(r[1].status, Status::failed);
  EXPECT_EQ(r[2].status, Status::skipped);
  EXPECT_EQ(r[2].message, "no db");
  EXPECT_EQ(r[3].status, Status::skipped);
  EXPECT_EQ(r[3].message, "TODO later");
}

TEST(Tap, ReadsYamlDiagnosticsAndBatsTiming) {
  auto r = read("1..2\nnot ok 1 - y\n  ---\n  message: 'it''s broken'\n  duration_ms: 1500\n  at:\n    file: a.t\n  ...\n"
                "ok 2 fast in 25ms\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].message, "it's broken");
  EXPECT_DOUBLE_EQ(r[0].duration_s, 1.5);
  EXPECT_NE(r[0].stderr_tail.find("file: a.t"), std::string::npos);
  EXPECT_EQ(r[1].name, "fast");
  EXPECT_DOUBLE_EQ(r[1].duration_s, 0.025);
}

TEST(Tap, BatsFailureLocationAndMessage) {
  auto r = read("1..1\nnot ok 1 x\n# (in test file tests/a.bats, line 7)\n#   `false' failed\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].file, "tests/a.bats");
  EXPECT_EQ(r[0].line, 7);
  EXPECT_EQ(r[0].message, "`false' failed");
}

TEST(Tap, SubtestsStandForTheirParent) {
  auto r = read("1..1\n# Subtest: g\n    1..1\n    not ok 1 - inner\nnot ok 1 - g\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "g");
}

TEST(Tap, BailOutAndMissingTests) {
  auto r = read("1..3\nok 1 a\nBail out! no disk\nok 2 b\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].name, "Bail out!");
  EXPECT_EQ(r[1].status, Status::error);
  EXPECT_EQ(r[1].message, "no disk");
  auto m = read("1..3\nok 1 a\n");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].message, "planned 3 tests but 1 ran");
  auto n = read("ok 1 a\n");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[1].name, "TAP plan");
}

TEST(Tap, MalformedInputIsNamedByLine) {
  EXPECT_EQ(error_of("1..2\nok 1\n1..2\n"), "t.in:3: a second plan (the first is on line 1)");
  EXPECT_EQ(error_of("TAP version 12\n1..0\n"), "t.in:1: unsupported TAP version '12' (13 and 14 are)");
  EXPECT_EQ(error_of("1..1\nnot ok 1\n  ---\n  message: x\n"), "t.in:3: YAML diagnostics block not closed with '...'");
  EXPECT_EQ(error_of("1..x\n"), "t.in:1: malformed plan '1..x' (expected 1..N)");
  EXPECT_EQ(error_of("ok 1\n1..1\nok 2\n"), "t.in:3: test line after the plan at the end");
}

TEST(JunitXml, ReadsCasesStatusesAndOutput) {
  auto r = read(R"(<?xml version="1.0"?>
<testsuites><testsuite name="s" timestamp="2026-01-01T00:00:00" hostname="h">
<testcase name="a" classname="c" time="1,234.5"><failure message="boom" type="timeout">trace</failure>
<system-out>out</system-out></testcase>
<testcase name="b"><skipped message="later"/></testcase>
<testcase name="c" classname="c"><flakyFailure message="first" type="x"/></testcase>
<testcase name="d" classname="c"><error>infra
down</error></testcase>
</testsuite></testsuites>)");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].status, Status::timeout);
  EXPECT_EQ(r[0].message, "boom");
  EXPECT_EQ(r[0].details, "trace");
  EXPECT_EQ(r[0].stdout_tail, "out");
  EXPECT_DOUBLE_EQ(r[0].duration_s, 1234.5);
  EXPECT_EQ(r[0].suite, "s");
  EXPECT_EQ(r[0].host, "h");
  EXPECT_EQ(r[1].classname, "s");
  EXPECT_EQ(r[1].status, Status::skipped);
  EXPECT_EQ(r[2].status, Status::flaky);
  EXPECT_EQ(r[2].attempts, 2);
  EXPECT_EQ(r[3].status, Status::error);
  EXPECT_EQ(r[3].message, "infra");
}

TEST(JunitXml, KeepsEachRerunWithItsTraceAndOutput) {
  auto r = read(R"(<testsuite name="s">
<testcase name="a" classname="c"><flakyFailure message="m1" type="T1">
  <stackTrace>trace 1
</stackTrace><system-out>out 1</system-out><system-err>err 1</system-err></flakyFailure>
<flakyError type="T2"><stackTrace>E: trace 2</stackTrace></flakyError></testcase>
<testcase name="b" classname="c"><failure message="f">body</failure>
<rerunFailure message="r1" type="T3">old style trace</rerunFailure><rerunError message="r2" type="T4"/></testcase>
</testsuite>)");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, Status::flaky);
  EXPECT_EQ(r[0].attempts, 3);
  EXPECT_EQ(r[0].message, "m1");
  ASSERT_EQ(r[0].reruns.size(), 2u);
  EXPECT_EQ(r[0].reruns[0].kind, Rerun::Kind::flaky_failure);
  EXPECT_EQ(r[0].reruns[0].type, "T1");
  EXPECT_EQ(r[0].reruns[0].message, "m1");
  EXPECT_EQ(r[0].reruns[0].stack_trace, "trace 1\n");
  EXPECT_EQ(r[0].reruns[0].stdout_text, "out 1");
  EXPECT_EQ(r[0].reruns[0].stderr_text, "err 1");
  EXPECT_EQ(r[0].reruns[1].kind, Rerun::Kind::flaky_error);
  EXPECT_EQ(r[0].reruns[1].message, "");
  EXPECT_EQ(r[0].reruns[1].stack_trace, "E: trace 2");
  EXPECT_EQ(r[0].stdout_tail, "");  // an attempt's output is not the test's
  EXPECT_EQ(r[1].status, Status::failed);
  EXPECT_EQ(r[1].message, "f");
  ASSERT_EQ(r[1].reruns.size(), 2u);
  EXPECT_EQ(r[1].reruns[0].kind, Rerun::Kind::rerun_failure);
  EXPECT_EQ(r[1].reruns[0].stack_trace, "old style trace");
  EXPECT_EQ(r[1].reruns[1].kind, Rerun::Kind::rerun_error);
  EXPECT_EQ(r[1].reruns[1].stack_trace, "");
}

TEST(JunitXml, RefusesDoctypeAndEntities) {
  EXPECT_EQ(error_of("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<testsuites/>"),
            "t.in:2:13: a DOCTYPE is not allowed in JUnit XML (DTDs and entities are refused)");
  EXPECT_NE(error_of("<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><testsuites>&x;</testsuites>").find("DOCTYPE"),
            std::string::npos);
}

TEST(JunitXml, MalformedXmlIsNamedByPosition) {
  EXPECT_EQ(error_of("<testsuites>\n<testsuite name=\"a\" tests=\"1\">\n</testsuites>"),
            "t.in:3:3: malformed XML: mismatched tag");
  EXPECT_EQ(error_of("<html/>"), "t.in:1:1: not JUnit XML: the root element is <html>, not <testsuites> or <testsuite>");
}

TEST(JunitXml, UnnamedTestcaseIsKeptWithAWarning) {
  std::istringstream in("<testsuite name=\"s\">\n<testcase name=\"a\"/>\n<testcase classname=\"c\"><failure/></testcase>\n"
                        "<testcase/>\n</testsuite>");
  std::vector<TestResult> out;
  std::vector<std::string> warnings;
  read_input(in, "t.in", [&](TestResult&& r) { out.push_back(std::move(r)); },
             [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].name, "a");
  EXPECT_EQ(out[1].name, "(unnamed #1)");
  EXPECT_EQ(out[1].classname, "c");
  EXPECT_EQ(out[1].status, Status::failed);
  EXPECT_EQ(out[2].name, "(unnamed #2)");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "t.in:3:1: <testcase> without a name attribute; kept as \"(unnamed #1)\"");
  EXPECT_EQ(warnings[1], "t.in:4:1: <testcase> without a name attribute; kept as \"(unnamed #2)\"");
}

}  // namespace
}  // namespace ciutils::report
