#include "junit_writer.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ciutils::report {
namespace {

TestResult make(std::string name, Status s, std::string cls = "c") {
  TestResult r;
  r.name = std::move(name);
  r.classname = std::move(cls);
  r.status = s;
  r.duration_s = 1.5;
  return r;
}

TEST(RenderTestcase, FlakyModes) {
  TestResult r = make("f", Status::flaky);
  r.attempts = 3;
  r.message = "first try failed";
  JunitOptions o;
  Totals t;
  std::string flaky = render_testcase(r, o, t);
  // As Jenkins reads them: the details in a <stackTrace> child.
  EXPECT_NE(flaky.find("      <flakyFailure message=\"first try failed\" type=\"flaky\">\n"
                       "        <stackTrace>first try failed</stackTrace>\n"
                       "      </flakyFailure>\n"
                       "      <flakyFailure message=\"first try failed\" type=\"flaky\">\n"
                       "      </flakyFailure>\n"),
            std::string::npos);
  EXPECT_EQ(t.tests, 1u);
  EXPECT_EQ(t.failures, 0u);

  o.flaky_as = FlakyAs::pass;
  Totals p;
  std::string pass = render_testcase(r, o, p);
  EXPECT_EQ(pass.find("flakyFailure"), std::string::npos);
  EXPECT_NE(pass.find("<system-out>[flaky: passed on attempt 3; earlier failure: first try failed]\n</system-out>"),
            std::string::npos);

  o.flaky_as = FlakyAs::duplicate;
  Totals d;
  std::string dup = render_testcase(r, o, d);
  EXPECT_EQ(d.tests, 2u);
  EXPECT_EQ(d.failures, 1u);
  EXPECT_NE(dup.find("type=\"flaky\""), std::string::npos);
}

TEST(RenderTestcase, RerunsAreWrittenAsReadOnlyWhenFlakyElementsAreAllowed) {
  TestResult r = make("f", Status::failed);
  r.message = "no";
  Rerun again;
  again.kind = Rerun::Kind::rerun_error;
  again.type = "E";
  again.stack_trace = "at <x>";
  again.stderr_text = "err";
  r.reruns.push_back(again);
  JunitOptions o;
  Totals t;
  std::string x = render_testcase(r, o, t);
  EXPECT_NE(x.find("      <rerunError type=\"E\">\n"
                   "        <stackTrace>at &lt;x&gt;</stackTrace>\n"
                   "        <system-err>err</system-err>\n"
                   "      </rerunError>\n"),
            std::string::npos);
  EXPECT_EQ(t.failures, 1u);
  o.flaky_as = FlakyAs::pass;  // jenkins-junit.xsd has no rerun elements
  EXPECT_EQ(render_testcase(r, o, t).find("rerunError"), std::string::npos);
}

TEST(RenderTestcase, SkippedHasNoAttributesAndTimeoutIsAFailure) {
  JunitOptions o;
  Totals t;
  TestResult s = make("s", Status::skipped);
  s.message = "no <db>";
  EXPECT_NE(render_testcase(s, o, t).find("<skipped>no &lt;db&gt;</skipped>"), std::string::npos);
  TestResult to = make("t", Status::timeout);
  to.message = "timed out after 10m\nkilled";
  std::string x = render_testcase(to, o, t);
  EXPECT_NE(x.find("<failure message=\"timed out after 10m\" type=\"timeout\">"), std::string::npos);
  EXPECT_EQ(t.failures, 1u);
  EXPECT_EQ(t.skipped, 1u);
}

TEST(RenderTestcase, TrimsOutputHeadAndTail) {
  JunitOptions o;
  o.max_output = 4;
  Totals t;
  TestResult r = make("p", Status::passed);
  r.stdout_tail = "0123456789abcdef";
  EXPECT_NE(render_testcase(r, o, t).find("<system-out>0123\n[… 8 bytes trimmed …]\ncdef</system-out>"),
            std::string::npos);
}

std::string write(JunitWriter& w) {
  std::ostringstream out;
  w.write(out);
  return out.str();
}

TEST(JunitWriter, OneSuitePerClassnameWithTotals) {
  JunitOptions o;
  o.hostname = "h";
  o.timestamp = "2026-01-01T00:00:00Z";
  JunitWriter w(o);
  w.add(make("a", Status::passed, "x"));
  w.add(make("b", Status::failed, "y"));
  w.add(make("c", Status::error, "x"));
  std::string xml = write(w);
  EXPECT_NE(xml.find("<testsuites name=\"report\" tests=\"3\" failures=\"1\" errors=\"1\" time=\"4.500\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<testsuite name=\"x\" tests=\"2\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"3.000\" "
                     "timestamp=\"2026-01-01T00:00:00\" hostname=\"h\" id=\"0\">"),
            std::string::npos);
  EXPECT_LT(xml.find("name=\"a\""), xml.find("name=\"c\""));
}

TEST(JunitWriter, DuplicatesLastAndWorst) {
  for (auto mode : {OnDuplicate::keep_all, OnDuplicate::last, OnDuplicate::worst}) {
    JunitOptions o;
    o.on_duplicate = mode;
    JunitWriter w(o);
    w.add(make("a", Status::failed));
    w.add(make("a", Status::passed));
    w.add(make("b", Status::passed));
    Totals t = w.totals();
    if (mode == OnDuplicate::keep_all) {
      EXPECT_EQ(t.tests, 3u);
      EXPECT_EQ(t.failures, 1u);
    } else if (mode == OnDuplicate::last) {
      EXPECT_EQ(t.tests, 2u);
      EXPECT_EQ(t.failures, 0u);
    } else {
      EXPECT_EQ(t.tests, 2u);
      EXPECT_EQ(t.failures, 1u);
    }
  }
}

TEST(JunitWriter, ManyBlocksKeepOrderAndDropReplacedCases) {
  JunitOptions o;
  o.on_duplicate = OnDuplicate::last;
  JunitWriter w(o);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3000; ++i) {
      TestResult r = make("t" + std::to_string(i), round == 0 ? Status::failed : Status::passed,
                          "s" + std::to_string(i % 3));
      r.stdout_tail = std::string(900, 'o');
      w.add(r);
    }
  }
  std::string xml = write(w);
  std::size_t cases = 0, pos = 0;
  while ((pos = xml.find("<testcase ", pos)) != std::string::npos) ++cases, ++pos;
  EXPECT_EQ(cases, 3000u);
  EXPECT_EQ(xml.find("<failure"), std::string::npos);
  EXPECT_NE(xml.find("<testsuites name=\"report\" tests=\"3000\" failures=\"0\""), std::string::npos);
  EXPECT_LT(xml.find("name=\"t3\""), xml.find("name=\"t6\""));
  EXPECT_EQ(xml.substr(xml.size() - 14), "</testsuites>\n");
}

TEST(JunitWriter, FlagValues) {
  EXPECT_EQ(parse_flaky_as("duplicate"), FlakyAs::duplicate);
  EXPECT_THROW(parse_flaky_as("x"), UsageError);
  EXPECT_EQ(parse_on_duplicate("worst"), OnDuplicate::worst);
  EXPECT_THROW(parse_on_duplicate("first"), UsageError);
}

}  // namespace
}  // namespace ciutils::report
