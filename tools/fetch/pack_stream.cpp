#include "pack_stream.h"

#include "pack.h"
#include "signals.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace ciutils::fetch {

namespace {

// Thrown into the packer when the reader gave up; never seen outside this file.
struct Cancelled {};

}  // namespace

PackStream::PackStream(std::filesystem::path dir, std::size_t capacity)
    : m_dir(std::move(dir)), m_capacity(capacity) {
  m_buffer.reserve(capacity);
  m_thread = std::thread([this] { pack(); });
}

PackStream::~PackStream() { finish(); }

void PackStream::pack() {
  try {
    pack_directory(m_dir, [this](std::span<const char> data) { push(data.data(), data.size()); });
    std::lock_guard lock(m_mutex);
    m_done = true;
  } catch (const Cancelled&) {
    std::lock_guard lock(m_mutex);
    m_done = true;
  } catch (...) {
    std::lock_guard lock(m_mutex);
    m_error = std::current_exception();
    m_done = true;
  }
  m_changed.notify_all();
}

void PackStream::push(const char* data, std::size_t size) {
  m_hash.update(data, size);
  m_bytes += size;
  while (size > 0) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_cancelled || m_buffer.size() - m_read < m_capacity; });
    if (m_cancelled) throw Cancelled{};
    if (m_read > 0) {
      m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(m_read));
      m_read = 0;
    }
    std::size_t take = std::min(size, m_capacity - m_buffer.size());
    m_buffer.insert(m_buffer.end(), data, data + take);
    data += take;
    size -= take;
    lock.unlock();
    m_changed.notify_all();
  }
}

std::size_t PackStream::read(char* buffer, std::size_t size) {
  std::unique_lock lock(m_mutex);
  for (;;) {
    if (m_error) std::rethrow_exception(m_error);
    if (m_read < m_buffer.size() || m_done) break;
    m_changed.wait_for(lock, std::chrono::milliseconds(100));
    if (pending_signal() != 0) {
      lock.unlock();
      throw_if_interrupted();
      lock.lock();
    }
  }
  std::size_t n = std::min(size, m_buffer.size() - m_read);
  if (n == 0) {
    m_drained = true;
    return 0;
  }
  std::memcpy(buffer, m_buffer.data() + m_read, n);
  m_read += n;
  lock.unlock();
  m_changed.notify_all();
  return n;
}

bool PackStream::finish() {
  {
    std::lock_guard lock(m_mutex);
    m_cancelled = true;
  }
  m_changed.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mutex);
  return m_done && !m_error && m_drained;
}

std::string PackStream::sha256() { return m_hash.hex_digest(); }

}  // namespace ciutils::fetch
