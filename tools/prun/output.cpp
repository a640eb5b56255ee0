#include "output.h"

#include "ciutils/timestamp.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

namespace ciutils::prun {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      return;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void LineTagger::append_line(std::string& out, std::string_view line) {
  if (m_timestamps) {
    out += format_utc(std::chrono::system_clock::now(), 3);
    out += ' ';
  }
  out += m_prefix;
  out += line;
  out += '\n';
}

std::string LineTagger::tag(std::string_view data) {
  std::string out;
  tag_into(out, data);
  return out;
}

void LineTagger::tag_into(std::string& out, std::string_view data) {
  out.clear();
  while (!data.empty()) {
    const void* nl = std::memchr(data.data(), '\n', data.size());
    if (nl == nullptr) {
      m_partial.append(data);
      if (m_partial.size() >= k_max_line) {
        append_line(out, m_partial);
        m_partial.clear();
      }
      break;
    }
    auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data());
    if (m_partial.empty()) {
      append_line(out, data.substr(0, len));
    } else {
      m_partial.append(data.substr(0, len));
      append_line(out, m_partial);
      m_partial.clear();
    }
    data.remove_prefix(len + 1);
  }
}

void LineTagger::feed(std::string_view data) {
  tag_into(m_out, data);
  if (!m_out.empty()) write_all(m_fd, m_out);
  if (m_out.capacity() > (4u << 20)) std::string().swap(m_out);
}

void LineTagger::finish() {
  if (m_partial.empty()) return;
  std::string out;
  append_line(out, m_partial);
  m_partial.clear();
  write_all(m_fd, out);
}

void Tail::append(std::string_view data) {
  if (m_limit == 0) return;
  if (data.size() >= m_limit) {
    m_data.assign(data.substr(data.size() - m_limit));
    return;
  }
  m_data.append(data);
  if (m_data.size() > 2 * m_limit) m_data.erase(0, m_data.size() - m_limit);
}

std::string Tail::str() const {
  if (m_data.size() <= m_limit) return m_data;
  return m_data.substr(m_data.size() - m_limit);
}

namespace {

std::string tag_prefix(const CaptureSettings& s) {
  return "[" + std::to_string(s.slot) + "/" + std::to_string(s.job) + "] ";
}

}  // namespace

JobCapture::JobCapture(const CaptureSettings& settings)
    : m_settings(settings),
      m_out_tail(settings.tail_bytes),
      m_err_tail(settings.tail_bytes),
      m_combined_tail(64 * 1024),
      m_out_tagger(1, tag_prefix(settings), settings.timestamps),
      m_err_tagger(2, tag_prefix(settings), settings.timestamps) {
  if (!settings.log_path.empty()) {
    int fd = ::open(settings.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), settings.log_path);
    m_log.reset(fd);
  }
}

void JobCapture::on_data(int stream, std::string_view data) {
  m_bytes += data.size();
  (stream == 1 ? m_out_tail : m_err_tail).append(data);
  m_combined_tail.append(data);
  if (m_log.valid()) write_all(m_log.get(), data);
  switch (m_settings.mode) {
    case OutputMode::tag:
      (stream == 1 ? m_out_tagger : m_err_tagger).feed(data);
      break;
    case OutputMode::ungroup:
      write_all(stream, data);
      break;
    case OutputMode::group:
      if (!m_spill.valid() && m_memory.size() + data.size() <= k_memory_limit) {
        m_memory.append(data);
        break;
      }
      if (!m_spill.valid()) {
        const char* dir = std::getenv("TMPDIR");
        std::string tmp = dir != nullptr && *dir != '\0' ? dir : "/tmp";
        int fd = ::open(tmp.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "temp file in " + tmp);
        m_spill.reset(fd);
        write_all(fd, m_memory);
        m_memory.clear();
        m_memory.shrink_to_fit();
      }
      write_all(m_spill.get(), data);
      break;
  }
}

void JobCapture::on_eof(int stream) {
  if (m_settings.mode == OutputMode::tag) (stream == 1 ? m_out_tagger : m_err_tagger).finish();
}

void JobCapture::replay(int fd) {
  if (!m_spill.valid()) {
    write_all(fd, m_memory);
    return;
  }
  ::lseek(m_spill.get(), 0, SEEK_SET);
  std::string buffer(1 << 16, '\0');
  while (true) {
    ssize_t n = ::read(m_spill.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    write_all(fd, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

std::string random_token() {
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string token = "prun-";
  for (int i = 0; i < 24; ++i) token += "0123456789abcdef"[digit(device)];
  return token;
}

std::string github_stop_commands(std::string_view token) { return "::stop-commands::" + std::string(token) + "\n"; }

std::string github_resume_commands(std::string_view token) { return "::" + std::string(token) + "::\n"; }

}  // namespace ciutils::prun
