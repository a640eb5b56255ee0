#include "zip_listing.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

namespace ciutils::fetch {
namespace {

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::string local_header(const std::string& name, std::uint32_t size, const std::string& extra = "") {
  std::string h;
  put(h, 0x04034b50, 4);
  put(h, 20, 2);
  put(h, 0, 2);  // flags
  put(h, 0, 2);  // stored
  put(h, 0, 4);
  put(h, 0, 4);
  put(h, size, 4);
  put(h, size, 4);
  put(h, name.size(), 2);
  put(h, extra.size(), 2);
  return h + name + extra;
}

TEST(ZipListing, FindsTheHeaderEndingWhereTheReaderStopped) {
  std::string stream = "PK\3\4junk" + local_header("a.txt", 2, std::string("PK\3\4", 4)) + "hi";
  std::uint64_t end = stream.size() - 2;
  auto found = find_zip_local_header(stream, 0, end, false);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, 8u);
  EXPECT_EQ(found->data_start, end);
  EXPECT_EQ(found->name, "a.txt");
  // The same bytes seen through a window that starts later.
  auto later = find_zip_local_header(std::string_view(stream).substr(4), 4, end, false);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->offset, 8u);
  // A stored symlink's target is read with its header.
  auto with_data = find_zip_local_header(stream, 0, stream.size(), true);
  ASSERT_TRUE(with_data);
  EXPECT_EQ(with_data->offset, 8u);
  EXPECT_FALSE(find_zip_local_header(stream, 0, end - 1, false));
  EXPECT_FALSE(find_zip_local_header(stream, 0, stream.size() + 1, false));
}

ZipDirectory directory_of(std::vector<ZipCentralEntry> entries, std::uint64_t offset) {
  ZipDirectory d;
  d.entry_count = entries.size();
  d.offset = offset;
  d.complete = true;
  d.entries = std::move(entries);
  return d;
}

TEST(ZipListing, AcceptsTheSameListing) {
  std::vector<ZipLocalEntry> local{{0, 35, 0, "a.txt", 2}, {37, 72, 8, "b.txt", 3}};
  // b.txt's 3 bytes are followed by a 16-byte data descriptor.
  auto d = directory_of({{"a.txt", std::nullopt, 0, 2, 2, 0}, {"b.txt", std::nullopt, 37, 3, 3, 0}}, 72 + 3 + 16);
  EXPECT_NO_THROW(check_zip_listing(local, d));
}

std::string refusal(const std::vector<ZipLocalEntry>& local, const ZipDirectory& d) {
  try {
    check_zip_listing(local, d);
  } catch (const IntegrityError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(ZipListing, RefusesEveryDisagreement) {
  std::vector<ZipLocalEntry> local{{0, 35, 0, "a.txt", 2}, {37, 77, 0, "evilpayload", 3}};
  ZipCentralEntry a{"a.txt", std::nullopt, 0, 2, 2, 0};
  ZipCentralEntry b{"evilpayload", std::nullopt, 37, 3, 3, 0};
  EXPECT_EQ(refusal(local, directory_of({a, b}, 80)), "accepted");
  ZipCentralEntry renamed = b;
  renamed.name = "a.txt";
  EXPECT_EQ(refusal(local, directory_of({a, renamed}, 80)),
            "zip central directory: entry 2 ('a.txt') is 'evilpayload' in the archive's local header");
  ZipCentralEntry moved = b;
  moved.local_offset = 50;
  EXPECT_EQ(refusal(local, directory_of({a, moved}, 80)),
            "zip central directory: entry 2 ('evilpayload') is at offset 50 in the directory, at 37 in the archive");
  ZipCentralEntry bigger = b;
  bigger.uncompressed_size = bigger.compressed_size = 4;
  EXPECT_EQ(refusal(local, directory_of({a, bigger}, 81)),
            "zip central directory: entry 2 ('evilpayload') has 4 bytes in the directory, 3 in the archive");
  EXPECT_EQ(refusal(local, directory_of({a}, 80)), "zip central directory: lists 1 entries, the archive holds 2");
  // Bytes between the end of a's data and b's header: hidden data without a descriptor.
  ZipCentralEntry shorter = a;
  shorter.compressed_size = shorter.uncompressed_size = 1;
  local[0].size = 1;
  EXPECT_EQ(refusal(local, directory_of({shorter, b}, 80)),
            "zip central directory: entry 1 ('a.txt') has 1 compressed bytes in the directory, which do not end "
            "where the next entry starts");
  local[0].size = 2;
  std::vector<ZipLocalEntry> late{{4, 39, 0, "a.txt", 2}};
  EXPECT_EQ(refusal(late, directory_of({{"a.txt", std::nullopt, 4, 2, 2, 0}}, 41)),
            "zip central directory: the archive does not start with its first entry");
}

}  // namespace
}  // namespace ciutils::fetch
