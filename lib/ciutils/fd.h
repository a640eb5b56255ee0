// An owned file descriptor.
#pragma once

#include <string>
#include <utility>

namespace ciutils {

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return m_fd; }
  bool valid() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

// A pipe whose both ends are close-on-exec. Throws std::system_error.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
};
Pipe make_pipe();

// Sets O_NONBLOCK on fd. Throws std::system_error.
void set_nonblocking(int fd);

// The contents of a small file such as a /proc entry, at most about 1 MiB; empty when it
// cannot be opened (the process is gone, say).
std::string read_small_file(const std::string& path);

}  // namespace ciutils
