// Outputs published atomically: written to a temp file beside the target, then renamed.
#pragma once

#include <filesystem>
#include <fstream>
#include <string_view>

namespace ciutils {

// Write to stream(), then commit(): fsync + rename over the target. Destroyed without
// commit (an exception, an early return), the temp file is removed and the target is
// untouched. A path of "-" writes to stdout instead (commit flushes it).
class AtomicFile {
public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream();
  void commit();

private:
  std::filesystem::path m_target;
  std::filesystem::path m_temp;
  std::ofstream m_out;
  bool m_stdout = false;
  bool m_committed = false;
};

// Writes content to path atomically. Throws UsageError "<path>: <reason>" when the
// directory is missing or unwritable.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

}  // namespace ciutils
