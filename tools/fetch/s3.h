// s3://bucket/key to a signed HTTP request: credentials from the environment or the
// shared credentials file; region, endpoint and addressing style from the flags, the
// environment and the profile in ~/.aws/config, with the AWS CLI's precedence.
#pragma once

#include "fetch_options.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ciutils::fetch {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;
};

// An AWS shared config or credentials file: section name ("default", "profile ci",
// "services s3-local") to key to value. A key with an empty value followed by indented
// "name = value" lines holds those as "key.name" (e.g. "s3.addressing_style").
using AwsIni = std::map<std::string, std::map<std::string, std::string>>;
AwsIni parse_aws_ini(std::string_view text);

// The profile's keys from a ~/.aws/credentials text, or nullopt when the profile is absent.
std::optional<AwsCredentials> parse_credentials_file(std::string_view text, std::string_view profile);

// What a profile of ~/.aws/config says about S3 ("" when it says nothing).
struct AwsProfileConfig {
  std::string region;
  std::string endpoint_url;       // the profile's endpoint_url, for every service
  std::string s3_endpoint_url;    // s3 endpoint_url of the profile's services section
  std::string addressing_style;   // s3 addressing_style: auto, virtual or path
  std::string ignore_configured_endpoint_urls;
};

// The profile ("default" is [default] or [profile default], others [profile NAME]) of a
// ~/.aws/config text, or nullopt when it is absent.
std::optional<AwsProfileConfig> parse_config_file(std::string_view text, std::string_view profile);

struct S3Settings {
  std::string region = "us-east-1";
  std::string endpoint;     // "" for AWS itself, else scheme://host[:port][/path]
  bool path_style = false;  // else virtual-hosted wherever the bucket name allows it
};

// Resolves the settings as the AWS CLI does:
//   region:   --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1;
//   endpoint: --endpoint, then (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
//             ignore_configured_endpoint_urls is true) AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL,
//             the s3 endpoint_url of the profile's services section, its endpoint_url;
//   style:    --s3-path-style, the profile's s3 addressing_style, else path-style with an
//             endpoint (what S3-compatible servers expect) and virtual-hosted on AWS.
// The profile is AWS_PROFILE (default "default") in AWS_CONFIG_FILE (default ~/.aws/config);
// a missing file or profile is no error. UsageError naming the flag, variable or file for
// a value that is not a region or an http(s) URL.
S3Settings s3_settings(const S3Flags& flags);

// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN), else the AWS_PROFILE (or
// "default") profile of AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. UsageError when none.
AwsCredentials aws_credentials();

// Percent-encodes a key for the request path (RFC 3986 unreserved characters and '/' kept).
std::string encode_s3_key(std::string_view key);

// Percent-encodes a query value (RFC 3986 unreserved characters kept), as SigV4 wants it.
std::string encode_s3_query_value(std::string_view value);

// The HTTP URL of an object. Virtual-hosted: "https://<bucket>.s3.<region>.amazonaws.com/<key>",
// or "<scheme>://<bucket>.<endpoint host>/<key>"; path-style: "<endpoint or
// https://s3.<region>.amazonaws.com>/<bucket>/<key>". Path-style is used, whatever the
// settings, for bucket names that are no DNS label (dots, capitals) and endpoints whose host
// is an IP address.
std::string s3_object_url(std::string_view bucket, std::string_view key, const S3Settings& settings);

struct S3Request {
  std::string url;
  std::string sigv4;    // CURLOPT_AWS_SIGV4 provider
  std::string userpwd;  // access key : secret key
  std::vector<std::string> headers;
};

// S3 answers a request sent to the wrong region with 301 or 307 and names the bucket's
// region in x-amz-bucket-region; fetch never follows S3 redirects (a redirect to another
// host would carry the credentials along). The text that replaces "HTTP <status>" in the
// message, e.g. "HTTP 301: the bucket is in region 'eu-west-1' (set AWS_REGION)".
std::string s3_redirect_text(long status, const std::optional<std::string>& bucket_region);

// Throws UsageError naming the URL unless S3 would accept the key: 1 to 1024 bytes of
// UTF-8 without control characters. "." and ".." segments are fine: they are sent as is.
void check_s3_key(std::string_view key);

// A request for s3://bucket/key; payload_sha256 is the hex hash of the body (or
// "UNSIGNED-PAYLOAD"), sent as x-amz-content-sha256 and signed.
S3Request s3_request(const std::string& s3_url, const std::string& payload_sha256, const S3Flags& flags);

}  // namespace ciutils::fetch
