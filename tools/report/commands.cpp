#include "commands.h"
#include "input.h"

#include "ciutils/error.h"

#include <iostream>

namespace ciutils::report {

const char* const k_exit_codes =
    "Exit status:\n"
    "  0  success (also when tests failed: the report says so)\n"
    "  1  --fail-on-failure was given and a test failed, errored or timed out\n"
    "  2  usage error or invalid input (the message names the flag, file, line or field)\n"
    "  3  Redis or the Pushgateway unreachable or refusing\n";

void add_input_options(po::options_description& hidden, po::options_description& visible, Inputs& in) {
  hidden.add_options()("input", po::value(&in.files)->multitoken(), "input files (positional)");
  visible.add_options()("allow-empty", po::bool_switch(&in.allow_empty),
                        "accept inputs holding no test results and write an empty report (a 0-byte "
                        "file is still refused)");
}

void add_redis_options(po::options_description& visible, std::string& redis_url, std::string& ns) {
  visible.add_options()("redis", po::value(&redis_url)->value_name("URL"),
                        "Redis URL (else $REDIS_URL, redis://127.0.0.1:6379/0)")(
      "namespace", po::value(&ns)->value_name("NS"), "key prefix (else $CIUTILS_NAMESPACE, ciutils)");
}

KeySpace key_space(const po::variables_map& vm, const std::string& ns) {
  return KeySpace::checked(vm.count("namespace") ? std::optional(ns) : std::nullopt);
}

Redis connect_redis(const std::string& redis_url) {
  return Redis::connect(parse_redis_url(redis_url.empty() ? redis_url_from_env() : redis_url));
}

void warn_on_stderr(const std::string& text) { std::cerr << "report: warning: " << text << "\n"; }

std::vector<TestResult> read_all(const Inputs& in) {
  if (in.files.empty()) {
    throw UsageError("no input: give result files (JSON Lines, TAP or JUnit XML), or - for stdin");
  }
  std::vector<TestResult> results;
  read_inputs(in.files, [&](TestResult&& r) { results.push_back(std::move(r)); }, warn_on_stderr);
  if (results.empty() && !in.allow_empty) {
    throw UsageError("no test results in " + in.files.front() + (in.files.size() > 1 ? " and the other inputs" : "") +
                     " (--allow-empty writes an empty report)");
  }
  return results;
}

// Parses a command's flags; prints help and returns false when --help was asked for.
bool parse(const std::vector<std::string>& args, po::options_description& visible, bool positional_inputs,
           CommonOptions& common, std::string_view synopsis, std::string_view description, std::string_view extra,
           po::options_description& all, po::variables_map& vm) {
  add_common_options(visible, common);
  all.add(visible);
  po::positional_options_description pos;
  if (positional_inputs) pos.add("input", -1);
  vm = parse_args(args, all, pos);
  if (common.help) {
    std::cout << help_text(synopsis, description, visible, std::string(extra) + k_exit_codes);
    return false;
  }
  if (common.version) {
    std::cout << version_text("report") << "\n";
    return false;
  }
  return true;
}

}  // namespace ciutils::report
