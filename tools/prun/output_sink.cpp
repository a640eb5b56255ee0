#include "output_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace ciutils::prun {

namespace {

constexpr std::size_t k_file_chunk = 1 << 16;

}  // namespace

OutputSink::OutputSink(int fd) : m_fd(fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) return;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    int own = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (own >= 0) {
      m_own.reset(own);
      m_fd = own;
      return;
    }
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0) {
    m_restore_flags = flags;
  }
}

OutputSink::~OutputSink() {
  if (m_restore_flags >= 0) ::fcntl(m_fd, F_SETFL, m_restore_flags);
}

bool OutputSink::same_target(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  if (::fstat(a, &sa) != 0 || ::fstat(b, &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && !S_ISCHR(sa.st_mode);
}

void OutputSink::write(std::string_view data) {
  if (m_broken || data.empty()) return;
  if (m_queue.empty()) {
    while (!data.empty()) {
      ssize_t n = ::write(m_fd, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) {
        drop();
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (data.empty()) return;
  }
  if (!m_queue.empty() && !m_queue.back().file.valid() && m_queue.back().data.size() < k_file_chunk) {
    m_queue.back().data.append(data);
  } else {
    m_queue.push_back(Chunk{std::string(data), {}, 0, 0});
  }
  m_backlog += data.size();
}

void OutputSink::write_file(UniqueFd file, off_t end) {
  if (m_broken || end <= 0) return;
  m_queue.push_back(Chunk{{}, std::move(file), 0, end});
  if (m_queue.size() == 1) drain();
}

void OutputSink::drop() {
  m_broken = true;
  m_queue.clear();
  m_backlog = 0;
}

bool OutputSink::drain() {
  while (!m_queue.empty()) {
    Chunk& c = m_queue.front();
    std::string_view data = c.data;
    if (c.file.valid()) {
      if (c.offset >= c.end) {
        m_queue.pop_front();
        continue;
      }
      m_buffer.resize(k_file_chunk);
      auto want = static_cast<std::size_t>(std::min<off_t>(c.end - c.offset, k_file_chunk));
      ssize_t got = ::pread(c.file.get(), m_buffer.data(), want, c.offset);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {  // the spill file cannot be read back: skip it
        m_queue.pop_front();
        continue;
      }
      data = std::string_view(m_buffer.data(), static_cast<std::size_t>(got));
    }
    ssize_t n = ::write(m_fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    if (n < 0) {
      drop();
      return true;
    }
    auto written = static_cast<std::size_t>(n);
    if (c.file.valid()) {
      c.offset += static_cast<off_t>(written);
    } else {
      m_backlog -= written;
      if (written == c.data.size()) {
        m_queue.pop_front();
      } else {
        c.data.erase(0, written);
      }
    }
  }
  return true;
}

void OutputSink::on_writable() { drain(); }

}  // namespace ciutils::prun
