#include "byte_source.h"

#include "signals.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ciutils::fetch {

namespace {

constexpr std::size_t k_file_chunk = 256 * 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string file_url_path(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  if (rest.starts_with("localhost/")) rest = rest.substr(9);
  if (rest.empty() || rest.front() != '/')
    throw UsageError("URL: file URLs must be file:///absolute/path, got '" + url + "'");
  std::string path;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() + 0 && hex_value(rest[i + 1]) >= 0 && hex_value(rest[i + 2]) >= 0) {
      path += static_cast<char>(hex_value(rest[i + 1]) * 16 + hex_value(rest[i + 2]));
      i += 2;
    } else {
      path += rest[i];
    }
  }
  return path;
}

FileSource::FileSource(const std::string& path, std::uint64_t offset) : m_path(path) {
  m_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0) throw UsageError("URL: cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (fstat(m_fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(m_fd);
    m_fd = -1;
    throw UsageError("URL: '" + path + "' is not a file");
  }
  if (S_ISREG(st.st_mode)) {
    m_size = static_cast<std::uint64_t>(st.st_size);
    if (offset > 0 && offset <= m_size && lseek(m_fd, static_cast<off_t>(offset), SEEK_SET) >= 0) m_offset = offset;
  }
  m_buffer.resize(k_file_chunk);
}

FileSource::~FileSource() {
  if (m_fd >= 0) ::close(m_fd);
}

std::span<const char> FileSource::read() {
  for (;;) {
    throw_if_interrupted();
    ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
    if (n >= 0) return {m_buffer.data(), static_cast<std::size_t>(n)};
    if (errno != EINTR) throw TransferError("read '" + m_path + "': " + std::strerror(errno), false);
  }
}

}  // namespace ciutils::fetch
