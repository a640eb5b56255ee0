#include "ciutils/atomic_file.h"

#include "ciutils/error.h"
#include "ciutils/json.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace ciutils;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  char tmpl[] = "/tmp/ciutils-atomic-XXXXXX";
  return fs::path(::mkdtemp(tmpl));
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(AtomicFile, PublishesOnlyOnCommit) {
  auto dir = temp_dir();
  auto target = dir / "out.xml";
  write_file_atomic(target, "old");
  {
    AtomicFile file(target);
    file.stream() << "new but abandoned";
    EXPECT_EQ(read_text_file(target), "old");
  }
  EXPECT_EQ(read_text_file(target), "old");
  EXPECT_EQ(entries(dir), 1u);  // no temp file left behind
  {
    AtomicFile file(target);
    file.stream() << "new";
    file.commit();
  }
  EXPECT_EQ(read_text_file(target), "new");
  EXPECT_EQ(entries(dir), 1u);
  fs::remove_all(dir);
}

TEST(AtomicFile, MissingDirectoryIsAUsageError) {
  try {
    write_file_atomic("/nonexistent-dir/out.xml", "x");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent-dir/out.xml: cannot write: No such file or directory");
  }
}
