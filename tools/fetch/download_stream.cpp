#include "download_stream.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace ciutils::fetch {

Progress::Progress(bool enabled) : m_enabled(enabled && isatty(STDERR_FILENO)) {
  if (!enabled || m_enabled) return;
  for (const char* name : {"CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILDKITE", "TF_BUILD"}) {
    const char* value = std::getenv(name);
    if (value && *value && std::string_view(value) != "false" && std::string_view(value) != "0") m_lines = true;
  }
}

void Progress::line(std::uint64_t done, std::optional<std::uint64_t> total) {
  auto now = std::chrono::steady_clock::now();
  int tenth = total && *total > 0 ? static_cast<int>(std::min<std::uint64_t>(10, done * 10 / *total)) : 0;
  if (tenth <= m_last_tenth && now - m_last < std::chrono::seconds(10)) return;
  if (total && done >= *total && m_last_tenth >= 10) return;
  m_last = now;
  m_last_tenth = std::max(tenth, m_last_tenth);
  double seconds = std::chrono::duration<double>(now - m_start).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  char text[160];
  if (total && *total > 0) {
    double eta = rate > 0 ? static_cast<double>(*total - std::min(done, *total)) / rate : 0;
    std::snprintf(text, sizeof text, "fetch: %.1f/%.1f MiB (%d%%), %.1f MiB/s, ETA %.0fs\n",
                  static_cast<double>(done) / 1048576.0, static_cast<double>(*total) / 1048576.0,
                  static_cast<int>(done * 100 / *total), rate / 1048576.0, eta);
  } else {
    std::snprintf(text, sizeof text, "fetch: %.1f MiB, %.1f MiB/s\n", static_cast<double>(done) / 1048576.0,
                  rate / 1048576.0);
  }
  std::fputs(text, stderr);
}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done, std::optional<std::uint64_t> total) {
  if (m_lines) return line(done, total);
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

DownloadStream::~DownloadStream() { stop(); }

void DownloadStream::stop() {
  if (!m_reader.joinable()) return;
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_source.cancel();
  m_changed.notify_all();
  m_reader.join();
}

void DownloadStream::produce() {
  try {
    for (;;) {
      auto chunk = m_source.read();
      auto size = m_source.size();
      if (chunk.empty()) {
        std::lock_guard lock(m_mutex);
        m_size = size;
        m_done = true;
        break;
      }
      m_hash.update(chunk.data(), chunk.size());
      if (m_tee_fd >= 0 && !m_tee_failed) {
        try {
          write_all(m_tee_fd, chunk.data(), chunk.size(), "cache");
        } catch (const Error& e) {  // a full cache disk only costs the cache
          m_tee_failed = true;
          m_tee_error = e.what();
        }
      }
      std::vector<char> buffer;
      {
        std::lock_guard lock(m_mutex);
        if (!m_spare.empty()) {
          buffer = std::move(m_spare.back());
          m_spare.pop_back();
        }
      }
      buffer.assign(chunk.begin(), chunk.end());
      std::unique_lock lock(m_mutex);
      m_changed.wait(lock, [&] { return m_ready.size() < k_depth || m_stopping; });
      if (m_stopping) return;
      m_ready.push_back(std::move(buffer));
      m_size = size;
      lock.unlock();
      m_changed.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_error = std::current_exception();
    m_done = true;
  }
  m_changed.notify_all();
}

std::span<const char> DownloadStream::read() {
  if (!m_reader.joinable() && !m_done) m_reader = std::thread([this] { produce(); });
  std::optional<std::uint64_t> total;
  {
    std::unique_lock lock(m_mutex);
    if (!m_current.empty()) m_spare.push_back(std::move(m_current));
    m_current.clear();
    m_changed.wait(lock, [&] { return !m_ready.empty() || m_done; });
    if (!m_ready.empty()) {
      m_current = std::move(m_ready.front());
      m_ready.pop_front();
    } else if (m_error) {
      std::rethrow_exception(m_error);
    }
    total = m_size;
  }
  m_expected = total;
  m_changed.notify_all();
  std::span<const char> chunk(m_current.data(), m_current.size());
  if (!chunk.empty()) {
    m_bytes += chunk.size();
    if (m_max_download > 0 && m_bytes > m_max_download)
      throw IntegrityError("download exceeds --max-download " + std::to_string(m_max_download) + " bytes");
    if (m_head.size() < 64) m_head.append(chunk.data(), std::min<std::size_t>(64 - m_head.size(), chunk.size()));
    if (m_tail_max > 0 && m_head.starts_with(std::string_view("PK\3\4", 4))) {
      m_tail.append(chunk.data(), chunk.size());
      if (m_tail.size() > 2 * m_tail_max) m_tail.erase(0, m_tail.size() - m_tail_max);
    }
  }
  if (m_progress) m_progress->update(m_bytes, total);
  return chunk;
}

void DownloadStream::drain() {
  while (!read().empty()) {
  }
}

std::string DownloadStream::sha256() {
  {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_done || !m_reader.joinable(); });
  }
  if (m_reader.joinable()) m_reader.join();
  return m_hash.hex_digest();
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
