// A directory packed (pack.h) on a thread into a bounded buffer that an upload reads from,
// so a tar.gz of any size is sent while it is produced, in bounded memory.
#pragma once

#include "ciutils/sha256.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ciutils::fetch {

class PackStream {
public:
  // Starts packing dir on a thread; capacity bounds the bytes buffered ahead of the reader.
  explicit PackStream(std::filesystem::path dir, std::size_t capacity = 1 << 20);
  // Stops the packing and joins the thread.
  ~PackStream();
  PackStream(const PackStream&) = delete;
  PackStream& operator=(const PackStream&) = delete;

  // Up to size bytes of the archive, blocking until some are there; 0 at its end. Rethrows
  // the packing's error (e.g. an unreadable file); throws the interruption error on a signal.
  std::size_t read(char* buffer, std::size_t size);

  // Stops the thread; true when the whole archive was packed and read.
  bool finish();

  // The SHA-256 and size of the bytes packed (all of them once finish() returned true).
  std::string sha256();
  std::uint64_t bytes() const { return m_bytes; }

private:
  void pack();
  void push(const char* data, std::size_t size);

  std::filesystem::path m_dir;
  std::size_t m_capacity;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::vector<char> m_buffer;  // bytes [m_read, size) are waiting for the reader
  std::size_t m_read = 0;
  bool m_done = false;       // the packer finished
  bool m_cancelled = false;  // the reader gave up
  bool m_drained = false;    // the reader saw the end
  std::exception_ptr m_error;
  Sha256 m_hash;  // written by the packer thread only, read after it was joined
  std::uint64_t m_bytes = 0;
  std::thread m_thread;
};

}  // namespace ciutils::fetch
