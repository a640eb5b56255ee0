#include "zip_directory.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

namespace ciutils::fetch {
namespace {

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// A stored zip with one entry "a.sh" (Unix mode 0100755) holding "hi".
std::string tiny_zip() {
  std::string zip;
  put(zip, 0x04034b50, 4);
  put(zip, 10, 2);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 0, 4);
  put(zip, 0, 4);  // crc (not checked here)
  put(zip, 2, 4);
  put(zip, 2, 4);
  put(zip, 4, 2);
  put(zip, 0, 2);
  zip += "a.sh";
  zip += "hi";
  std::size_t directory = zip.size();
  put(zip, 0x02014b50, 4);
  put(zip, (3 << 8) | 20, 2);  // made by Unix
  put(zip, 10, 2);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 0, 4);
  put(zip, 0, 4);
  put(zip, 2, 4);
  put(zip, 2, 4);
  put(zip, 4, 2);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 0100755u << 16, 4);
  put(zip, 0, 4);
  zip += "a.sh";
  std::size_t size = zip.size() - directory;
  put(zip, 0x06054b50, 4);
  put(zip, 0, 2);
  put(zip, 0, 2);
  put(zip, 1, 2);
  put(zip, 1, 2);
  put(zip, size, 4);
  put(zip, directory, 4);
  put(zip, 0, 2);
  return zip;
}

TEST(ZipDirectory, ParsesNamesAndModes) {
  std::string zip = tiny_zip();
  ZipDirectory directory = parse_zip_directory(zip, zip.size());
  ASSERT_TRUE(directory.complete);
  ASSERT_EQ(directory.entries.size(), 1u);
  EXPECT_EQ(directory.entries[0].name, "a.sh");
  EXPECT_EQ(*directory.entries[0].unix_mode, 0100755u);
}

TEST(ZipDirectory, TailOnlyChecksTheEndRecord) {
  std::string zip = tiny_zip();
  std::string tail = zip.substr(zip.size() - 22);
  ZipDirectory directory = parse_zip_directory(tail, zip.size());
  EXPECT_FALSE(directory.complete);
  EXPECT_EQ(directory.entry_count, 1u);
}

TEST(ZipDirectory, RefusesDamage) {
  std::string zip = tiny_zip();
  std::string bad = zip;
  bad[36] = 'X';  // the central header's signature
  EXPECT_THROW(parse_zip_directory(bad, bad.size()), IntegrityError);
  std::string cut = zip.substr(0, zip.size() - 3);
  EXPECT_THROW(parse_zip_directory(cut, cut.size()), IntegrityError);
  std::string longer = "junk" + zip;  // offsets no longer match
  EXPECT_THROW(parse_zip_directory(longer, longer.size()), IntegrityError);
}

TEST(ZipDirectory, RefusesALocalHeaderPastTheDirectory) {
  std::string zip = tiny_zip();
  zip[36 + 42] = 36;  // the entry's local header offset: the directory's own start
  try {
    parse_zip_directory(zip, zip.size());
    FAIL() << "accepted";
  } catch (const IntegrityError& e) {
    EXPECT_STREQ(e.what(), "zip central directory: entry 1 points past the directory");
  }
}

}  // namespace
}  // namespace ciutils::fetch
