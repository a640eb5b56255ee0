// The downloaded bytes on their way to the consumer: hashed, counted, optionally copied
// into the cache, and shown as a progress bar. A reader thread receives, hashes and copies
// the bytes into the cache ahead of the consumer (a few chunks at most), so that work
// overlaps with the consumer's inflating and file writing.
#pragma once

#include "byte_source.h"
#include "ciutils/sha256.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace ciutils::fetch {

class Progress {
public:
  // When enabled: a bar on stderr when it is a terminal; else, when a CI system is detected
  // (CI, GITHUB_ACTIONS, GITLAB_CI, JENKINS_URL, BUILDKITE, TF_BUILD set), one line every
  // 10 s or 10%: bytes, rate and ETA.
  explicit Progress(bool enabled);
  ~Progress();
  void update(std::uint64_t done, std::optional<std::uint64_t> total);
  void finish();

private:
  void line(std::uint64_t done, std::optional<std::uint64_t> total);

  bool m_enabled;
  bool m_lines = false;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last{};
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
  int m_last_tenth = 0;
};

class DownloadStream {
public:
  // The reader thread starts at the first read().
  DownloadStream(ByteSource& source, std::uint64_t max_download, Progress* progress = nullptr, int tee_fd = -1);
  // Stops the reader thread (cancelling the source's transfer) and waits for it.
  ~DownloadStream();
  DownloadStream(const DownloadStream&) = delete;
  DownloadStream& operator=(const DownloadStream&) = delete;
  // The next chunk, valid until the next call; empty at the end. Rethrows what the source
  // (or the cache copy) threw.
  std::span<const char> read();
  // Reads and hashes whatever the consumer left unread (tar padding, a zip's central directory).
  void drain();
  // Bytes handed to the consumer so far.
  std::uint64_t bytes() const { return m_bytes; }
  // The download's whole size when the source announced it (Content-Length, file size).
  std::optional<std::uint64_t> expected_size() const { return m_expected; }
  // Whether copying into the cache (tee_fd) failed; the download goes on without it.
  bool tee_failed() const { return m_tee_failed; }
  const std::string& tee_error() const { return m_tee_error; }
  // The hash of every byte; call after read() returned the end.
  std::string sha256();
  // The first bytes, printable, for messages about content that is not an archive.
  std::string preview() const;
  // When the content is a zip (starts with "PK\3\4"), keep at least its last max bytes for tail().
  void keep_zip_tail(std::size_t max) { m_tail_max = max; }
  std::string_view tail() const { return m_tail; }

private:
  void produce();
  void stop();

  static constexpr std::size_t k_depth = 2;  // chunks read ahead

  ByteSource& m_source;
  Progress* m_progress;
  int m_tee_fd;
  std::uint64_t m_max_download;
  std::uint64_t m_bytes = 0;
  std::string m_head;
  std::string m_tail;
  std::size_t m_tail_max = 0;
  std::vector<char> m_current;
  std::optional<std::uint64_t> m_expected;

  // Shared with the reader thread (under m_mutex, except m_hash: the reader's until done).
  std::thread m_reader;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::vector<char>> m_ready;
  std::vector<std::vector<char>> m_spare;
  bool m_done = false;
  bool m_stopping = false;
  std::exception_ptr m_error;
  std::optional<std::uint64_t> m_size;
  Sha256 m_hash;
  bool m_tee_failed = false;  // the reader's until done
  std::string m_tee_error;
};

// Writes all of data to fd (EINTR and short writes handled); throws Error naming what,
// IntegrityError when the disk is full.
void write_all(int fd, const char* data, std::size_t size, const std::string& what);

}  // namespace ciutils::fetch
