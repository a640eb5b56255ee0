#include "s3.h"

#include <ciutils/cli.h>
#include <ciutils/error.h>

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

}  // namespace

std::optional<AwsCredentials> parse_credentials_file(std::string_view text, std::string_view profile) {
  std::optional<AwsCredentials> found;
  bool in_profile = false;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;
    if (trimmed.front() == '[' && trimmed.back() == ']') {
      std::string name = trim(std::string_view(trimmed).substr(1, trimmed.size() - 2));
      if (name.starts_with("profile ")) name = trim(std::string_view(name).substr(8));
      in_profile = name == profile;
      if (in_profile && !found) found = AwsCredentials{};
      continue;
    }
    if (!in_profile) continue;
    auto eq = trimmed.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(std::string_view(trimmed).substr(0, eq));
    std::string value = trim(std::string_view(trimmed).substr(eq + 1));
    if (key == "aws_access_key_id") found->access_key = value;
    else if (key == "aws_secret_access_key") found->secret_key = value;
    else if (key == "aws_session_token") found->session_token = value;
  }
  return found;
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
    std::ifstream in(file);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto creds = parse_credentials_file(text.str(), profile);
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

std::string s3_object_url(std::string_view bucket, std::string_view key, std::string_view region,
                          std::string_view endpoint) {
  std::string encoded = encode_s3_key(key);
  if (!endpoint.empty()) {
    std::string base(endpoint);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/" + std::string(bucket) + "/" + encoded;
  }
  if (bucket.find('.') != std::string_view::npos)
    return "https://s3." + std::string(region) + ".amazonaws.com/" + std::string(bucket) + "/" + encoded;
  return "https://" + std::string(bucket) + ".s3." + std::string(region) + ".amazonaws.com/" + encoded;
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

S3Request s3_request(const std::string& s3_url, const std::string& payload_sha256) {
  std::string rest = s3_url.substr(5);  // after "s3://"
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string key = rest.substr(slash + 1);
  check_s3_key(key);
  std::string region = env_value("AWS_REGION").value_or(env_value("AWS_DEFAULT_REGION").value_or("us-east-1"));
  std::string endpoint = env_value("AWS_ENDPOINT_URL").value_or("");
  AwsCredentials creds = aws_credentials();
  S3Request request;
  request.url = s3_object_url(bucket, key, region, endpoint);
  request.sigv4 = "aws:amz:" + region + ":s3";
  request.userpwd = creds.access_key + ":" + creds.secret_key;
  request.headers.push_back("x-amz-content-sha256: " + payload_sha256);
  if (!creds.session_token.empty()) request.headers.push_back("x-amz-security-token: " + creds.session_token);
  return request;
}

}  // namespace ciutils::fetch
