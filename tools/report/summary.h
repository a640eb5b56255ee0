// The run in a few screens: GitHub-flavoured Markdown for $GITHUB_STEP_SUMMARY or
// plain text, always under max_bytes (the least important parts go first).
#pragma once

#include "result.h"

#include <cstddef>
#include <string>
#include <vector>

namespace ciutils::report {

enum class SummaryFormat { markdown, text };

struct SummaryOptions {
  SummaryFormat format = SummaryFormat::markdown;
  std::size_t max_bytes = 1024 * 1024;
  std::string title = "Test results";
};

std::string render_summary(const std::vector<TestResult>& results, const SummaryOptions& options);

// Markdown inline text: HTML and Markdown punctuation escaped, "@" defused so that
// names never mention anyone, line breaks flattened.
std::string markdown_inline(std::string_view text);

}  // namespace ciutils::report
