// The staging area beside the destination (same filesystem), removed on every failure
// path, and the atomic publish by rename.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ciutils::fetch {

// Removes path and everything below it without following symlinks, making directories
// writable where needed. Best effort; returns false when something was left.
bool remove_tree(const std::filesystem::path& path) noexcept;

// Throws UsageError "-o: '<dest>' already exists (use --replace)" unless replace.
void check_destination(const std::filesystem::path& destination, bool replace);

// Removes the staging areas that fetch processes which are gone (killed with SIGKILL, a
// crashed machine) left in destination's parent; returns their names. Each staging name
// carries its owner's pid and start time, so a live fetch's area is never touched.
std::vector<std::string> remove_stale_staging(const std::filesystem::path& destination);

class Staging {
public:
  enum class Kind { directory, file };
  // Creates ".<name>.fetch-<pid>.<start time>-XXXXXX" beside destination (and destination's
  // missing parents).
  Staging(const std::filesystem::path& destination, Kind kind);
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // Empties the staging area for a fresh attempt.
  void reset();
  // Renames the staging area to the destination: refuses an existing destination unless
  // replace, in which case the old one is swapped out atomically and then removed.
  void publish(bool replace);

private:
  std::filesystem::path m_destination;
  std::filesystem::path m_path;
  Kind m_kind;
  bool m_published = false;
};

}  // namespace ciutils::fetch
