#include "tree_record.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace ciutils::fetch {
namespace {

const std::string k_hash_a(64, 'a');

TreeRecord sample() {
  TreeRecord r;
  r.destination = "/work/suite";
  r.sha256 = std::string(64, 'f');
  r.strip_components = 1;
  r.stamp_ctime_ns = 2000;
  r.device = 64769;
  r.root = {"", S_IFDIR | 0755, 4096, 900, 1500, 11, ""};
  r.entries = {
      {"a.txt", S_IFREG | 0644, 3, 100, 1000, 12, ""},
      {"bin", S_IFDIR | 0755, 4096, 100, 1000, 13, ""},
      {"bin/link", S_IFLNK | 0777, 8, 100, 1000, 14, "../a.txt"},
      {"bin/run.sh", S_IFREG | 0755, 19, 100, 1000, 15, ""},
  };
  r.manifest.entry_count = 5;
  r.manifest.unpacked_bytes = 22;
  r.manifest.entries = {{"a.txt", "file", 3, 0644, k_hash_a, ""},
                        {"bin/link", "symlink", 0, 0777, "", "../a.txt"},
                        {"bin/run.sh", "file", 19, 0755, std::string(64, 'b'), ""}};
  return r;
}

std::optional<std::string> no_hash(const std::string&) {
  ADD_FAILURE() << "no file should be hashed";
  return std::nullopt;
}

TEST(TreeRecord, RoundTripsThroughJson) {
  TreeRecord r = sample();
  r.entries[0].inode = 18446744073709551000ULL;  // beyond int64
  r.entries[0].path = "a\"b\\c\nd\xff";  // file names are bytes
  r.manifest.entries[0].path = r.entries[0].path;
  r.entries[2].target = "t\x01\xfe";
  auto back = parse_tree_record(tree_record_json(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->destination, r.destination);
  EXPECT_EQ(back->sha256, r.sha256);
  EXPECT_EQ(back->strip_components, 1);
  EXPECT_EQ(back->stamp_ctime_ns, 2000);
  EXPECT_EQ(back->device, 64769u);
  EXPECT_EQ(back->root, r.root);
  EXPECT_EQ(back->entries, r.entries);
  EXPECT_EQ(back->manifest.entry_count, 5u);
  EXPECT_EQ(back->manifest.unpacked_bytes, 22u);
  ASSERT_EQ(back->manifest.entries.size(), 3u);
  EXPECT_EQ(back->manifest.entries[0].path, r.entries[0].path);
  EXPECT_EQ(back->manifest.entries[1].target, "../a.txt");
  EXPECT_EQ(back->manifest.entries[2].mode, 0755u);
  EXPECT_EQ(back->manifest.entries[2].sha256, std::string(64, 'b'));
}

TEST(TreeRecord, DamagedTextIsAMiss) {
  std::string text = tree_record_json(sample());
  EXPECT_FALSE(parse_tree_record(""));
  EXPECT_FALSE(parse_tree_record("garbage"));
  EXPECT_FALSE(parse_tree_record(text.substr(0, text.size() / 2)));
  EXPECT_FALSE(parse_tree_record("{\"version\":1}"));
  EXPECT_FALSE(parse_tree_record("[]"));
  std::string other_version = text;
  other_version.replace(other_version.find("\"version\":1"), 11, "\"version\":9");
  EXPECT_FALSE(parse_tree_record(other_version));
  std::string bad_type = text;
  bad_type.replace(bad_type.find("\"device\":64769"), 14, "\"device\":\"x\"");
  EXPECT_FALSE(parse_tree_record(bad_type));
  TreeRecord unsorted = sample();
  std::swap(unsorted.entries[0], unsorted.entries[1]);
  EXPECT_FALSE(parse_tree_record(tree_record_json(unsorted)));
}

TEST(TreeDifference, UnchangedTreeIsUpToDate) {
  TreeRecord r = sample();
  EXPECT_EQ(tree_difference(r, r.root, r.entries, no_hash), std::nullopt);
}

TEST(TreeDifference, NamesTheFirstDifference) {
  TreeRecord r = sample();
  auto with = [&](auto change) {
    auto now = r.entries;
    change(now);
    return tree_difference(r, r.root, now, no_hash).value_or("");
  };
  EXPECT_EQ(with([](auto& n) { n.erase(n.begin()); }), "'a.txt' is missing");
  EXPECT_EQ(with([](auto& n) { n.push_back({"zz", S_IFREG | 0644, 0, 1, 1, 99, ""}); }), "'zz' was added");
  EXPECT_EQ(with([](auto& n) { n.insert(n.begin() + 1, {"b", S_IFREG | 0644, 0, 1, 1, 99, ""}); }), "'b' was added");
  EXPECT_EQ(with([](auto& n) { n[0].mode = S_IFREG | 0600; }), "'a.txt': mode changed");
  EXPECT_EQ(with([](auto& n) { n[0].mode = S_IFLNK | 0644; }), "'a.txt': type changed");
  EXPECT_EQ(with([](auto& n) { n[0].size = 4; }), "'a.txt': size changed");
  EXPECT_EQ(with([](auto& n) { n[0].mtime_ns = 101; }), "'a.txt': mtime changed");
  EXPECT_EQ(with([](auto& n) { n[0].ctime_ns = 1001; }), "'a.txt': ctime changed");
  EXPECT_EQ(with([](auto& n) { n[0].inode = 77; }), "'a.txt': inode changed");
  EXPECT_EQ(with([](auto& n) { n[2].target = "../b.txt"; }), "'bin/link': symlink target changed");
  TreeEntry root = r.root;
  root.ctime_ns = 1501;
  EXPECT_EQ(tree_difference(r, root, r.entries, no_hash), "the destination itself: ctime changed");
}

TEST(TreeDifference, RacyFilesAreCheckedByContent) {
  TreeRecord r = sample();
  r.stamp_ctime_ns = 1000;  // every entry was changed at the stamp's time: racy
  std::vector<std::string> hashed;
  auto same = [&](const std::string& path) -> std::optional<std::string> {
    hashed.push_back(path);
    return path == "a.txt" ? k_hash_a : std::string(64, 'b');
  };
  EXPECT_EQ(tree_difference(r, r.root, r.entries, same), std::nullopt);
  EXPECT_EQ(hashed, (std::vector<std::string>{"a.txt", "bin/run.sh"}));  // regular files only
  auto changed = [](const std::string& path) -> std::optional<std::string> {
    return path == "a.txt" ? k_hash_a : std::string(64, 'c');
  };
  EXPECT_EQ(tree_difference(r, r.root, r.entries, changed), "'bin/run.sh': content changed");
  auto unreadable = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(tree_difference(r, r.root, r.entries, unreadable), "'a.txt': content changed");
  r.manifest.entries.erase(r.manifest.entries.begin());
  EXPECT_EQ(tree_difference(r, r.root, r.entries, same), "'a.txt' is not in the manifest");
}

TEST(TreeDifference, TheLastManifestEntryOfAPathWins) {
  TreeRecord r = sample();
  r.stamp_ctime_ns = 1000;
  r.manifest.entries.insert(r.manifest.entries.begin(), {"a.txt", "file", 3, 0644, std::string(64, 'x'), ""});
  auto hash = [](const std::string& path) -> std::optional<std::string> {
    return path == "a.txt" ? k_hash_a : std::string(64, 'b');
  };
  EXPECT_EQ(tree_difference(r, r.root, r.entries, hash), std::nullopt);
}

}  // namespace
}  // namespace ciutils::fetch
