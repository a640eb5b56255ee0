#include "fetch_options.h"

#include <ciutils/command.h>
#include <ciutils/error.h>

#include <gtest/gtest.h>

#include <sstream>

namespace ciutils::fetch {
namespace {

constexpr ciutils::Command k_get{.options = get_flags, .positional = "url", .positional_max = 1};
constexpr ciutils::Command k_put{.name = "put", .options = put_flags, .positional = "path url", .positional_max = 1};

// `fetch ARGS...` as its command table parses it: the options of `fetch URL`, or of `fetch put`.
struct Parsed {
  GetOptions get;
  PutOptions put;
};
Parsed parse(std::vector<std::string> args) {
  std::ostringstream out;
  Parsed parsed;
  if (!args.empty() && args[0] == "put") {
    args.erase(args.begin());
    auto inv = parse_invocation("fetch", k_put, args, out, out);
    parsed.put = put_options(inv.vm, inv.common);
  } else {
    auto inv = parse_invocation("fetch", k_get, args, out, out);
    parsed.get = get_options(inv.vm, inv.common);
  }
  return parsed;
}

std::string usage_message(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(FetchOptions, DefaultsAndDerivedOutput) {
  Parsed c = parse({"https://example.com/suites/web.tar.gz?token=x"});
  EXPECT_EQ(c.get.output, "web");
  EXPECT_FALSE(c.get.no_extract);
  EXPECT_EQ(c.get.budgets.max_entries, 100000u);
  EXPECT_EQ(c.get.net.retries, 3);
  EXPECT_EQ(parse({"--no-extract", "file:///tmp/a.zip"}).get.output, "a.zip");
  EXPECT_EQ(parse({"s3://bucket/dir/t.tgz", "-o", "out/"}).get.output, "out");
}

TEST(FetchOptions, Flags) {
  Parsed c = parse({"http://h/a.tar", "-o", "d", "--sha256", std::string(64, 'A'), "--strip-components", "2",
                             "--max-bytes", "1MiB", "--max-ratio", "50", "--retry", "0", "--deadline", "10s",
                             "--replace", "--json"});
  EXPECT_EQ(*c.get.sha256, std::string(64, 'a'));
  EXPECT_EQ(c.get.strip_components, 2);
  EXPECT_EQ(c.get.budgets.max_bytes, 1u << 20);
  EXPECT_EQ(c.get.budgets.max_ratio, 50);
  EXPECT_EQ(c.get.net.retries, 0);
  EXPECT_EQ(*c.get.net.deadline, std::chrono::seconds(10));
  EXPECT_TRUE(c.get.replace);
  EXPECT_TRUE(c.get.json);
  EXPECT_TRUE(parse({"http://h/a.tar", "-o", "-"}).get.no_extract);
}

TEST(FetchOptions, RejectsBadInput) {
  EXPECT_EQ(usage_message({}), "URL: missing (see fetch --help)");
  EXPECT_EQ(usage_message({"ftp://h/a.tar"}), "URL: unsupported scheme 'ftp' (http, https, file, s3)");
  EXPECT_EQ(usage_message({"a.tar"}), "URL: not a URL: 'a.tar' (use file:// for local files)");
  EXPECT_EQ(usage_message({"s3://bucket"}), "URL: s3 URL must be s3://BUCKET/KEY");
  EXPECT_EQ(usage_message({"http://h/a.tar", "--sha256", "abc"}), "--sha256: expected 64 hex digits, got 'abc'");
  EXPECT_EQ(usage_message({"http://h/a.tar", "--max-ratio", "0.5"}), "--max-ratio: expected a number >= 1, got '0.5'");
  EXPECT_EQ(usage_message({"http://h/a.tar", "--no-extract", "--strip-components", "1"}),
            "--strip-components: not with --no-extract or -o -");
  EXPECT_EQ(usage_message({"http://h/"}), "-o: cannot derive a name from the URL; give -o");
}

TEST(FetchOptions, Put) {
  Parsed c = parse({"put", "logs", "s3://b/runs/1.tar.gz", "--content-type", "application/x-tar"});
  EXPECT_EQ(c.put.path, "logs");
  EXPECT_EQ(*c.put.content_type, "application/x-tar");
  EXPECT_EQ(usage_message({"put", "logs"}), "put: expected PATH and URL");
  EXPECT_EQ(usage_message({"put", "logs", "file:///tmp/x"}), "URL: put supports http, https and s3, not file");
}

TEST(FetchOptions, PutPartSize) {
  EXPECT_EQ(parse({"put", "logs", "s3://b/k"}).put.part_size, 8ULL << 20);
  EXPECT_EQ(parse({"put", "logs", "s3://b/k", "--part-size", "5MiB"}).put.part_size, 5ULL << 20);
  EXPECT_EQ(parse({"put", "logs", "s3://b/k", "--part-size", "5GiB"}).put.part_size, 5ULL << 30);
  EXPECT_EQ(usage_message({"put", "logs", "s3://b/k", "--part-size", "1MiB"}),
            "--part-size: must be at least 5MiB (S3's smallest part), got '1MiB'");
  EXPECT_EQ(usage_message({"put", "logs", "s3://b/k", "--part-size", "6GiB"}),
            "--part-size: must be at most 5GiB (S3's largest part), got '6GiB'");
}

}  // namespace
}  // namespace ciutils::fetch
