// report's commands (declared in report.cpp's command table) and what they share: the result
// files they read.
#pragma once

#include "result.h"

#include "ciutils/command.h"

#include <string>
#include <vector>

namespace ciutils::report {

// Every result of every INPUT (files or - for stdin), in order; UsageError naming INPUT when
// none is given, or when they hold no result and --allow-empty was not given.
std::vector<TestResult> read_all(const Invocation& inv);

// The INPUT arguments, and whether --allow-empty was given.
std::vector<std::string> input_files(const Invocation& inv);
bool allow_empty(const Invocation& inv);
// The UsageError when none of `files` held a result (--allow-empty not given).
UsageError no_results(const std::vector<std::string>& files);

// Exit 1 when --fail-on-failure was given and a test failed, errored or timed out.
int exit_for(const Invocation& inv, bool failed);
bool any_failure(const std::vector<TestResult>& results);

// Prints an input warning as "report: warning: …" on stderr.
void warn_on_stderr(const std::string& text);

int cmd_junit(Invocation& inv);
int cmd_merge(Invocation& inv);
int cmd_summary(Invocation& inv);
int cmd_annotate(Invocation& inv);
int cmd_metrics(Invocation& inv);
int cmd_store(Invocation& inv);
int cmd_history(Invocation& inv);
int cmd_html(Invocation& inv);
int cmd_serve(Invocation& inv);

}  // namespace ciutils::report
