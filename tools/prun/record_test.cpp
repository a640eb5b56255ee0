#include "record.h"

#include "ciutils/json.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace ciutils::prun {
namespace {

TEST(RecordTest, HasEveryFieldOfTheFormat) {
  Job job;
  job.name = "checkout flow";
  job.classname = "web.e2e";
  job.number = 7;
  Outcome o;
  o.status = Status::timeout;
  o.exit_code = 124;
  o.signal = 15;
  o.timed_out = true;
  o.attempts = 2;
  o.slot = 3;
  o.duration_s = 12.3456;
  o.message = "timed out after 10s";
  o.stdout_tail = "out";
  o.stderr_tail = "bad \xff byte";
  o.log = "logs/0007.log";
  auto r = make_record(job, "./e2e checkout", o, {"nightly", "agent-7"});
  for (const char* key : {"name", "classname", "status", "exit_code", "signal", "timed_out", "started_at",
                          "duration_s", "attempts", "slot", "host", "run_id", "command", "message", "stdout_tail",
                          "stderr_tail", "log"}) {
    EXPECT_TRUE(r.contains(key)) << key;
  }
  EXPECT_EQ(r.size(), 17u);
  EXPECT_EQ(r["status"].as_string(), "timeout");
  EXPECT_EQ(r["signal"].as_int64(), 15);
  EXPECT_DOUBLE_EQ(r["duration_s"].as_double(), 12.346);
  EXPECT_EQ(r["stderr_tail"].as_string(), "bad \xEF\xBF\xBD byte");
}

TEST(RecordTest, SkippedJobHasNulls) {
  Job job;
  job.name = "x";
  Outcome o;
  auto r = make_record(job, "x", o, {"r", "h"});
  EXPECT_TRUE(r["started_at"].is_null());
  EXPECT_TRUE(r["slot"].is_null());
  EXPECT_TRUE(r["log"].is_null());
  EXPECT_EQ(r["status"].as_string(), "skipped");
}

TEST(Utf8Test, KeepsValidAndReplacesInvalid) {
  EXPECT_EQ(sanitize_utf8("h\xC3\xA9llo \xE2\x82\xAC"), "h\xC3\xA9llo \xE2\x82\xAC");
  EXPECT_EQ(sanitize_utf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JoblogTest, GnuParallelColumns) {
  Job job;
  job.number = 4;
  Outcome o;
  o.exit_code = 2;
  o.duration_s = 1.5;
  o.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  auto line = joblog_line(job, "echo\ta", o, {"r", "h"}, 12);
  EXPECT_EQ(line, "4\t:\t1700000000.000\t1.500\t0\t12\t2\t0\techo a\n");
  EXPECT_EQ(joblog_header().substr(0, 4), "Seq\t");
}

}  // namespace
}  // namespace ciutils::prun
