// JUnit XML out, streamed: each testcase is rendered once into a spool file as it
// arrives, and only a small per-suite index (offsets, counts) stays in memory; the
// suites are then written with their totals in front. Valid against both
// jenkins-junit.xsd and junit-10.xsd, except that flakyFailure (--flaky-as flaky)
// exists only in junit-10.xsd.
#pragma once

#include "result.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace ciutils::report {

enum class FlakyAs { flaky, pass, duplicate };
enum class OnDuplicate { keep_all, last, worst };

FlakyAs parse_flaky_as(std::string_view text);          // UsageError naming --flaky-as
OnDuplicate parse_on_duplicate(std::string_view text);  // UsageError naming --on-duplicate

struct JunitOptions {
  std::string suite_name;           // every test in one suite of this name
  bool group_by_input_suite = false;  // merge: keep the suites the inputs had
  std::string name = "report";      // <testsuites name>
  FlakyAs flaky_as = FlakyAs::flaky;
  OnDuplicate on_duplicate = OnDuplicate::keep_all;
  std::size_t max_output = 500;             // system-out/err of passes: bytes kept at each end
  std::size_t max_failure_output = 50000;   // of failures
  std::string hostname;   // when a suite's results name no host
  std::string timestamp;  // when they hold no start time (ISO 8601, UTC)
};

struct Totals {
  std::uint64_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
};

// The <testcase> element(s) for one result (two for --flaky-as duplicate).
std::string render_testcase(const TestResult& result, const JunitOptions& options, Totals& counts);

class JunitWriter {
public:
  explicit JunitWriter(JunitOptions options);
  void add(const TestResult& result);
  void write(std::ostream& out);
  Totals totals() const;
  std::size_t suites() const { return m_suites.size(); }

private:
  // A testcase's bytes within its suite's own stream; each lies in one block.
  struct Entry {
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    bool live = true;
    std::uint8_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
  };
  // A run of one suite's testcases, written to the spool in one piece.
  struct Block {
    std::uint64_t spool_offset = 0;
    std::uint64_t suite_offset = 0;
    std::uint32_t length = 0;
  };
  struct Suite {
    std::string name;
    std::string hostname;
    std::string timestamp;
    std::int64_t earliest = INT64_MAX;  // ms since the epoch
    std::vector<Entry> entries;
    std::vector<Block> blocks;
    std::string pending;  // not yet in the spool
    std::uint64_t size = 0;  // bytes in blocks + pending
  };
  struct FileClose {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  void flush(Suite& suite);
  static void add_counts(Totals& t, const Entry& e);

  JunitOptions m_options;
  std::unique_ptr<std::FILE, FileClose> m_spool;
  std::uint64_t m_spool_size = 0;
  std::vector<Suite> m_suites;
  std::unordered_map<std::string, std::size_t> m_suite_index;
  struct Where {
    std::size_t suite, entry;
    int severity;
  };
  std::unordered_map<std::string, Where> m_seen;  // only for --on-duplicate last|worst
};

}  // namespace ciutils::report
