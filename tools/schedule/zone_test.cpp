#include "zone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ciutils::schedule {
namespace {

const std::vector<std::string> k_system{"/usr/share/zoneinfo"};

// Zones with the odd cases: southern-hemisphere DST, 30-minute DST, negative DST, a skipped
// day, DST abolished, no DST at all.
const char* const k_zones[] = {"Europe/Berlin",     "America/New_York", "Australia/Lord_Howe",
                               "Europe/Dublin",     "Pacific/Apia",     "America/Sao_Paulo",
                               "Asia/Kolkata",      "Africa/Casablanca", "UTC",
                               "America/St_Johns"};

// Zone answers what the date library's own reading of /usr/share/zoneinfo answers, for
// every quarter hour of local and UTC time around each transition from 1990 to 2037.
TEST(Zone, AgreesWithTheDateLibraryAroundEveryTransition) {
  using namespace std::chrono;
  for (const char* name : k_zones) {
    auto zone = load_zone(name, k_system);
    ASSERT_TRUE(zone) << name;
    const date::time_zone* reference = date::locate_zone(name);
    auto t = date::sys_seconds(date::sys_days(date::year(1990) / 1 / 1));
    const auto end = date::sys_seconds(date::sys_days(date::year(2037) / 1 / 1));
    int checked = 0;
    while (t < end) {
      auto info = reference->get_info(t);
      for (auto around = info.begin - hours(26); around < info.begin + hours(26); around += minutes(15)) {
        auto ours = zone->get_info(around);
        auto theirs = reference->get_info(around);
        ASSERT_EQ(ours.offset, theirs.offset) << name << " at " << around.time_since_epoch().count();
        ASSERT_EQ(ours.abbrev, theirs.abbrev) << name << " at " << around.time_since_epoch().count();
        auto local = date::local_seconds(around.time_since_epoch());
        auto ours_local = zone->get_info(local);
        auto theirs_local = reference->get_info(local);
        ASSERT_EQ(ours_local.result, theirs_local.result) << name << " at local " << local.time_since_epoch().count();
        ASSERT_EQ(ours_local.first.offset, theirs_local.first.offset) << name << " at local " << local.time_since_epoch().count();
        if (theirs_local.result != date::local_info::unique) {
          ASSERT_EQ(ours_local.second.offset, theirs_local.second.offset) << name;
          ASSERT_EQ(ours_local.second.begin, theirs_local.second.begin) << name << " at local " << local.time_since_epoch().count();
        }
        ASSERT_EQ(zone->to_local(around), reference->to_local(around)) << name;
        ++checked;
      }
      if (info.end >= end) break;
      t = info.end;
    }
    EXPECT_GT(checked, 0) << name;
  }
}

TEST(Zone, NamesThatAreNotZonesAreRefused) {
  for (const char* name : {"", "/etc/passwd", "../zoneinfo/UTC", "Europe/../UTC", "Europe//Berlin", "Europe/Berlin ",
                           "Mars/Olympus", "zone.tab", "Europe"}) {
    EXPECT_FALSE(load_zone(name, k_system)) << name;
  }
}

TEST(Zone, TruncatedOrForeignDataIsRefused) {
  std::ifstream file("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(Zone::parse("Europe/Berlin", data));
  EXPECT_FALSE(Zone::parse("x", data.substr(0, 60)));
  EXPECT_FALSE(Zone::parse("x", data.substr(0, data.size() / 2)));
  EXPECT_FALSE(Zone::parse("x", "TZjf" + data.substr(4)));
  EXPECT_FALSE(Zone::parse("x", ""));
}

TEST(Zone, TheFirstDirectoryHoldingTheZoneWins) {
  auto dir = std::filesystem::temp_directory_path() / ("zone_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "Europe");
  // A copy of Tokyo under Berlin's name: found first, so its offset (+09) is the answer.
  std::filesystem::copy_file("/usr/share/zoneinfo/Asia/Tokyo", dir / "Europe/Berlin");
  auto zone = load_zone("Europe/Berlin", {dir.string(), "/usr/share/zoneinfo"});
  ASSERT_TRUE(zone);
  EXPECT_EQ(zone->get_info(date::sys_seconds{}).offset, std::chrono::hours(9));
  auto fallback = load_zone("America/New_York", {dir.string(), "/usr/share/zoneinfo"});
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->get_info(date::sys_seconds{}).offset, -std::chrono::hours(5));
  std::filesystem::remove_all(dir);
}

TEST(Zone, DirectoriesStartWithTzdir) {
  setenv("TZDIR", "/opt/zones", 1);
  auto dirs = zone_directories();
  unsetenv("TZDIR");
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(dirs.front(), "/opt/zones");
  EXPECT_EQ(dirs.back(), "/usr/share/zoneinfo");
  EXPECT_NE(dirs[1].find("/../share/zoneinfo"), std::string::npos);
}

}  // namespace
}  // namespace ciutils::schedule
