// The downloaded bytes on their way to the consumer: hashed, counted, optionally copied
// into the cache, and shown as a progress bar.
#pragma once

#include "byte_source.h"
#include "sha256.h"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace ciutils::fetch {

class Progress {
public:
  // Draws on stderr only when it is a terminal and enabled is true.
  explicit Progress(bool enabled);
  ~Progress();
  void update(std::uint64_t done, std::optional<std::uint64_t> total);
  void finish();

private:
  bool m_enabled;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last{};
};

class DownloadStream {
public:
  DownloadStream(ByteSource& source, std::uint64_t max_download, Progress* progress = nullptr, int tee_fd = -1);
  std::span<const char> read();
  // Reads and hashes whatever the consumer left unread (tar padding, a zip's central directory).
  void drain();
  std::uint64_t bytes() const { return m_bytes; }
  std::string sha256() { return m_hash.hex_digest(); }
  // The first bytes, printable, for messages about content that is not an archive.
  std::string preview() const;
  ByteSource& source() { return m_source; }
  // When the content is a zip (starts with "PK\3\4"), keep at least its last max bytes for tail().
  void keep_zip_tail(std::size_t max) { m_tail_max = max; }
  std::string_view tail() const { return m_tail; }

private:
  ByteSource& m_source;
  Progress* m_progress;
  int m_tee_fd;
  std::uint64_t m_max_download;
  Sha256 m_hash;
  std::uint64_t m_bytes = 0;
  std::string m_head;
  std::string m_tail;
  std::size_t m_tail_max = 0;
};

// Writes all of data to fd (EINTR and short writes handled); throws Error naming what,
// IntegrityError when the disk is full.
void write_all(int fd, const char* data, std::size_t size, const std::string& what);

}  // namespace ciutils::fetch
