// s3://bucket/key to a signed HTTP request: credentials from the environment or the
// shared credentials file, region, custom endpoints with path-style addressing.
#pragma once

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

// The profile's keys from a ~/.aws/credentials text, or nullopt when the profile is absent.
std::optional<AwsCredentials> parse_credentials_file(std::string_view text, std::string_view profile);

// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN), else the AWS_PROFILE (or
// "default") profile of AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. UsageError when none.
AwsCredentials aws_credentials();

// Percent-encodes a key for the request path (RFC 3986 unreserved characters and '/' kept).
std::string encode_s3_key(std::string_view key);

// Percent-encodes a query value (RFC 3986 unreserved characters kept), as SigV4 wants it.
std::string encode_s3_query_value(std::string_view value);

// The HTTP URL of an object: "<endpoint>/<bucket>/<key>" (path-style) when an endpoint is
// given, else "https://<bucket>.s3.<region>.amazonaws.com/<key>" (path-style on
// s3.<region>.amazonaws.com for bucket names with dots).
std::string s3_object_url(std::string_view bucket, std::string_view key, std::string_view region,
                          std::string_view endpoint);

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
S3Request s3_request(const std::string& s3_url, const std::string& payload_sha256);

}  // namespace ciutils::fetch
