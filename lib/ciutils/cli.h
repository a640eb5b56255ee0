// Command-line parsing shared by the tools: common flags, flag > env > default,
// durations and sizes that name the flag they came from.
#pragma once

#include "ciutils/error.h"

#include <boost/program_options/errors.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils {

namespace po = boost::program_options;

// -h/--help, --version, -q, -v, --json: present in every tool.
struct CommonOptions {
  bool help = false;
  bool version = false;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
};

// Adds the common flags to desc, storing into opts.
// quiet: what -q does, where it is more than printing only errors (prun: the jobs' output stays).
void add_common_options(po::options_description& desc, CommonOptions& opts, const char* quiet = "print only errors");

// Parses args (without argv[0]) against desc and positional. Every Boost error
// becomes a UsageError whose message names the flag ("--ttl: invalid value 'x'").
// Unknown flags are errors; positional arguments beyond `positional` are errors.
// positional_only: options desc holds for positional arguments alone; typed as a flag
// (`--command x`) they are unknown options.
po::variables_map parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                             const po::positional_options_description& positional = {},
                             const std::vector<std::string>& positional_only = {});

// A Boost error as "--flag: what is wrong" ("--ttl: missing value", "--bogus: unknown option").
UsageError usage_error(const po::error& error);

// argv[1..argc) as strings.
std::vector<std::string> args_of(int argc, char** argv);

// The value of environment variable name, if set and non-empty.
std::optional<std::string> env_value(const char* name);

// Flag > environment > default, in one visible place: returns the flag's value when
// it was given on the command line, else the environment variable, else fallback.
std::string flag_env_default(const po::variables_map& vm, const std::string& flag, const char* env,
                             const std::string& fallback);

// "250ms", "0.5s", "90s", "10m", "1h30m", "2d"; a bare number is seconds.
// Rejects empty, negative, unknown units and overflow with a UsageError naming `flag`.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag);

// "512", "64KiB", "64MiB", "2GiB", "1.5GB", "10k": bytes. Binary (KiB) and decimal (KB, k) units.
std::uint64_t parse_size(std::string_view text, std::string_view flag);

// A whole non-negative integer within [min, max], else a UsageError naming `flag`.
long long parse_integer(std::string_view text, std::string_view flag, long long min, long long max);

// "1h30m", "250ms", "12.3s": the short human form of a duration.
std::string format_duration(std::chrono::milliseconds d);

// Standard help text: "Usage: <synopsis>\n\n<description>\n\n<options>\n<extra>".
std::string help_text(std::string_view synopsis, std::string_view description,
                      const po::options_description& desc, std::string_view extra);

// "<tool> <version>" for --version.
std::string version_text(std::string_view tool);

}  // namespace ciutils
