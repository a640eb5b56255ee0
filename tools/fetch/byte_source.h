// Where the downloaded bytes come from: a local file or an HTTP(S) transfer, read in
// chunks by whoever consumes them (the archive reader or a file writer).
#pragma once

#include <ciutils/error.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ciutils::fetch {

// A failed transfer attempt: exit 3; `retryable` tells the retry loop whether another
// attempt could help (transport errors, 408/425/429/5xx).
class TransferError : public ServiceError {
public:
  TransferError(const std::string& message, bool retryable, long status = 0,
                std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : ServiceError(message), m_retryable(retryable), m_status(status), m_retry_after(retry_after) {}
  bool retryable() const { return m_retryable; }
  long status() const { return m_status; }
  std::optional<std::chrono::milliseconds> retry_after() const { return m_retry_after; }

private:
  bool m_retryable;
  long m_status;
  std::optional<std::chrono::milliseconds> m_retry_after;
};

class ByteSource {
public:
  virtual ~ByteSource() = default;
  // The next chunk, valid until the next call; empty at the end. Throws TransferError,
  // IntegrityError (--max-download) or the interruption error.
  virtual std::span<const char> read() = 0;
  // The total size when known (after the first read for HTTP).
  virtual std::optional<std::uint64_t> size() const = 0;
  // The offset of the first byte delivered: the Range start when the server honoured it.
  virtual std::uint64_t start_offset() const { return 0; }
  // May be called from another thread while read() runs: makes a read() that waits for
  // the network give up soon (with a TransferError).
  virtual void cancel() {}
};

class FileSource : public ByteSource {
public:
  // path from a file:// URL; throws UsageError when it cannot be opened.
  explicit FileSource(const std::string& path, std::uint64_t offset = 0);
  ~FileSource() override;
  std::span<const char> read() override;
  std::optional<std::uint64_t> size() const override { return m_size; }
  std::uint64_t start_offset() const override { return m_offset; }

private:
  int m_fd = -1;
  std::string m_path;
  std::uint64_t m_size = 0;
  std::uint64_t m_offset = 0;
  std::vector<char> m_buffer;
};

// The local path of a file:// URL (percent-decoded); UsageError when it has a host.
std::string file_url_path(const std::string& url);

}  // namespace ciutils::fetch
