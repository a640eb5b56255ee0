#include "spool.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ciutils::notify {
namespace {

TEST(ClaimName, RoundTrips) {
  auto name = claim_name("1700000000000000-42-0.json", "ci-runner-7", 4242, 1700000000123);
  EXPECT_EQ(name, "1700000000000000-42-0.json.claimed-ci-runner-7-4242-1700000000123");
  auto c = parse_claim_name(name);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->base, "1700000000000000-42-0.json");
  EXPECT_EQ(c->host, "ci-runner-7");
  EXPECT_EQ(c->pid, 4242);
  EXPECT_EQ(c->claimed_ms, 1700000000123);
}

TEST(ClaimName, RejectsOtherNames) {
  EXPECT_FALSE(parse_claim_name("1700-42-0.json"));
  EXPECT_FALSE(parse_claim_name(".claimed-host-1-2"));
  EXPECT_FALSE(parse_claim_name("a.json.claimed-host-x-2"));
  EXPECT_FALSE(parse_claim_name("a.json.claimed-host-1-"));
  EXPECT_FALSE(parse_claim_name("a.json.claimed-1-2"));
}

class DirectorySpool : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = std::filesystem::temp_directory_path() / ("notify-spool-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(m_dir);
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }
  std::size_t files() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(m_dir)) ++n;
    return n;
  }
  std::filesystem::path m_dir;
};

TEST_F(DirectorySpool, ClaimRemoveRelease) {
  auto spool = Spool::directory(m_dir);
  spool.push("{\"n\":1}");
  spool.push("{\"n\":2}");
  auto a = spool.claim();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "{\"n\":1}\n");
  EXPECT_TRUE(parse_claim_name(std::filesystem::path(a->id).filename().string()));
  // A second flush sees only the unclaimed entry, and no claim of a live flush.
  auto other = Spool::directory(m_dir);
  auto b = other.claim();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->text, "{\"n\":2}\n");
  EXPECT_FALSE(other.claim());
  EXPECT_TRUE(spool.remove(*a));
  other.release(*b);
  EXPECT_EQ(files(), 1u);
  EXPECT_EQ(spool.list().size(), 1u);
}

TEST_F(DirectorySpool, StaleClaimsAreTakenOver) {
  std::filesystem::create_directories(m_dir);
  // Claimed long ago by a live process (this one's parent): stale by age only.
  std::ofstream(m_dir / claim_name("1-1-0.json", "elsewhere", ::getppid(), 1000)) << "{\"n\":1}\n";
  auto recent = claim_name("2-1-0.json", "elsewhere", ::getppid(),
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
  std::ofstream(m_dir / recent) << "{\"n\":2}\n";
  auto spool = Spool::directory(m_dir);
  auto a = spool.claim();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "{\"n\":1}\n");
  EXPECT_EQ(a->home, (m_dir / "1-1-0.json").string());
  EXPECT_FALSE(spool.claim());  // the recent claim is left alone
  spool.release(*a);
  EXPECT_TRUE(std::filesystem::exists(m_dir / "1-1-0.json"));
}

}  // namespace
}  // namespace ciutils::notify
