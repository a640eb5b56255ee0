#include "put.h"

#include "byte_source.h"
#include "multipart.h"
#include "pack.h"
#include "pack_stream.h"
#include "s3_upload.h"
#include "ciutils/sha256.h"
#include "signals.h"
#include "upload.h"

#include <ciutils/error.h>
#include <ciutils/fd.h>
#include <ciutils/http.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ciutils::fetch {

namespace {

constexpr std::size_t k_read_size = 256 * 1024;

// Reads up to size bytes of fd (EINTR retried); throws naming path.
std::size_t read_some(int fd, char* buffer, std::size_t size, const std::string& path) {
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw Error(ExitCode::tool_failed, "read '" + path + "': " + std::strerror(errno));
  }
}

std::string file_sha256(int fd, const std::string& path) {
  Sha256 hash;
  std::vector<char> buffer(k_read_size);
  lseek(fd, 0, SEEK_SET);
  while (std::size_t n = read_some(fd, buffer.data(), buffer.size(), path)) {
    throw_if_interrupted();
    hash.update(buffer.data(), n);
  }
  return hash.hex_digest();
}

// The file from its start, for one attempt.
BodyReader file_body(int fd, const std::string& path) {
  if (lseek(fd, 0, SEEK_SET) != 0) throw Error(ExitCode::tool_failed, "seek '" + path + "': " + std::strerror(errno));
  return [fd, path](char* buffer, std::size_t size) { return read_some(fd, buffer, size, path); };
}

// Runs feed (which writes into writer) then finishes the upload; on any failure aborts the
// multipart upload, adding to the message when that failed too.
template <class Feed>
long stream_to_s3(S3StreamWriter& writer, Feed&& feed) {
  try {
    feed();
    return writer.finish();
  } catch (const Error& e) {
    std::string why = writer.abort();
    if (!why.empty())
      throw Error(e.code(), std::string(e.what()) + "; aborting the multipart upload failed too: " + why);
    throw;
  }
}

// One PUT of the whole of fd, with its length, retried; the HTTP status.
long put_http_file(const PutOptions& o, const std::string& redacted_url, const std::string& content_type, int fd,
                   std::uint64_t size, std::chrono::steady_clock::time_point started, const RetryNotice& notice) {
  long status = 0;
  with_retries(o.net, started, notice, [&](int) {
    UploadRequest request;
    request.url = o.url;
    request.what = "PUT " + redacted_url;
    request.headers.push_back("Content-Type: " + content_type);
    request.body = file_body(fd, o.path);
    request.length = size;
    request.timeout = remaining_time(o.net, started);
    status = send_upload(request, o.net).status;
  });
  return status;
}

// For a server that refuses chunked bodies (411 Length Required): the archive packed into an
// unlinked temp file in $TMPDIR, then sent with its length.
void put_http_spooled(const PutOptions& o, PutResult& result, const std::string& content_type,
                      std::chrono::steady_clock::time_point started, const RetryNotice& notice) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
  UniqueFd fd(open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd.valid()) throw Error(ExitCode::tool_failed, "cannot create a temp file in " + dir + ": " + std::strerror(errno));
  Sha256 hash;
  std::uint64_t bytes = 0;
  pack_directory(o.path, [&](std::span<const char> data) {
    hash.update(data.data(), data.size());
    bytes += data.size();
    while (!data.empty()) {
      ssize_t n = ::write(fd.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(ExitCode::tool_failed, "writing a temp file in " + dir + ": " + std::strerror(errno));
      data = data.subspan(static_cast<std::size_t>(n));
    }
  });
  result.status = put_http_file(o, result.url, content_type, fd.get(), bytes, started, notice);
  result.sha256 = hash.hex_digest();
  result.bytes = bytes;
}

void put_http_streamed(const PutOptions& o, PutResult& result, const std::string& content_type,
                       std::chrono::steady_clock::time_point started, const RetryNotice& notice) {
  with_retries(o.net, started, notice, [&](int) {
    PackStream stream(o.path);
    UploadRequest request;
    request.url = o.url;
    request.what = "PUT " + result.url;
    request.headers.push_back("Content-Type: " + content_type);
    request.body = [&stream](char* buffer, std::size_t size) { return stream.read(buffer, size); };
    request.timeout = remaining_time(o.net, started);
    UploadResponse response = send_upload(request, o.net);
    if (!stream.finish())
      throw TransferError(request.what + ": HTTP " + std::to_string(response.status) +
                              " before the whole archive was sent",
                          false);
    result.status = response.status;
    result.sha256 = stream.sha256();
    result.bytes = stream.bytes();
  });
}

void put_http_directory(const PutOptions& o, PutResult& result, const std::string& content_type,
                        std::chrono::steady_clock::time_point started, const RetryNotice& notice) {
  try {
    put_http_streamed(o, result, content_type, started, notice);
  } catch (const TransferError& e) {
    if (e.status() != 411) throw;
    put_http_spooled(o, result, content_type, started, notice);
  }
}

void put_s3_directory(const PutOptions& o, PutResult& result, S3Target target) {
  S3StreamWriter writer(std::move(target), o.part_size, o.parallel);
  Sha256 hash;
  result.status = stream_to_s3(writer, [&] {
    pack_directory(o.path, [&](std::span<const char> data) {
      hash.update(data.data(), data.size());
      result.bytes += data.size();
      writer.feed(data);
    });
  });
  result.sha256 = hash.hex_digest();
}

void put_s3_large_file(const PutOptions& o, PutResult& result, S3Target target, int fd, std::uint64_t size) {
  S3StreamWriter writer(std::move(target), part_size_for(size, o.part_size), o.parallel);
  Sha256 hash;
  result.status = stream_to_s3(writer, [&] {
    std::vector<char> buffer(k_read_size);
    lseek(fd, 0, SEEK_SET);
    while (std::size_t n = read_some(fd, buffer.data(), buffer.size(), o.path)) {
      throw_if_interrupted();
      hash.update(buffer.data(), n);
      result.bytes += n;
      writer.feed(std::span<const char>(buffer.data(), n));
    }
  });
  result.sha256 = hash.hex_digest();
}

}  // namespace

PutResult run_put(const PutOptions& o, const RetryNotice& notice) {
  PutResult result;
  result.url = redact_url(o.url);
  struct stat st {};
  if (stat(o.path.c_str(), &st) != 0) throw UsageError("PATH: '" + o.path + "': " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    throw UsageError("PATH: '" + o.path + "' is neither a file nor a directory");
  result.packed = S_ISDIR(st.st_mode);
  std::string content_type = o.content_type.value_or(result.packed ? "application/gzip" : "application/octet-stream");
  bool s3 = url_scheme(o.url) == "s3";
  auto started = std::chrono::steady_clock::now();
  curl_global();
  S3Target target{o.url, content_type, o.net, started, notice};

  if (result.packed) {
    if (s3) put_s3_directory(o, result, std::move(target));
    else put_http_directory(o, result, content_type, started, notice);
    return result;
  }

  UniqueFd fd(open(o.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw UsageError("PATH: cannot read '" + o.path + "': " + std::strerror(errno));
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  if (s3 && size > k_max_single_put) {
    put_s3_large_file(o, result, std::move(target), fd.get(), size);
    return result;
  }
  result.bytes = size;
  result.sha256 = file_sha256(fd.get(), o.path);
  if (s3) {
    result.status = s3_put_object(target, [&] { return file_body(fd.get(), o.path); }, size, result.sha256).status;
    return result;
  }
  result.status = put_http_file(o, result.url, content_type, fd.get(), size, started, notice);
  return result;
}

}  // namespace ciutils::fetch
