// GitHub Actions workflow commands for failures (::error) and flaky tests (::warning),
// at most 10 of each type (GitHub shows no more), the rest summarised in the last one.
#pragma once

#include "result.h"

#include <string>
#include <string_view>
#include <vector>

namespace ciutils::report {

// Escaping of workflow command data (%, CR, LF) and properties (also ':' and ',').
std::string escape_command_data(std::string_view text);
std::string escape_command_property(std::string_view text);

std::string render_annotations(const std::vector<TestResult>& results, std::size_t max_per_type = 10);

}  // namespace ciutils::report
