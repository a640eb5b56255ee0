#include "multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ciutils::fetch {
namespace {

std::vector<std::string> split(std::size_t part_size, const std::vector<std::string>& pieces, std::string& rest) {
  std::vector<std::string> parts;
  PartSplitter splitter(part_size, [&](int number, std::span<const char> part) {
    EXPECT_EQ(number, static_cast<int>(parts.size()) + 1);
    parts.emplace_back(part.data(), part.size());
  });
  for (const auto& piece : pieces) splitter.feed(std::span<const char>(piece.data(), piece.size()));
  EXPECT_EQ(splitter.parts(), static_cast<int>(parts.size()));
  rest.assign(splitter.rest().data(), splitter.rest().size());
  return parts;
}

TEST(PartSplitter, CutsExactPartsAndKeepsTheRest) {
  std::string rest;
  auto parts = split(4, {"abc", "defgh", "ij", "klmnopq"}, rest);
  EXPECT_EQ(parts, (std::vector<std::string>{"abcd", "efgh", "ijkl", "mnop"}));
  EXPECT_EQ(rest, "q");
}

TEST(PartSplitter, ShortStreamStaysBuffered) {
  std::string rest;
  auto parts = split(10, {"abc", "", "de"}, rest);
  EXPECT_TRUE(parts.empty());
  EXPECT_EQ(rest, "abcde");
}

TEST(PartSplitter, ExactMultipleLeavesNothing) {
  std::string rest;
  auto parts = split(3, {"abcdef"}, rest);
  EXPECT_EQ(parts, (std::vector<std::string>{"abc", "def"}));
  EXPECT_EQ(rest, "");
}

TEST(PartSplitter, ExceptionFromPartPropagates) {
  PartSplitter splitter(2, [](int, std::span<const char>) { throw std::runtime_error("boom"); });
  EXPECT_THROW(splitter.feed(std::span<const char>("abc", 3)), std::runtime_error);
}

TEST(Multipart, PartSizeGrowsToFitTenThousandParts) {
  EXPECT_EQ(part_size_for(6ULL << 30, k_default_part_size), k_default_part_size);
  std::uint64_t huge = 5ULL << 40;  // 5 TiB, S3's largest object
  std::uint64_t size = part_size_for(huge, k_default_part_size);
  EXPECT_GE(size * k_max_parts, huge);
  EXPECT_LE(size, k_max_part_size);
}

TEST(Multipart, CompleteXmlListsPartsInOrder) {
  EXPECT_EQ(complete_multipart_xml({{1, "\"a1\""}, {2, "\"b&2\""}}),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;a1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;b&amp;2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(Multipart, XmlElement) {
  const char* xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult><Bucket>b</Bucket>"
      "<Key>k</Key><UploadId>VXBsb2FkIElE.x-y_z&amp;1</UploadId></InitiateMultipartUploadResult>";
  EXPECT_EQ(xml_element(xml, "UploadId"), "VXBsb2FkIElE.x-y_z&1");
  EXPECT_EQ(xml_element(xml, "Bucket"), "b");
  EXPECT_EQ(xml_element(xml, "Missing"), std::nullopt);
  EXPECT_EQ(xml_element("<UploadId>open", "UploadId"), std::nullopt);
}

}  // namespace
}  // namespace ciutils::fetch
