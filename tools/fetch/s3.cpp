#include "s3.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ciutils::fetch {

namespace {

std::string trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

// The whole file, or nullopt when it cannot be opened.
std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

AwsIni parse_aws_ini(std::string_view text) {
  AwsIni sections;
  std::map<std::string, std::string>* section = nullptr;
  std::string parent;  // a key with an empty value: the indented lines below are its settings
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;
    bool indented = std::isspace(static_cast<unsigned char>(line.front()));
    if (trimmed.front() == '[' && trimmed.back() == ']') {
      std::string name = trim(std::string_view(trimmed).substr(1, trimmed.size() - 2));
      auto space = name.find_first_of(" \t");
      if (space != std::string::npos) name = name.substr(0, space) + " " + trim(std::string_view(name).substr(space));
      section = &sections[name];
      parent.clear();
      continue;
    }
    auto eq = trimmed.find('=');
    if (!section || eq == std::string::npos) continue;
    std::string key = trim(std::string_view(trimmed).substr(0, eq));
    std::string value = trim(std::string_view(trimmed).substr(eq + 1));
    if (indented && !parent.empty()) {
      (*section)[parent + "." + key] = value;
      continue;
    }
    parent = value.empty() ? key : "";
    (*section)[key] = value;
  }
  return sections;
}

std::optional<AwsCredentials> parse_credentials_file(std::string_view text, std::string_view profile) {
  AwsIni ini = parse_aws_ini(text);
  auto it = ini.find(std::string(profile));
  if (it == ini.end()) it = ini.find("profile " + std::string(profile));
  if (it == ini.end()) return std::nullopt;
  auto value = [&](const char* key) {
    auto found = it->second.find(key);
    return found == it->second.end() ? std::string() : found->second;
  };
  return AwsCredentials{value("aws_access_key_id"), value("aws_secret_access_key"), value("aws_session_token")};
}

std::optional<AwsProfileConfig> parse_config_file(std::string_view text, std::string_view profile) {
  AwsIni ini = parse_aws_ini(text);
  auto it = ini.find("profile " + std::string(profile));
  if (it == ini.end() && profile == "default") it = ini.find("default");
  if (it == ini.end()) return std::nullopt;
  auto value = [](const std::map<std::string, std::string>& keys, const std::string& key) {
    auto found = keys.find(key);
    return found == keys.end() ? std::string() : found->second;
  };
  const auto& keys = it->second;
  AwsProfileConfig config;
  config.region = value(keys, "region");
  config.endpoint_url = value(keys, "endpoint_url");
  config.addressing_style = value(keys, "s3.addressing_style");
  config.ignore_configured_endpoint_urls = value(keys, "ignore_configured_endpoint_urls");
  if (std::string services = value(keys, "services"); !services.empty()) {
    if (auto s = ini.find("services " + services); s != ini.end()) config.s3_endpoint_url = value(s->second, "s3.endpoint_url");
  }
  return config;
}

AwsCredentials aws_credentials() {
  auto key = env_value("AWS_ACCESS_KEY_ID");
  auto secret = env_value("AWS_SECRET_ACCESS_KEY");
  if (key && secret) return {*key, *secret, env_value("AWS_SESSION_TOKEN").value_or("")};
  std::string profile = env_value("AWS_PROFILE").value_or("default");
  std::string file;
  if (auto path = env_value("AWS_SHARED_CREDENTIALS_FILE")) {
    file = *path;
  } else if (auto home = env_value("HOME")) {
    file = *home + "/.aws/credentials";
  }
  if (!file.empty()) {
    if (auto text = read_text_file(file)) {
      auto creds = parse_credentials_file(*text, profile);
      if (creds && !creds->access_key.empty() && !creds->secret_key.empty()) return *creds;
      if (creds) throw UsageError(file + ": profile '" + profile + "' lacks aws_access_key_id or aws_secret_access_key");
      if (env_value("AWS_PROFILE")) throw UsageError(file + ": no profile '" + profile + "'");
    }
  }
  throw UsageError("s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile in ~/.aws/credentials");
}

std::string encode_s3_key(std::string_view key) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  return out;
}

std::string encode_s3_query_value(std::string_view value) {
  std::string out;
  for (char c : encode_s3_key(value)) {
    if (c == '/') out += "%2F";
    else out += c;
  }
  return out;
}

namespace {

bool is_true(std::string value) {
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value == "true";
}

std::string checked_region(const std::string& region, const std::string& source) {
  bool valid = !region.empty() && region.size() <= 64 && std::isalnum(static_cast<unsigned char>(region.front()));
  for (char c : region) valid = valid && (std::islower(static_cast<unsigned char>(c)) ||
                                          std::isdigit(static_cast<unsigned char>(c)) || c == '-');
  if (!valid) throw UsageError(source + ": expected a region such as eu-west-1, got '" + region + "'");
  return region;
}

// scheme://host[:port][/path] without a trailing slash.
std::string checked_endpoint(std::string endpoint, const std::string& source) {
  std::string scheme = url_scheme(endpoint);
  auto authority = endpoint.find("://") + 3;
  bool valid = (scheme == "http" || scheme == "https") && authority < endpoint.size() &&
               endpoint.find_first_of("?#@ ") == std::string::npos && endpoint[authority] != '/';
  if (!valid) throw UsageError(source + ": expected http(s)://HOST[:PORT], got '" + endpoint + "'");
  while (endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

// A bucket name usable as a host name label: lower case letters, digits and '-'.
bool dns_label_bucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63 || bucket.front() == '-' || bucket.back() == '-') return false;
  return std::all_of(bucket.begin(), bucket.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

bool ip_address_host(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') return true;
  authority = authority.substr(0, authority.find(':'));
  return !authority.empty() && authority.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

S3Settings s3_settings(const S3Flags& flags) {
  std::string profile = env_value("AWS_PROFILE").value_or("default");
  std::string file;
  if (auto path = env_value("AWS_CONFIG_FILE")) file = *path;
  else if (auto home = env_value("HOME")) file = *home + "/.aws/config";
  AwsProfileConfig config;
  if (!file.empty()) config = parse_config_file(read_text_file(file).value_or(""), profile).value_or(AwsProfileConfig{});
  const std::string in_file = file + ": profile '" + profile + "': ";

  S3Settings settings;
  if (!flags.region.empty()) settings.region = checked_region(flags.region, "--region");
  else if (auto v = env_value("AWS_REGION")) settings.region = checked_region(*v, "AWS_REGION");
  else if (auto v = env_value("AWS_DEFAULT_REGION")) settings.region = checked_region(*v, "AWS_DEFAULT_REGION");
  else if (!config.region.empty()) settings.region = checked_region(config.region, in_file + "region");

  bool ignore_configured = env_value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
                               ? is_true(*env_value("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
                               : is_true(config.ignore_configured_endpoint_urls);
  if (!flags.endpoint.empty()) {
    settings.endpoint = checked_endpoint(flags.endpoint, "--endpoint");
  } else if (!ignore_configured) {
    if (auto v = env_value("AWS_ENDPOINT_URL_S3")) settings.endpoint = checked_endpoint(*v, "AWS_ENDPOINT_URL_S3");
    else if (auto v = env_value("AWS_ENDPOINT_URL")) settings.endpoint = checked_endpoint(*v, "AWS_ENDPOINT_URL");
    else if (!config.s3_endpoint_url.empty())
      settings.endpoint = checked_endpoint(config.s3_endpoint_url, in_file + "services: s3 endpoint_url");
    else if (!config.endpoint_url.empty())
      settings.endpoint = checked_endpoint(config.endpoint_url, in_file + "endpoint_url");
  }

  const std::string& style = config.addressing_style;
  if (!style.empty() && style != "auto" && style != "virtual" && style != "path")
    throw UsageError(in_file + "s3 addressing_style: expected auto, virtual or path, got '" + style + "'");
  settings.path_style = flags.path_style || style == "path" || (style != "virtual" && !settings.endpoint.empty());
  return settings;
}

std::string s3_object_url(std::string_view bucket, std::string_view key, const S3Settings& settings) {
  const std::string encoded = encode_s3_key(key);
  std::string base = settings.endpoint.empty() ? "https://s3." + settings.region + ".amazonaws.com" : settings.endpoint;
  auto authority = base.find("://") + 3;
  auto path = base.find('/', authority);
  std::string host = base.substr(authority, path == std::string::npos ? std::string::npos : path - authority);
  if (settings.path_style || !dns_label_bucket(bucket) || ip_address_host(host))
    return base + "/" + std::string(bucket) + "/" + encoded;
  return base.substr(0, authority) + std::string(bucket) + "." + base.substr(authority) + "/" + encoded;
}

std::string s3_redirect_text(long status, const std::optional<std::string>& bucket_region) {
  std::string text = "HTTP " + std::to_string(status) + ": S3 redirects are not followed";
  if (bucket_region && !bucket_region->empty())
    text = "HTTP " + std::to_string(status) + ": the bucket is in region '" + *bucket_region + "' (set AWS_REGION)";
  return text;
}

void check_s3_key(std::string_view key) {
  if (key.empty() || key.size() > 1024)
    throw UsageError("URL: an S3 key must be 1 to 1024 bytes, got " + std::to_string(key.size()));
  for (std::size_t i = 0; i < key.size();) {
    auto c = static_cast<unsigned char>(key[i]);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool valid = length > 0 && i + length <= key.size() && !(length == 1 && (c < 0x20 || c == 0x7f));
    for (std::size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(key[i + k]) >> 6) == 2;
    if (!valid) throw UsageError("URL: the S3 key is not valid UTF-8 or holds a control character (byte " +
                                 std::to_string(i + 1) + ")");
    i += length;
  }
}

S3Request s3_request(const std::string& s3_url, const std::string& payload_sha256, const S3Flags& flags) {
  std::string rest = s3_url.substr(5);  // after "s3://"
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string key = rest.substr(slash + 1);
  check_s3_key(key);
  S3Settings settings = s3_settings(flags);
  AwsCredentials creds = aws_credentials();
  S3Request request;
  request.url = s3_object_url(bucket, key, settings);
  request.sigv4 = "aws:amz:" + settings.region + ":s3";
  request.userpwd = creds.access_key + ":" + creds.secret_key;
  request.headers.push_back("x-amz-content-sha256: " + payload_sha256);
  if (!creds.session_token.empty()) request.headers.push_back("x-amz-security-token: " + creds.session_token);
  return request;
}

}  // namespace ciutils::fetch
