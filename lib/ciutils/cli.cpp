#include "ciutils/cli.h"

#include "ciutils/error.h"
#include "ciutils/version.h"

#include <boost/program_options/parsers.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace ciutils {

void add_common_options(po::options_description& desc, CommonOptions& opts, const char* quiet) {
  desc.add_options()
      ("help,h", po::bool_switch(&opts.help), "print this help and exit")
      ("version", po::bool_switch(&opts.version), "print the version and exit")
      ("quiet,q", po::bool_switch(&opts.quiet), quiet)
      ("verbose,v", po::bool_switch(&opts.verbose), "print more about what happens")
      ("json", po::bool_switch(&opts.json), "machine-readable output on stdout");
}

namespace {

// "the argument ('x') for option '--batch' is invalid": the quoted value.
std::string quoted_value(const std::string& what) {
  auto start = what.find("('");
  auto end = what.find("')", start == std::string::npos ? 0 : start);
  if (start == std::string::npos || end == std::string::npos) return {};
  return what.substr(start + 2, end - start - 2);
}

// The first argument past what `positional` takes: the one that was too many.
std::string extra_argument(const std::vector<std::string>& args, const po::options_description& desc,
                           const po::positional_options_description& positional) {
  po::options_description all;
  all.add(desc).add_options()("ciutils-extra-argument", po::value<std::vector<std::string>>());
  po::positional_options_description more;
  const unsigned taken = positional.max_total_count();
  for (unsigned i = 0; i < taken; ++i) more.add(positional.name_for_position(i).c_str(), 1);
  more.add("ciutils-extra-argument", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(more).run(), vm);
    if (vm.count("ciutils-extra-argument")) return vm["ciutils-extra-argument"].as<std::vector<std::string>>().front();
  } catch (const po::error&) {
  }
  return {};
}

}  // namespace

UsageError usage_error(const po::error& error) {
  if (const auto* e = dynamic_cast<const po::unknown_option*>(&error)) {
    return UsageError(e->get_option_name() + ": unknown option");
  }
  if (const auto* e = dynamic_cast<const po::invalid_option_value*>(&error)) {
    return UsageError(e->get_option_name() + ": invalid value '" + quoted_value(e->what()) + "'");
  }
  if (const auto* e = dynamic_cast<const po::invalid_command_line_syntax*>(&error)) {
    if (e->kind() == po::invalid_syntax::missing_parameter) return UsageError(e->get_option_name() + ": missing value");
    if (e->kind() == po::invalid_syntax::extra_parameter) return UsageError(e->get_option_name() + ": takes no value");
  }
  if (const auto* e = dynamic_cast<const po::multiple_occurrences*>(&error)) {
    return UsageError(e->get_option_name() + ": given more than once");
  }
  if (const auto* e = dynamic_cast<const po::error_with_option_name*>(&error)) {
    std::string name = e->get_option_name();
    if (!name.empty()) return UsageError(name + ": " + e->what());
  }
  return UsageError(error.what());
}

po::variables_map parse_args(const std::vector<std::string>& args, const po::options_description& desc,
                             const po::positional_options_description& positional,
                             const std::vector<std::string>& positional_only) {
  po::variables_map vm;
  try {
    auto parsed = po::command_line_parser(args)
                      .options(desc)
                      .positional(positional)
                      .style(po::command_line_style::default_style &
                             ~po::command_line_style::allow_guessing)
                      .run();
    for (const auto& option : parsed.options) {
      if (option.position_key == -1 &&
          std::find(positional_only.begin(), positional_only.end(), option.string_key) != positional_only.end()) {
        throw UsageError("--" + option.string_key + ": unknown option");
      }
    }
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::too_many_positional_options_error&) {
    std::string extra = extra_argument(args, desc, positional);
    throw UsageError(extra.empty() ? std::string("too many arguments") : "'" + extra + "': unexpected argument");
  } catch (const po::error& e) {
    throw usage_error(e);
  }
  return vm;
}

std::vector<std::string> args_of(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  return args;
}

std::optional<std::string> env_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

std::string flag_env_default(const po::variables_map& vm, const std::string& flag, const char* env,
                             const std::string& fallback) {
  if (vm.count(flag) != 0 && !vm[flag].defaulted()) {
    return vm[flag].as<std::string>();
  }
  if (env != nullptr) {
    if (auto value = env_value(env)) {
      return *value;
    }
  }
  return fallback;
}

namespace {

// Reads a non-negative decimal number ("12", "0.5") at the front of text.
std::optional<double> take_number(std::string_view& text) {
  std::size_t n = 0;
  bool dot = false;
  while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || (text[n] == '.' && !dot))) {
    dot = dot || text[n] == '.';
    ++n;
  }
  if (n == 0 || (n == 1 && text[0] == '.')) {
    return std::nullopt;
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc() || ptr != text.data() + n) {
    return std::nullopt;
  }
  text.remove_prefix(n);
  return value;
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag) {
  const auto bad = [&](std::string_view why) {
    return UsageError(std::string(flag) + ": invalid duration '" + std::string(text) + "' (" +
                      std::string(why) + "; use e.g. 250ms, 90s, 10m, 1h30m)");
  };
  std::string_view rest = text;
  if (rest.empty()) {
    throw bad("empty");
  }
  double total_ms = 0;
  bool bare = true;
  while (!rest.empty()) {
    auto number = take_number(rest);
    if (!number) {
      throw bad(rest.front() == '-' ? "negative" : "expected a number");
    }
    std::size_t unit_len = 0;
    while (unit_len < rest.size() && std::isalpha(static_cast<unsigned char>(rest[unit_len]))) {
      ++unit_len;
    }
    std::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    double scale = 0;
    if (unit.empty()) {
      if (!bare || !rest.empty()) {
        throw bad("missing unit");
      }
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else {
      throw bad("unknown unit '" + std::string(unit) + "'");
    }
    bare = false;
    total_ms += *number * scale;
  }
  // Up to 2^53 ms (285,000 years) every whole number of milliseconds is exact in a double,
  // so what is printed back parses to the same value.
  constexpr double k_max_ms = 9'007'199'254'740'992.0;
  if (!std::isfinite(total_ms) || total_ms > k_max_ms) {
    throw bad("out of range");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total_ms)));
}

std::uint64_t parse_size(std::string_view text, std::string_view flag) {
  const auto bad = [&](std::string_view why) {
    return UsageError(std::string(flag) + ": invalid size '" + std::string(text) + "' (" +
                      std::string(why) + "; use e.g. 512, 64KiB, 64MiB, 2GiB, 1.5GB)");
  };
  std::string_view rest = text;
  if (rest.empty()) {
    throw bad("empty");
  }
  auto number = take_number(rest);
  if (!number) {
    throw bad(rest.front() == '-' ? "negative" : "expected a number");
  }
  struct Unit {
    std::string_view name;
    double scale;
  };
  static constexpr Unit units[] = {
      {"", 1},          {"B", 1},           {"k", 1e3},         {"K", 1e3},         {"KB", 1e3},
      {"kB", 1e3},      {"M", 1e6},         {"MB", 1e6},        {"G", 1e9},         {"GB", 1e9},
      {"T", 1e12},      {"TB", 1e12},       {"KiB", 1024.0},    {"MiB", 1048576.0}, {"GiB", 1073741824.0},
      {"TiB", 1099511627776.0},
  };
  for (const auto& unit : units) {
    if (rest == unit.name) {
      double bytes = *number * unit.scale;
      if (bytes > 1.8e19) {
        throw bad("out of range");
      }
      if (bytes != std::floor(bytes)) {
        throw bad("not a whole number of bytes");
      }
      return static_cast<std::uint64_t>(bytes);
    }
  }
  throw bad("unknown unit '" + std::string(rest) + "'");
}

long long parse_integer(std::string_view text, std::string_view flag, long long min, long long max) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw UsageError(std::string(flag) + ": invalid number '" + std::string(text) + "'");
  }
  if (value < min || value > max) {
    throw UsageError(std::string(flag) + ": " + std::string(text) + " is out of range " +
                     std::to_string(min) + ".." + std::to_string(max));
  }
  return value;
}

std::string format_duration(std::chrono::milliseconds d) {
  using namespace std::chrono;
  long long ms = d.count();
  if (ms < 0) {
    return "-" + format_duration(milliseconds(-ms));
  }
  if (ms < 1000) {
    return std::to_string(ms) + "ms";
  }
  if (ms < 60'000) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(ms % 1000 == 0 ? 0 : 1);
    out << static_cast<double>(ms) / 1000.0 << 's';
    return out.str();
  }
  long long s = ms / 1000;
  std::string out;
  if (s >= 86400) {
    out += std::to_string(s / 86400) + "d";
    s %= 86400;
  }
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) {
    out += std::to_string(s) + "s";
  }
  return out;
}

std::string help_text(std::string_view synopsis, std::string_view description,
                      const po::options_description& desc, std::string_view extra) {
  std::ostringstream out;
  out << "Usage: " << synopsis << "\n\n" << description << "\n\n" << desc;
  if (!extra.empty()) {
    out << '\n' << extra;
    if (extra.back() != '\n') {
      out << '\n';
    }
  }
  return out.str();
}

std::string version_text(std::string_view tool) {
  return std::string(tool) + " (ciutils) " + k_version;
}

}  // namespace ciutils
