#include "download_stream.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace ciutils::fetch {

Progress::Progress(bool enabled) : m_enabled(enabled && isatty(STDERR_FILENO)) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, std::optional<std::uint64_t> total) {
  if (!m_enabled || !total || *total == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (m_drawn && now - m_last < std::chrono::milliseconds(200) && done < *total) return;
  m_last = now;
  m_drawn = true;
  double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total));
  constexpr int k_width = 30;
  int filled = static_cast<int>(fraction * k_width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(k_width - filled), ' ');
  std::fprintf(stderr, "\r[%s] %3d%% %.1f/%.1f MiB", bar.c_str(), static_cast<int>(fraction * 100),
               static_cast<double>(done) / 1048576.0, static_cast<double>(*total) / 1048576.0);
  std::fflush(stderr);
}

void Progress::finish() {
  if (m_drawn) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    m_drawn = false;
  }
}

void write_all(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string message = what + ": " + std::strerror(errno);
      if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) throw IntegrityError(message);
      throw Error(ExitCode::tool_failed, message);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

DownloadStream::DownloadStream(ByteSource& source, std::uint64_t max_download, Progress* progress, int tee_fd)
    : m_source(source), m_progress(progress), m_tee_fd(tee_fd), m_max_download(max_download) {}

std::span<const char> DownloadStream::read() {
  auto chunk = m_source.read();
  if (!chunk.empty()) {
    m_hash.update(chunk.data(), chunk.size());
    m_bytes += chunk.size();
    if (m_max_download > 0 && m_bytes > m_max_download)
      throw IntegrityError("download exceeds --max-download " + std::to_string(m_max_download) + " bytes");
    if (m_head.size() < 64) m_head.append(chunk.data(), std::min<std::size_t>(64 - m_head.size(), chunk.size()));
    if (m_tail_max > 0 && m_head.starts_with(std::string_view("PK\3\4", 4))) {
      m_tail.append(chunk.data(), chunk.size());
      if (m_tail.size() > 2 * m_tail_max) m_tail.erase(0, m_tail.size() - m_tail_max);
    }
    if (m_tee_fd >= 0) write_all(m_tee_fd, chunk.data(), chunk.size(), "cache");
  }
  if (m_progress) {
    auto total = m_source.size();
    m_progress->update(m_bytes, total);
  }
  return chunk;
}

void DownloadStream::drain() {
  while (!read().empty()) {
  }
}

std::string DownloadStream::preview() const {
  std::string out;
  for (char c : m_head.substr(0, 40)) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    out += (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) ? c : '.';
  }
  return out;
}

}  // namespace ciutils::fetch
