#include "ciutils/atomic_file.h"

#include "ciutils/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <random>
#include <unistd.h>

namespace ciutils {

namespace {

std::string random_suffix() {
  static constexpr char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::uniform_int_distribution<int> pick(0, sizeof(chars) - 2);
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += chars[pick(rd)];
  }
  return out;
}

void fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path target) : m_target(std::move(target)) {
  if (m_target == "-") {
    m_stdout = true;
    return;
  }
  auto dir = m_target.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  m_temp = dir / ("." + m_target.filename().string() + ".tmp-" + random_suffix());
  m_out.open(m_temp, std::ios::binary | std::ios::trunc);
  if (!m_out) {
    throw UsageError(m_target.string() + ": cannot write: " + std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() {
  if (!m_stdout && !m_committed) {
    m_out.close();
    std::error_code ec;
    std::filesystem::remove(m_temp, ec);
  }
}

std::ostream& AtomicFile::stream() { return m_stdout ? std::cout : m_out; }

void AtomicFile::commit() {
  if (m_stdout) {
    std::cout.flush();
    m_committed = true;
    return;
  }
  m_out.flush();
  bool ok = static_cast<bool>(m_out);
  m_out.close();
  if (!ok || m_out.fail()) {
    throw UsageError(m_target.string() + ": write failed (disk full?)");
  }
  fsync_path(m_temp, O_RDONLY);
  if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
    throw UsageError(m_target.string() + ": cannot publish: " + std::strerror(errno));
  }
  m_committed = true;
  auto dir = m_target.parent_path();
  fsync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicFile file(path);
  file.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  file.commit();
}

}  // namespace ciutils
