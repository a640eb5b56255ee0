#include "entry_path.h"

#include <ciutils/error.h>

#include <gtest/gtest.h>

namespace ciutils::fetch {
namespace {

std::string message_of(auto&& fn) {
  try {
    fn();
  } catch (const IntegrityError& e) {
    return e.what();
  }
  return "";
}

TEST(EntryParts, NormalisesHarmlessForms) {
  EXPECT_EQ(entry_parts("a/b/c"), (PathParts{"a", "b", "c"}));
  EXPECT_EQ(entry_parts("./a//b/./c/"), (PathParts{"a", "b", "c"}));
  EXPECT_EQ(entry_parts("dir/"), (PathParts{"dir"}));
  EXPECT_EQ(entry_parts("a..b/..c"), (PathParts{"a..b", "..c"}));
}

TEST(EntryParts, RefusesEscapes) {
  EXPECT_EQ(message_of([] { entry_parts("../evil"); }), "entry '../evil': path escapes the destination ('..')");
  EXPECT_EQ(message_of([] { entry_parts("a/../../evil"); }),
            "entry 'a/../../evil': path escapes the destination ('..')");
  EXPECT_EQ(message_of([] { entry_parts("/etc/passwd"); }), "entry '/etc/passwd': absolute path");
  EXPECT_EQ(message_of([] { entry_parts(""); }), "entry '': empty name");
  EXPECT_EQ(message_of([] { entry_parts("./"); }), "entry './': empty path");
  EXPECT_EQ(message_of([] { entry_parts("a/" + std::string(256, 'x')); }).substr(0, 12), "entry 'a/xxx");
}

TEST(StripParts, DropsLeadingComponents) {
  EXPECT_EQ(strip_parts({"top", "a", "b"}, 1), (PathParts{"a", "b"}));
  EXPECT_EQ(strip_parts({"top"}, 1), std::nullopt);
  EXPECT_EQ(strip_parts({"a"}, 0), (PathParts{"a"}));
  EXPECT_EQ(join_parts({"a", "b"}), "a/b");
}

TEST(SymlinkTarget, AllowsInsideTargets) {
  EXPECT_NO_THROW(check_symlink_target({"link"}, "file", "link"));
  EXPECT_NO_THROW(check_symlink_target({"d", "link"}, "../file", "d/link"));
  EXPECT_NO_THROW(check_symlink_target({"d", "e", "link"}, "../../x/./y", "d/e/link"));
  EXPECT_NO_THROW(check_symlink_target({"link"}, "./sub/file", "link"));
}

TEST(SymlinkTarget, RefusesOutsideTargets) {
  EXPECT_EQ(message_of([] { check_symlink_target({"etc"}, "/etc", "etc"); }),
            "entry 'etc': symlink target '/etc' is absolute");
  EXPECT_EQ(message_of([] { check_symlink_target({"link"}, "..", "link"); }),
            "entry 'link': symlink target '..' points outside the destination");
  EXPECT_EQ(message_of([] { check_symlink_target({"d", "link"}, "../../x", "d/link"); }),
            "entry 'd/link': symlink target '../../x' points outside the destination");
  // d/l -> ".." is the root; "l/../.." looks harmless lexically but climbs out through l.
  EXPECT_EQ(message_of([] { check_symlink_target({"d", "t"}, "l/../..", "d/t"); }),
            "entry 'd/t': symlink target 'l/../..' uses '..' after a directory name");
  EXPECT_EQ(message_of([] { check_symlink_target({"l"}, "", "l"); }), "entry 'l': empty symlink target");
}

TEST(EntryFilter, IncludeThenExcludeOnPathsAndTheirDirectories) {
  EntryFilter all;
  EXPECT_TRUE(all.selects({"a", "b"}));
  EntryFilter f{{"suite/bin", "*.json"}, {"*/secret*"}};
  EXPECT_TRUE(f.selects({"suite", "bin", "run.sh"}));
  EXPECT_TRUE(f.selects({"suite", "conf", "plan.json"}));
  EXPECT_FALSE(f.selects({"suite", "data", "blob.bin"}));
  EXPECT_FALSE(f.selects({"suite", "bin", "secret.key"}));
  EntryFilter out{{}, {"suite/data"}};
  EXPECT_FALSE(out.selects({"suite", "data", "deep", "x"}));
  EXPECT_TRUE(out.selects({"suite", "database"}));
}

}  // namespace
}  // namespace ciutils::fetch

TEST(EntryPath, RootDirectoryNames) {
  using ciutils::fetch::names_root;
  EXPECT_TRUE(names_root("./"));
  EXPECT_TRUE(names_root("."));
  EXPECT_TRUE(names_root(".//./"));
  EXPECT_FALSE(names_root("/"));
  EXPECT_FALSE(names_root(""));
  EXPECT_FALSE(names_root("./a"));
  EXPECT_FALSE(names_root(".."));
}
