#include "fetch_options.h"

#include "multipart.h"
#include "ciutils/sha256.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>
#include <ciutils/secrets.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace ciutils::fetch {

namespace {

void add_net_options(po::options_description& desc) {
  desc.add_options()
      ("retry", po::value<std::string>()->value_name("N"), "retries after a failed attempt (default 3)")
      ("connect-timeout", po::value<std::string>()->value_name("D"), "TCP/TLS connect timeout (default 15s)")
      ("stall-timeout", po::value<std::string>()->value_name("D"),
       "abort an attempt that receives nothing for D (default 30s)")
      ("deadline", po::value<std::string>()->value_name("D"), "overall time limit, retries included")
      ("header", po::value<std::vector<std::string>>()->value_name("'NAME: VALUE'"),
       "extra request header, repeatable; ${VAR} is replaced by the environment variable (a secret, "
       "redacted); sent only to the URL's host, never after a redirect to another host")
      ("bearer", po::value<std::string>()->value_name("TOKEN"),
       "Authorization: Bearer TOKEN, e.g. --bearer '${GITHUB_TOKEN}' (same rules as --header)")
      ("cacert", po::value<std::string>()->value_name("FILE"), "CA certificates (PEM) to verify servers with")
      ("client-cert", po::value<std::string>()->value_name("FILE"), "TLS client certificate (PEM), for mTLS")
      ("client-key", po::value<std::string>()->value_name("FILE"), "private key (PEM) of --client-cert")
      ("insecure", "do not verify TLS certificates (a warning is printed on every use)")
      ("proxy", po::value<std::string>()->value_name("URL"),
       "proxy for every request (default: the http_proxy, https_proxy, no_proxy variables)")
      ("endpoint", po::value<std::string>()->value_name("URL"),
       "S3-compatible server for s3:// URLs, e.g. http://minio:9000 (default: AWS_ENDPOINT_URL_S3, "
       "AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS)")
      ("region", po::value<std::string>()->value_name("REGION"),
       "S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1)")
      ("s3-path-style", "address buckets as ENDPOINT/BUCKET/KEY rather than BUCKET.ENDPOINT/KEY");
}

std::string readable_file(const po::variables_map& vm, const char* flag) {
  if (!vm.count(flag)) return "";
  std::string path = vm[flag].as<std::string>();
  if (access(path.c_str(), R_OK) != 0)
    throw UsageError("--" + std::string(flag) + ": cannot read '" + path + "': " + std::strerror(errno));
  return path;
}

NetOptions net_options(const po::variables_map& vm) {
  NetOptions net;
  if (vm.count("retry")) net.retries = static_cast<int>(parse_integer(vm["retry"].as<std::string>(), "--retry", 0, 100));
  if (vm.count("connect-timeout"))
    net.connect_timeout = parse_duration(vm["connect-timeout"].as<std::string>(), "--connect-timeout");
  if (vm.count("stall-timeout"))
    net.stall_timeout = parse_duration(vm["stall-timeout"].as<std::string>(), "--stall-timeout");
  if (vm.count("deadline")) net.deadline = parse_duration(vm["deadline"].as<std::string>(), "--deadline");
  if (net.connect_timeout.count() <= 0) throw UsageError("--connect-timeout: must be positive");
  if (net.stall_timeout < std::chrono::seconds(1)) throw UsageError("--stall-timeout: must be at least 1s");
  if (net.deadline && net.deadline->count() <= 0) throw UsageError("--deadline: must be positive");
  Secrets secrets;
  if (vm.count("header")) {
    for (const auto& text : vm["header"].as<std::vector<std::string>>()) {
      auto colon = text.find(':');
      if (colon == std::string::npos || colon == 0 ||
          text.find_first_of(" \t\r\n") < colon || text.find_first_of("\r\n") != std::string::npos)
        throw UsageError("--header: expected 'Name: value', got '" + text + "'");
      net.headers.push_back(expand_env(text, "--header", secrets));
    }
  }
  if (vm.count("bearer"))
    net.headers.push_back("Authorization: Bearer " + expand_env(vm["bearer"].as<std::string>(), "--bearer", secrets));
  for (const auto& h : net.headers) {  // header values are credentials more often than not
    std::string value = h.substr(h.find(':') + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    net.secrets.push_back(value);
  }
  net.cacert = readable_file(vm, "cacert");
  net.client_cert = readable_file(vm, "client-cert");
  net.client_key = readable_file(vm, "client-key");
  if (!net.client_key.empty() && net.client_cert.empty()) throw UsageError("--client-key: needs --client-cert");
  if (vm.count("proxy")) net.proxy = vm["proxy"].as<std::string>();
  net.insecure = vm.count("insecure") > 0;
  if (vm.count("endpoint")) {
    net.s3.endpoint = vm["endpoint"].as<std::string>();
    if (net.s3.endpoint.empty()) throw UsageError("--endpoint: empty URL");
  }
  if (vm.count("region")) {
    net.s3.region = vm["region"].as<std::string>();
    if (net.s3.region.empty()) throw UsageError("--region: empty region");
  }
  net.s3.path_style = vm.count("s3-path-style") > 0;
  return net;
}

void check_url(const std::string& url, std::string_view what) {
  std::string scheme = url_scheme(url);
  if (scheme.empty()) throw UsageError(std::string(what) + ": not a URL: '" + url + "' (use file:// for local files)");
  if (scheme != "http" && scheme != "https" && scheme != "file" && scheme != "s3")
    throw UsageError(std::string(what) + ": unsupported scheme '" + scheme + "' (http, https, file, s3)");
  if (scheme == "s3") {
    std::string rest = url.substr(5);
    auto slash = rest.find('/');
    if (slash == 0 || slash == std::string::npos || slash + 1 == rest.size())
      throw UsageError(std::string(what) + ": s3 URL must be s3://BUCKET/KEY");
  }
}

}  // namespace

void put_flags(po::options_description& desc) {
  desc.add_options()
      ("content-type", po::value<std::string>()->value_name("TYPE"), "Content-Type of the upload")
      ("part-size", po::value<std::string>()->value_name("SIZE"),
       "S3 multipart part size, 5MiB..5GiB (default 8MiB)")
      ("parallel", po::value<std::string>()->value_name("N"),
       "S3 multipart parts uploaded at once, 1..64 (default 4); memory is about (N + 1) x the part size");
  add_net_options(desc);
}

PutOptions put_options(const po::variables_map& vm, const CommonOptions& common) {
  PutOptions put;
  if (!vm.count("path") || !vm.count("url")) throw UsageError("put: expected PATH and URL");
  put.path = vm["path"].as<std::string>();
  put.url = vm["url"].as<std::string>();
  check_url(put.url, "URL");
  if (url_scheme(put.url) == "file") throw UsageError("URL: put supports http, https and s3, not file");
  if (vm.count("content-type")) put.content_type = vm["content-type"].as<std::string>();
  if (vm.count("part-size")) {
    const std::string text = vm["part-size"].as<std::string>();
    put.part_size = parse_size(text, "--part-size");
    if (put.part_size < k_min_part_size)
      throw UsageError("--part-size: must be at least 5MiB (S3's smallest part), got '" + text + "'");
    if (put.part_size > k_max_part_size)
      throw UsageError("--part-size: must be at most 5GiB (S3's largest part), got '" + text + "'");
  }
  if (vm.count("parallel"))
    put.parallel = static_cast<int>(parse_integer(vm["parallel"].as<std::string>(), "--parallel", 1, 64));
  put.net = net_options(vm);
  put.json = common.json;
  put.quiet = common.quiet;
  put.verbose = common.verbose;
  return put;
}

std::string url_scheme(const std::string& url) {
  auto colon = url.find("://");
  if (colon == std::string::npos || colon == 0) return "";
  std::string scheme = url.substr(0, colon);
  for (char& c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return scheme;
}

std::string default_output(const std::string& url, bool extract) {
  std::string path = url;
  auto scheme_end = path.find("://");
  if (scheme_end != std::string::npos) path = path.substr(scheme_end + 3);
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.pop_back();
  auto slash = path.rfind('/');
  std::string name = slash == std::string::npos ? "" : path.substr(slash + 1);
  if (extract) {
    static constexpr std::array<std::string_view, 11> k_suffixes{
        ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar", ".zip", ".tbz"};
    for (std::string_view suffix : k_suffixes) {
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        name.resize(name.size() - suffix.size());
        break;
      }
    }
  }
  if (name.empty() || name == "." || name == ".." || name.find('%') != std::string::npos)
    throw UsageError("-o: cannot derive a name from the URL; give -o");
  return name;
}

void get_flags(po::options_description& desc) {
  desc.add_options()
      ("output,o", po::value<std::string>()->value_name("DIR"),
       "destination directory (default: the URL's name without .tar.gz etc.); with --no-extract a file; "
       "- writes the download to stdout")
      ("mirror", po::value<std::vector<std::string>>()->value_name("URL"),
       "another URL of the same file, tried in order when the previous one fails (exit 3 after its "
       "retries, or a --sha256 mismatch); repeatable; --deadline bounds them all")
      ("no-extract", "save the downloaded file itself instead of unpacking it")
      ("replace", "replace an existing destination atomically")
      ("strip-components", po::value<std::string>()->value_name("N"), "drop N leading path components of entries")
      ("include", po::value<std::vector<std::string>>()->value_name("GLOB"),
       "extract only entries matching GLOB (repeatable; after --strip-components)")
      ("exclude", po::value<std::vector<std::string>>()->value_name("GLOB"),
       "skip entries matching GLOB (repeatable); unsafe entries are refused all the same")
      ("sha256", po::value<std::string>()->value_name("HEX"), "expected SHA-256 of the downloaded bytes")
      ("cache", po::value<std::string>()->value_name("DIR"),
       "content-addressed download cache, revalidated with ETag/Last-Modified; with --replace, a "
       "destination still holding this archive's tree is not extracted again")
      ("cache-shared", "accept a --cache directory that is group- or world-writable or owned by another user")
      ("no-symlinks", "refuse an archive holding a symlink that would be extracted (tar or zip)")
      ("mode-mask", po::value<std::string>()->value_name("OCTAL"),
       "permission bits dropped from every extracted entry, like a umask (default 022: no group/other write)")
      ("max-bytes", po::value<std::string>()->value_name("SIZE"), "unpacked total limit (default 10GiB)")
      ("max-entries", po::value<std::string>()->value_name("N"), "archive entry limit (default 100000)")
      ("max-ratio", po::value<std::string>()->value_name("R"),
       "unpacked/downloaded ratio limit, against compression bombs (default 200)")
      ("max-download", po::value<std::string>()->value_name("SIZE"), "downloaded bytes limit (default 10GiB)");
  add_net_options(desc);
}

GetOptions get_options(const po::variables_map& vm, const CommonOptions& common) {
  GetOptions get;
  if (!vm.count("url")) throw UsageError("URL: missing (see fetch --help)");
  get.url = vm["url"].as<std::string>();
  check_url(get.url, "URL");
  if (vm.count("mirror")) {
    get.mirrors = vm["mirror"].as<std::vector<std::string>>();
    for (const auto& mirror : get.mirrors) check_url(mirror, "--mirror");
  }
  get.no_extract = vm.count("no-extract") > 0;
  get.replace = vm.count("replace") > 0;
  if (vm.count("output")) {
    get.output = vm["output"].as<std::string>();
    if (get.output.empty()) throw UsageError("-o: empty path");
  }
  if (get.output == "-") {
    get.no_extract = true;
    if (get.replace) throw UsageError("--replace: not with -o -");
  }
  if (vm.count("strip-components")) {
    if (get.no_extract) throw UsageError("--strip-components: not with --no-extract or -o -");
    get.strip_components =
        static_cast<int>(parse_integer(vm["strip-components"].as<std::string>(), "--strip-components", 0, 1000));
  }
  for (const char* flag : {"include", "exclude"}) {
    if (!vm.count(flag)) continue;
    if (get.no_extract) throw UsageError("--" + std::string(flag) + ": not with --no-extract or -o -");
    auto& list = std::string(flag) == "include" ? get.filter.include : get.filter.exclude;
    list = vm[flag].as<std::vector<std::string>>();
    for (const auto& glob : list)
      if (glob.empty()) throw UsageError("--" + std::string(flag) + ": empty pattern");
  }
  if (vm.count("sha256")) {
    std::string hex = vm["sha256"].as<std::string>();
    if (hex.starts_with("sha256:")) hex = hex.substr(7);
    if (!is_sha256_hex(hex)) throw UsageError("--sha256: expected 64 hex digits, got '" + hex + "'");
    std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::tolower(c); });
    get.sha256 = hex;
  }
  std::string cache = flag_env_default(vm, "cache", "CIUTILS_FETCH_CACHE", "");
  if (!cache.empty()) get.cache_dir = cache;
  get.cache_shared = vm.count("cache-shared") > 0;
  if (vm.count("mode-mask")) {
    const std::string text = vm["mode-mask"].as<std::string>();
    bool octal = !text.empty() && text.size() <= 4 && text.find_first_not_of("01234567") == std::string::npos;
    unsigned long mask = octal ? std::stoul(text, nullptr, 8) : 01000;
    if (mask > 0777) throw UsageError("--mode-mask: expected octal permission bits such as 022 or 0, got '" + text + "'");
    get.budgets.mode_mask = static_cast<unsigned>(mask);
  }
  get.budgets.no_symlinks = vm.count("no-symlinks") > 0;
  if (get.budgets.no_symlinks && get.no_extract) throw UsageError("--no-symlinks: not with --no-extract or -o -");
  if (vm.count("max-bytes")) get.budgets.max_bytes = parse_size(vm["max-bytes"].as<std::string>(), "--max-bytes");
  if (vm.count("max-download"))
    get.budgets.max_download = parse_size(vm["max-download"].as<std::string>(), "--max-download");
  if (vm.count("max-entries"))
    get.budgets.max_entries = static_cast<std::uint64_t>(
        parse_integer(vm["max-entries"].as<std::string>(), "--max-entries", 1, 1000000000000LL));
  if (vm.count("max-ratio")) {
    const std::string text = vm["max-ratio"].as<std::string>();
    std::size_t used = 0;
    double ratio = 0;
    try {
      ratio = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || !(ratio >= 1)) throw UsageError("--max-ratio: expected a number >= 1, got '" + text + "'");
    get.budgets.max_ratio = ratio;
  }
  get.net = net_options(vm);
  if (get.output.empty()) get.output = default_output(get.url, !get.no_extract);
  if (get.output != "-") {
    while (get.output.size() > 1 && get.output.back() == '/') get.output.pop_back();
  }
  get.json = common.json;
  get.quiet = common.quiet;
  get.verbose = common.verbose;
  return get;
}

}  // namespace ciutils::fetch
