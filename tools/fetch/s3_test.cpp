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
  S3Settings aws{"eu-west-1", "", false};
  EXPECT_EQ(s3_object_url("bucket", "k/e y", aws), "https://bucket.s3.eu-west-1.amazonaws.com/k/e%20y");
  EXPECT_EQ(s3_object_url("my.bucket", "k", aws), "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
  EXPECT_EQ(s3_object_url("Legacy_Bucket", "k", aws), "https://s3.eu-west-1.amazonaws.com/Legacy_Bucket/k");
  EXPECT_EQ(s3_object_url("bucket", "k", S3Settings{"eu-west-1", "", true}),
            "https://s3.eu-west-1.amazonaws.com/bucket/k");
  S3Settings minio{"us-east-1", "http://minio:9000/base", true};
  EXPECT_EQ(s3_object_url("bkt", "k=1", minio), "http://minio:9000/base/bkt/k%3D1");
  minio.path_style = false;
  EXPECT_EQ(s3_object_url("bkt", "k=1", minio), "http://bkt.minio:9000/base/k%3D1");
  EXPECT_EQ(s3_object_url("bkt", "k", S3Settings{"us-east-1", "http://127.0.0.1:9000", false}),
            "http://127.0.0.1:9000/bkt/k");
  EXPECT_EQ(s3_object_url("bkt", "k", S3Settings{"us-east-1", "http://[::1]:9000", false}), "http://[::1]:9000/bkt/k");
}

TEST(S3, IniNestedSettings) {
  AwsIni ini = parse_aws_ini(
      "# comment\n[ profile ci ]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n  endpoint_url=http://x\n"
      "output = json\n  indented = stray\n");
  EXPECT_EQ(ini["profile ci"]["region"], "eu-west-1");
  EXPECT_EQ(ini["profile ci"]["s3.addressing_style"], "path");
  EXPECT_EQ(ini["profile ci"]["s3.endpoint_url"], "http://x");
  EXPECT_EQ(ini["profile ci"]["output"], "json");
  EXPECT_EQ(ini["profile ci"]["indented"], "stray");
}

TEST(S3, ConfigFileProfiles) {
  const char* text =
      "[default]\nregion = us-west-2\n"
      "[profile ci]\nregion = eu-central-1\nendpoint_url = http://all:1\nservices = local\n"
      "s3 =\n  addressing_style = virtual\nignore_configured_endpoint_urls = true\n"
      "[services local]\ns3 =\n  endpoint_url = http://s3only:2\n"
      "[ci]\nregion = ap-south-1\n";
  auto def = parse_config_file(text, "default");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->region, "us-west-2");
  EXPECT_EQ(def->endpoint_url, "");
  auto ci = parse_config_file(text, "ci");
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->region, "eu-central-1");
  EXPECT_EQ(ci->endpoint_url, "http://all:1");
  EXPECT_EQ(ci->s3_endpoint_url, "http://s3only:2");
  EXPECT_EQ(ci->addressing_style, "virtual");
  EXPECT_EQ(ci->ignore_configured_endpoint_urls, "true");
  EXPECT_FALSE(parse_config_file("[other]\nregion = x\n", "other"));  // needs [profile other]
  EXPECT_EQ(parse_config_file("[profile default]\nregion = x\n", "default")->region, "x");
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
