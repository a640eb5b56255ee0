#include "ciutils/cli.h"

#include "ciutils/error.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

using namespace ciutils;
using std::chrono::milliseconds;

namespace {

std::string usage_message(auto fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(parse_duration("250ms", "--ttl"), milliseconds(250));
  EXPECT_EQ(parse_duration("0.5s", "--ttl"), milliseconds(500));
  EXPECT_EQ(parse_duration("90s", "--ttl"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("10m", "--ttl"), milliseconds(600'000));
  EXPECT_EQ(parse_duration("1h30m", "--ttl"), milliseconds(5'400'000));
  EXPECT_EQ(parse_duration("2d", "--ttl"), milliseconds(172'800'000));
  EXPECT_EQ(parse_duration("1m30s500ms", "--ttl"), milliseconds(90'500));
  EXPECT_EQ(parse_duration("30", "--ttl"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("0", "--ttl"), milliseconds(0));
}

TEST(ParseDuration, RejectsBadValuesNamingTheFlag) {
  EXPECT_EQ(usage_message([] { parse_duration("", "--ttl"); }),
            "--ttl: invalid duration '' (empty; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("-5s", "--wait"); }),
            "--wait: invalid duration '-5s' (negative; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("5x", "--wait"); }),
            "--wait: invalid duration '5x' (unknown unit 'x'; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("soon", "--timeout"); }),
            "--timeout: invalid duration 'soon' (expected a number; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("1h30", "--ttl"); }),
            "--ttl: invalid duration '1h30' (missing unit; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("1e400s", "--ttl"); }),
            "--ttl: invalid duration '1e400s' (unknown unit 'e'; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(usage_message([] { parse_duration("99999999999999999d", "--ttl"); }),
            "--ttl: invalid duration '99999999999999999d' (out of range; use e.g. 250ms, 90s, 10m, 1h30m)");
  // Beyond 2^53 ms a double no longer holds every millisecond (found by fuzz/duration).
  EXPECT_EQ(usage_message([] { parse_duration("888888888888880", "--ttl"); }),
            "--ttl: invalid duration '888888888888880' (out of range; use e.g. 250ms, 90s, 10m, 1h30m)");
  EXPECT_EQ(parse_duration("9007199254740s", "--ttl"), milliseconds(9'007'199'254'740'000));
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("512", "--max-bytes"), 512u);
  EXPECT_EQ(parse_size("64KiB", "--max-bytes"), 65'536u);
  EXPECT_EQ(parse_size("64MiB", "--max-bytes"), 67'108'864u);
  EXPECT_EQ(parse_size("2GiB", "--max-bytes"), 2'147'483'648u);
  EXPECT_EQ(parse_size("1.5GB", "--max-bytes"), 1'500'000'000u);
  EXPECT_EQ(parse_size("10k", "--max-bytes"), 10'000u);
}

TEST(ParseSize, RejectsBadValuesNamingTheFlag) {
  EXPECT_EQ(usage_message([] { parse_size("64XB", "--max-bytes"); }),
            "--max-bytes: invalid size '64XB' (unknown unit 'XB'; use e.g. 512, 64KiB, 64MiB, 2GiB, 1.5GB)");
  EXPECT_EQ(usage_message([] { parse_size("-1", "--max-bytes"); }),
            "--max-bytes: invalid size '-1' (negative; use e.g. 512, 64KiB, 64MiB, 2GiB, 1.5GB)");
  EXPECT_EQ(usage_message([] { parse_size("1.5", "--max-bytes"); }),
            "--max-bytes: invalid size '1.5' (not a whole number of bytes; use e.g. 512, 64KiB, 64MiB, 2GiB, 1.5GB)");
}

TEST(ParseInteger, Bounds) {
  EXPECT_EQ(parse_integer("7", "-j", 1, 100), 7);
  EXPECT_EQ(usage_message([] { parse_integer("0", "-j", 1, 100); }), "-j: 0 is out of range 1..100");
  EXPECT_EQ(usage_message([] { parse_integer("7x", "-j", 1, 100); }), "-j: invalid number '7x'");
}

TEST(FormatDuration, ShortForms) {
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(12'300)), "12.3s");
  EXPECT_EQ(format_duration(milliseconds(5'400'000)), "1h30m");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
}

TEST(ParseArgs, CommonFlagsAndErrors) {
  CommonOptions common;
  po::options_description desc("Options");
  add_common_options(desc, common);
  std::string ttl;
  desc.add_options()("ttl", po::value(&ttl), "lease");
  auto vm = parse_args({"--json", "-q", "--ttl", "5s"}, desc);
  EXPECT_TRUE(common.json);
  EXPECT_TRUE(common.quiet);
  EXPECT_EQ(ttl, "5s");

  EXPECT_EQ(usage_message([&] { parse_args({"--bogus"}, desc); }), "--bogus: unknown option");
  EXPECT_EQ(usage_message([&] { parse_args({"--ttl"}, desc); }),
            "--ttl: missing value");
  EXPECT_EQ(usage_message([&] { parse_args({"extra"}, desc); }), "'extra': unexpected argument");
}

TEST(FlagEnvDefault, FlagBeatsEnvBeatsDefault) {
  po::options_description desc;
  desc.add_options()("url", po::value<std::string>(), "url");
  ::unsetenv("CIUTILS_TEST_URL");
  EXPECT_EQ(flag_env_default(parse_args({}, desc), "url", "CIUTILS_TEST_URL", "default"), "default");
  ::setenv("CIUTILS_TEST_URL", "from-env", 1);
  EXPECT_EQ(flag_env_default(parse_args({}, desc), "url", "CIUTILS_TEST_URL", "default"), "from-env");
  EXPECT_EQ(flag_env_default(parse_args({"--url", "flag"}, desc), "url", "CIUTILS_TEST_URL", "default"),
            "flag");
  ::setenv("CIUTILS_TEST_URL", "", 1);
  EXPECT_EQ(flag_env_default(parse_args({}, desc), "url", "CIUTILS_TEST_URL", "default"), "default");
  ::unsetenv("CIUTILS_TEST_URL");
}

namespace {
int throws_usage(int, char**) { throw UsageError("--ttl: bad"); }
int throws_other(int, char**) { throw std::runtime_error("boom"); }
int returns_seven(int, char**) { return 7; }
}  // namespace

TEST(GuardedMain, MapsExceptionsToMessagesAndCodes) {
  std::ostringstream err;
  EXPECT_EQ(guarded_main("lockctl", err, throws_usage, 0, nullptr), 2);
  EXPECT_EQ(err.str(), "lockctl: error: --ttl: bad\n");
  err.str("");
  EXPECT_EQ(guarded_main("prun", err, throws_other, 0, nullptr), 125);
  EXPECT_EQ(err.str(), "prun: error: boom\n");
  err.str("");
  EXPECT_EQ(guarded_main("prun", err, returns_seven, 0, nullptr), 7);
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(to_int(ExitCode::lock_conflict), 75);
  EXPECT_EQ(to_int(ExitCode::timeout), 124);
}
