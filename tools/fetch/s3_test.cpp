#include "s3.h"

#include <gtest/gtest.h>

namespace ciutils::fetch {
namespace {

TEST(S3, EncodesKeys) {
  EXPECT_EQ(encode_s3_key("runs/a b=c.tar.gz"), "runs/a%20b%3Dc.tar.gz");
  EXPECT_EQ(encode_s3_key("x+y~z"), "x%2By~z");
}

TEST(S3, EncodesQueryValues) {
  EXPECT_EQ(encode_s3_query_value("VXBs.b2F-k_~"), "VXBs.b2F-k_~");
  EXPECT_EQ(encode_s3_query_value("a/b+c=d e"), "a%2Fb%2Bc%3Dd%20e");
}

TEST(S3, ObjectUrls) {
  EXPECT_EQ(s3_object_url("bucket", "k/e y", "eu-west-1", ""), "https://bucket.s3.eu-west-1.amazonaws.com/k/e%20y");
  EXPECT_EQ(s3_object_url("my.bucket", "k", "us-east-1", ""), "https://s3.us-east-1.amazonaws.com/my.bucket/k");
  EXPECT_EQ(s3_object_url("b", "k=1", "us-east-1", "http://127.0.0.1:9000/"), "http://127.0.0.1:9000/b/k%3D1");
}

TEST(S3, CredentialsFileProfiles) {
  const char* text =
      "[default]\naws_access_key_id = AKDEF\naws_secret_access_key = secret1\n"
      "\n[ci]\naws_access_key_id=AKCI\naws_secret_access_key=s=2\naws_session_token = tok\n";
  auto def = parse_credentials_file(text, "default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->access_key, "AKDEF");
  EXPECT_EQ(def->secret_key, "secret1");
  auto ci = parse_credentials_file(text, "ci");
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->secret_key, "s=2");
  EXPECT_EQ(ci->session_token, "tok");
  EXPECT_FALSE(parse_credentials_file(text, "other"));
}

}  // namespace
}  // namespace ciutils::fetch
