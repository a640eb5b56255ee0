// prun's stdout or stderr, written without ever blocking the event loop: what the reader
// does not take at once waits in a queue (bytes, or a job's spilled output by reference)
// that the loop writes out when poll() says the reader has room. The caller stops reading
// jobs' pipes while backlog() is over k_backlog_limit, so the queue stays bounded.
#pragma once

#include "ciutils/fd.h"

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace ciutils::prun {

class OutputSink {
public:
  static constexpr std::size_t k_backlog_limit = 1 << 20;
  // fd stays open and owned by the caller. A pipe, FIFO or terminal is reopened through
  // /proc with O_NONBLOCK (a description of our own: the shell's stays as it was); a
  // socket gets O_NONBLOCK set and restored at destruction; a regular file is written
  // directly (it never blocks).
  explicit OutputSink(int fd);
  ~OutputSink();
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  void write(std::string_view data);
  // Queues the bytes [0, end) of file (a job's spilled output); they are read as written.
  void write_file(UniqueFd file, off_t end);
  // Bytes queued in memory (files queued by reference do not count).
  std::size_t backlog() const { return m_backlog; }
  bool pending() const { return !m_queue.empty(); }
  // The descriptor to poll for POLLOUT while pending(), else -1.
  int poll_fd() const { return pending() ? m_fd : -1; }
  // Writes what the reader takes now (after POLLOUT).
  void on_writable();
  // Gives up on the reader: what is queued and everything written later is dropped.
  void drop();
  // Both descriptors reach the same pipe or file: share one sink so that order is kept.
  static bool same_target(int a, int b);

private:
  struct Chunk {
    std::string data;
    UniqueFd file;
    off_t offset = 0;
    off_t end = 0;
  };
  // Writes from the queue until it is empty or the reader is full; false on EAGAIN.
  bool drain();

  int m_fd;
  UniqueFd m_own;            // our non-blocking reopening, when there is one
  int m_restore_flags = -1;  // flags to put back on m_fd, when we changed them
  bool m_broken = false;     // EPIPE or another error: output is dropped from then on
  std::deque<Chunk> m_queue;
  std::size_t m_backlog = 0;
  std::string m_buffer;  // reading queued files
};

}  // namespace ciutils::prun
