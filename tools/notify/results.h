// Reading a results file (JSON Lines records as prun writes them) into a run's outcome.
#pragma once

#include "alert.h"

#include <filesystem>
#include <istream>
#include <string>
#include <vector>

namespace ciutils::notify {

struct RunOutcome {
  bool failed = false;  // any record failed, timed out or errored
  std::size_t total = 0;
  std::vector<FailedTest> failed_tests;
};

// Each line must be an object with a string "name" and a known "status"; a bad line
// throws UsageError "<source>:<line>: …".
RunOutcome read_results(std::istream& in, const std::string& source);
RunOutcome read_results_file(const std::filesystem::path& path);

}  // namespace ciutils::notify
