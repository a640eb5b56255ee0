#include "pack.h"
#include "pack_stream.h"

#include "ciutils/sha256.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {
namespace {

namespace fs = std::filesystem;

class PackTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/fetch-pack-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    m_dir = pattern;
    fs::create_directories(m_dir / "b" / "c");
    std::ofstream(m_dir / "b" / "c" / "z.txt") << "zeta\n";
    std::ofstream(m_dir / "a.txt") << std::string(100000, 'a');
    fs::create_symlink("b/c/z.txt", m_dir / "link");
    ASSERT_EQ(mkfifo((m_dir / "fifo").c_str(), 0600), 0);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  std::string pack() {
    std::string out;
    pack_directory(m_dir, [&](std::span<const char> data) { out.append(data.data(), data.size()); });
    return out;
  }

  fs::path m_dir;
};

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

TEST_F(PackTest, SortedEntriesSymlinksStoredSpecialFilesSkipped) {
  std::string bytes = pack();
  ASSERT_GT(bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);  // gzip
  std::unique_ptr<archive, ReadFree> in(archive_read_new());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_format_tar(in.get());
  ASSERT_EQ(archive_read_open_memory(in.get(), bytes.data(), bytes.size()), ARCHIVE_OK);
  std::vector<std::string> names;
  std::map<std::string, std::string> links;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(in.get(), &entry) == ARCHIVE_OK) {
    names.emplace_back(archive_entry_pathname(entry));
    EXPECT_EQ(archive_entry_uid(entry), 0);
    if (archive_entry_symlink(entry)) links[names.back()] = archive_entry_symlink(entry);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "b/", "b/c/", "b/c/z.txt", "link"}));
  EXPECT_EQ(links["link"], "b/c/z.txt");
}

TEST_F(PackTest, SameTreePacksToTheSameBytes) {
  std::string first = pack();
  ASSERT_GT(first.size(), 8u);
  EXPECT_EQ(first.substr(4, 4), std::string(4, '\0'));  // no gzip header timestamp
  EXPECT_EQ(sha256_hex(first), sha256_hex(pack()));
}

TEST_F(PackTest, SinkErrorsPropagate) {
  EXPECT_THROW(pack_directory(m_dir, [](std::span<const char>) { throw ServiceError("sink failed"); }), ServiceError);
}

TEST_F(PackTest, MissingDirectoryIsAUsageError) {
  EXPECT_THROW(pack_directory(m_dir / "nope", [](std::span<const char>) {}), UsageError);
}

TEST_F(PackTest, StreamReadsTheSameBytesThroughASmallBuffer) {
  std::string expected = pack();
  PackStream stream(m_dir, 1000);
  std::string got;
  char buffer[777];
  while (std::size_t n = stream.read(buffer, sizeof buffer)) got.append(buffer, n);
  EXPECT_TRUE(stream.finish());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(stream.bytes(), expected.size());
  EXPECT_EQ(stream.sha256(), sha256_hex(expected));
}

TEST_F(PackTest, StreamAbandonedMidwayStopsThePacker) {
  PackStream stream(m_dir, 100);
  char buffer[10];
  EXPECT_EQ(stream.read(buffer, sizeof buffer), sizeof buffer);
  EXPECT_FALSE(stream.finish());
}

TEST_F(PackTest, StreamRethrowsThePackersError) {
  PackStream stream(m_dir / "nope");
  char buffer[10];
  EXPECT_THROW(stream.read(buffer, sizeof buffer), UsageError);
}

}  // namespace
}  // namespace ciutils::fetch
