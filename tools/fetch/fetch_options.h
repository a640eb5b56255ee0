// fetch's flags, declared once and checked into plain structs (no I/O).
#pragma once

#include "entry_path.h"

#include <ciutils/cli.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ciutils::fetch {

struct Budgets {
  std::uint64_t max_bytes = 10ULL << 30;     // unpacked total
  std::uint64_t max_entries = 100000;
  double max_ratio = 200;                    // unpacked / downloaded
  std::uint64_t max_download = 10ULL << 30;  // bytes received
  unsigned mode_mask = 022;                  // permission bits dropped from every entry
  bool no_symlinks = false;                  // refuse every symlink that would be extracted
};

// S3 addressing from the command line; the environment and ~/.aws/config fill the rest.
struct S3Flags {
  std::string endpoint;  // --endpoint
  std::string region;    // --region
  bool path_style = false;
};

struct NetOptions {
  int retries = 3;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(30)};
  std::optional<std::chrono::milliseconds> deadline;
  // What artifact servers need. headers ("Name: value", ${ENV} expanded; --bearer adds
  // "Authorization: Bearer …") go to the URL's own host only, never after a redirect to
  // another host, and never to S3 (signed requests).
  std::vector<std::string> headers;
  std::vector<std::string> secrets;  // expanded ${ENV} values, redacted from messages
  std::string cacert;
  std::string client_cert;
  std::string client_key;
  std::string proxy;
  bool insecure = false;
  S3Flags s3;
};

struct GetOptions {
  std::string url;
  std::vector<std::string> mirrors;  // tried in order when url fails
  std::string output;  // destination directory, file, or "-"
  bool no_extract = false;
  bool replace = false;
  int strip_components = 0;
  EntryFilter filter;
  std::optional<std::string> sha256;  // lower-case hex
  std::optional<std::string> cache_dir;
  bool cache_shared = false;  // a group- or world-writable cache is meant to be shared
  Budgets budgets;
  NetOptions net;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
};

struct PutOptions {
  std::string path;
  std::string url;
  std::optional<std::string> content_type;
  std::uint64_t part_size = 8ULL << 20;  // S3 multipart upload part
  int parallel = 4;                      // S3 parts uploaded at once
  NetOptions net;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
};

// The flags of `fetch URL` and of `fetch put PATH URL`, for fetch's command table.
void get_flags(po::options_description& desc);
void put_flags(po::options_description& desc);

// The parsed flags (and the positional url, path) checked into options. Throws UsageError
// naming the flag or argument.
GetOptions get_options(const po::variables_map& vm, const CommonOptions& common);
PutOptions put_options(const po::variables_map& vm, const CommonOptions& common);

// "suite" for ".../suite.tar.gz?x=1" (extract) or "suite.tar.gz" (save).
std::string default_output(const std::string& url, bool extract);

// The URL's scheme in lower case ("" when there is none).
std::string url_scheme(const std::string& url);

}  // namespace ciutils::fetch
